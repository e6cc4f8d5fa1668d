#!/usr/bin/env python3
"""Benchmark the drug and gene lexicon rulers alone, in tokens/second on one core.

Runs ``oncotriples_drug_ruler`` + ``oncotriples_gene_ruler`` (scispaCy tokenizer, no
model) over a dense synthetic text (every sentence names drugs, fusions, variants and
genes) and prints the best of ``--repeat`` runs. Replaces a timed unit test: speed is
a figure to read, not a pass/fail that depends on the machine.

Usage: python scripts/bench_lexicons.py [--sentences 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import warnings

from bench_util import best_of, pin_one_core

SENTENCE = ("Osimertinib and second-generation ALK-TKIs fail in EML4-ALK or EGFR T790M/C797S NSCLC "
            "with MET amplification (HR 0.5). ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    pin_one_core()  # before spaCy (and numpy) are imported
    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    from extractors.nlp import lexicons as L

    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    nlp.add_pipe("oncotriples_drug_ruler")
    nlp.add_pipe("oncotriples_gene_ruler")
    docs = []

    def fresh_doc() -> None:
        docs.append(nlp.make_doc(SENTENCE * a.sentences))
        L.split_pieces.cache_clear()  # cold caches each run, as on new text

    def run_rulers() -> None:
        for _, proc in nlp.pipeline:
            proc(docs[-1])

    best = best_of(run_rulers, a.repeat, setup=fresh_doc)
    doc = docs[-1]
    print(f"tokens: {len(doc)}  genes: {len(doc.spans['genes'])}  drugs: {len(doc.spans.get('drugs', []))}")
    print(f"lexicon rulers: {best:.3f} s  {len(doc) / best:,.0f} tokens/s (best of {max(1, a.repeat)})")


if __name__ == "__main__":
    main()
