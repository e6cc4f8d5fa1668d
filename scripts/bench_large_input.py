"""Time and peak memory of large inputs: a long plain text through ``oncotriples extract``, a large HTML page parsed.

  .venv/bin/python scripts/bench_large_input.py [--text-mb 2] [--html-mb 2.7] [--ner-model none]

Prints, per input, seconds and the peak RSS of the extract process (measured from a wrapper
process whose only child is the command), next to the RSS of a one-line input.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.faults.inputs import GOOD, _html, _rss  # noqa: E402


def _long_text(path: Path, mb: float) -> None:
    """An article with an abstract, then body paragraphs repeated to ``mb`` megabytes."""
    para = (
        "Patients with ALK-positive NSCLC received alectinib; resistance emerged with ALK G1202R in 20% of cases "
        "and lorlatinib was active after progression (ORR 45%, median PFS 7.3 months)."
    )
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Acquired resistance in lung cancer\n\nAbstract\n\n" + GOOD + "\nResults\n\n")
        while fh.tell() < mb * 1024 * 1024:
            fh.write(para + "\n\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--text-mb", type=float, default=2.0)
    ap.add_argument("--html-mb", type=float, default=2.7)
    ap.add_argument("--ner-model", default="none")
    a = ap.parse_args(argv)
    from extractors.text.formats import parse_document

    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        d = Path(tmp)
        (d / "one.txt").write_text(GOOD, encoding="utf-8")
        _long_text(d / "long.txt", a.text_mb)
        base = _rss("extract", str(d / "one.txt"), "--out", str(d / "one.jsonl"), "--ner-model", a.ner_model, cwd=d)
        t0 = time.perf_counter()
        peak = _rss("extract", str(d / "long.txt"), "--out", str(d / "long.jsonl"), "--ner-model", a.ner_model, cwd=d, timeout=3600)
        secs = time.perf_counter() - t0
        size = (d / "long.txt").stat().st_size
        print(f"text  {size / 2**20:6.1f} MB  {secs:6.1f} s  peak RSS {peak / 2**20:6.0f} MB "
              f"(one-line input {base / 2**20:.0f} MB; {(peak - base) / size:.1f}x the file above it)")
        data = _html(int(a.html_mb * 1_000_000))
        t0 = time.perf_counter()
        doc = parse_document(data, doc_id="page", filename="page.html")
        print(f"html  {len(data) / 2**20:6.1f} MB  {time.perf_counter() - t0:6.1f} s  parse ({len(doc.offset_map)} offset segments)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
