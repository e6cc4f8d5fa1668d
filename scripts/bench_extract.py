"""Benchmark: whole extraction vs the NLP pipeline alone on the same documents.

Prints, from one run, the seconds for (a) the NLP pipeline alone
(tokenizer + sentences + abbreviations + lexicons + NER + variants) and (b)
the full extraction (the same plus triple assembly, measures, evidence
mapping), and their ratio. Issue target: (b) <= 1.5 x (a).

Usage: python scripts/bench_extract.py [../shared/corpus] [--ner-model bundled] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

from extractors.nlp.build import build_nlp
from extractors.text.formats import parse_document
from pipeline.stages.extract import extract_document, nlp_text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    ap.add_argument("--ner-model", default="bundled")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)
    files = sorted(p for p in Path(a.corpus).iterdir() if p.is_file())
    docs = [(parse_document(p.read_bytes(), doc_id=p.stem, filename=p.name), p.read_text(encoding="utf-8", errors="replace")) for p in files]
    nlp_only = build_nlp(a.ner_model, with_triples=False)
    full = build_nlp(a.ner_model)
    n_tokens = sum(len(nlp_only.make_doc(nlp_text(d))) for d, _ in docs)

    def run_nlp() -> None:
        for d, _ in docs:
            sd = nlp_only.make_doc(nlp_text(d))
            for _name, proc in nlp_only.pipeline:
                sd = proc(sd)

    def run_full() -> int:
        return sum(len(extract_document(full, d, raw_text=raw)) for d, raw in docs)

    run_nlp()
    run_full()  # warm-up (lazy lexicon loading)
    t_nlp, t_full, n_triples = [], [], 0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        run_nlp()
        t_nlp.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        n_triples = run_full()
        t_full.append(time.perf_counter() - t0)
    best_nlp, best_full = min(t_nlp), min(t_full)
    print(f"documents {len(docs)}, tokens {n_tokens}, triples {n_triples}, ner_model {a.ner_model}")
    print(f"nlp pipeline alone: {best_nlp:.3f} s ({n_tokens / best_nlp:,.0f} tokens/s)")
    print(f"full extraction:    {best_full:.3f} s ({n_tokens / best_full:,.0f} tokens/s)")
    print(f"ratio full/nlp:     {best_full / best_nlp:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
