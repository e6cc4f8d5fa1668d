"""Benchmark cleanup/parsing of a large text: wall time and peak traced memory.

Why: issue 2 requires a 20 MB text to be processed in bounded memory. Every
cleanup step is a linear regex pass producing edits; maps are composed by a
two-pointer merge, so time and memory grow linearly with the input.

Run: ``python scripts/bench_cleanup.py [--mb 20] [--parse]`` (input is the shared
corpus texts repeated, or a synthetic defect-rich paragraph if they are absent).
"""

from __future__ import annotations

import argparse
import logging
import time
import tracemalloc
from pathlib import Path

log = logging.getLogger("bench_cleanup")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SYNTHETIC = (
    "Patients with ALK-positive NSCLC identi ed by FISH received alectinib; resis-\ntance emerged with G1202R "
    "($P=0.001$, *n* = 20) &amp; ALK⁺ tumours.\nPage 3 of 12\n\n"
)


def sample(mb: float) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED / "corpus").glob("*.txt"))] if (SHARED / "corpus").is_dir() else []
    unit = "\n\n".join(texts) if texts else SYNTHETIC
    target = int(mb * 1_000_000)
    return (unit * (target // len(unit.encode()) + 1))[:target]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--parse", action="store_true", help="measure parse_document (Document records) instead of clean_text")
    ap.add_argument("--no-trace", action="store_true", help="time without tracemalloc overhead")
    args = ap.parse_args()
    from extractors.text.cleanup import clean_text, default_wordlist
    from extractors.text.formats import parse_document

    default_wordlist()  # load once, outside the measurement
    raw = sample(args.mb)
    data = raw.encode()
    if not args.no_trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    if args.parse:
        doc = parse_document(data, doc_id="bench", filename="bench.txt")
        out_len, n_segs = len(doc.text), len(doc.offset_map)
    else:
        ct = clean_text(raw)
        out_len, n_segs = len(ct.text), len(ct.segments)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if not args.no_trace else 0
    log.info(
        "input %.1f MB (%d chars) -> clean %d chars, %d segments; %.1f s; peak traced memory %s",
        len(data) / 1e6, len(raw), out_len, n_segs, elapsed, f"{peak / 1e6:.0f} MB" if peak else "not traced",
    )


if __name__ == "__main__":
    main()
