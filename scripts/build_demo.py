"""Build the embedded demo snapshot ``data/demo/`` (raw-store format) from ``data/demo_sources/``.

The demo texts are written by the project and clearly labeled DEMO. Fetch
times are fixed so the snapshot (and every release built from it) is
reproducible byte for byte. Run: python scripts/build_demo.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.sources.rawstore import RawStore

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "data" / "demo_sources"
TARGET = ROOT / "data" / "demo"
FETCHED_AT = "2026-11-01T00:00:00.000000Z"

ITEMS = [
    ("demo_egfr_review.md", "demo", "demo_egfr_review", "md", "text/markdown"),
    ("demo_alk_update.html", "demo", "demo_alk_update", "html", "text/html"),
    ("demo_trial_NCT03778229.json", "ctgov", "NCT03778229", "ctgov_json", "application/json"),
]


def main() -> None:
    if TARGET.exists():
        for p in TARGET.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(TARGET)
    store = RawStore(TARGET)
    for filename, source, source_id, fmt, ctype in ITEMS:
        store.put(
            (SOURCES / filename).read_bytes(),
            source=source,
            source_id=source_id,
            url=f"demo://{filename}",
            status=200,
            content_type=ctype,
            format_hint=fmt,
            fetched_at=FETCHED_AT,
        )
    (TARGET / "README.md").write_text(
        "DEMO snapshot in raw-store format, built by scripts/build_demo.py from data/demo_sources/ "
        "(texts written by the OncoTriples project). Used by `oncotriples run --offline`.\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
