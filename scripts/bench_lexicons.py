#!/usr/bin/env python3
"""Benchmark the drug and gene lexicon rulers alone, in tokens/second on one core.

Runs ``oncotriples_drug_ruler`` + ``oncotriples_gene_ruler`` (scispaCy tokenizer, no
model) over a dense synthetic text (every sentence names drugs, fusions, variants and
genes) and prints the best of ``--repeat`` runs. Replaces a timed unit test: speed is
a figure to read, not a pass/fail that depends on the machine.

Usage: python scripts/bench_lexicons.py [--sentences 400] [--repeat 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

SENTENCE = ("Osimertinib and second-generation ALK-TKIs fail in EML4-ALK or EGFR T790M/C797S NSCLC "
            "with MET amplification (HR 0.5). ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    from extractors import lexicons as L

    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    nlp.add_pipe("oncotriples_drug_ruler")
    nlp.add_pipe("oncotriples_gene_ruler")
    doc = nlp.make_doc(SENTENCE * a.sentences)
    times = []
    for _ in range(max(1, a.repeat)):
        doc = nlp.make_doc(SENTENCE * a.sentences)
        L._split.cache_clear()  # cold caches each run, as on new text
        t0 = time.perf_counter()
        for _, proc in nlp.pipeline:
            proc(doc)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"tokens: {len(doc)}  genes: {len(doc.spans['genes'])}  drugs: {len(doc.spans.get('drugs', []))}")
    print(f"lexicon rulers: {best:.3f} s  {len(doc) / best:,.0f} tokens/s (best of {len(times)})")


if __name__ == "__main__":
    main()
