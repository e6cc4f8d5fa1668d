#!/usr/bin/env python3
"""Benchmark `mentions` throughput on the BC5CDR development set, on one core.

Prints tokens/second of (a) the bare spaCy model alone (``spacy.load`` of the
bundled pipeline, ``nlp.pipe`` over the texts) and (b) the whole `mentions`
stage (NER + drug/gene lexicons + variant grammar, PubTator parsing and
writing included), and their ratio. Tokens are counted with the model's
tokenizer. Each figure is the best of ``--repeat`` runs.

Usage: python scripts/bench_mentions.py [--gold PATH] [--model bundled] [--repeat 2] [--limit N]
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

from bench_util import best_of, pin_one_core

DEFAULT_GOLD = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "BC5CDR" / "CDR_DevelopmentSet.PubTator.txt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N documents")
    a = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    pin_one_core()  # before spaCy (and numpy) are imported

    from extractors.nlp.ner import load_ner_model
    from extractors.text.pubtator import read_pubtator, write_pubtator
    from pipeline.stages.mentions import MentionAnnotator, annotate_docs

    docs = read_pubtator(a.gold)
    if a.limit:
        docs = docs[: a.limit]
    texts = [d.text for d in docs]
    ner = load_ner_model(a.model)
    if ner is None:
        raise SystemExit("--model none has no model to benchmark")
    nlp = ner.nlp
    n_tokens = sum(len(nlp.make_doc(t)) for t in texts)
    n_chars = sum(len(t) for t in texts)

    bare = best_of(lambda: list(nlp.pipe(texts, batch_size=64)), a.repeat)
    annotator = MentionAnnotator(a.model)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pred.PubTator"
        full = best_of(lambda: write_pubtator(annotate_docs(read_pubtator(a.gold)[: a.limit or None], annotator), out),
                       a.repeat)
        ner_only = MentionAnnotator(a.model, lexicons=False, variants=False)
        ner_t = best_of(lambda: list(ner_only.annotate(texts)), a.repeat)

    print(f"documents: {len(docs)}  tokens: {n_tokens}  chars: {n_chars}  model: {a.model} "
          f"components: {nlp.pipe_names}")
    print(f"lexicons: {'yes' if annotator.lexicon_nlp is not None else 'no'}  "
          f"variants: {'yes' if annotator.variant_fn is not None else 'no'}")
    print(f"bare spaCy model (nlp.pipe): {bare:7.2f} s  {n_tokens / bare:9.0f} tokens/s")
    print(f"NER stage (entities only):   {ner_t:7.2f} s  {n_tokens / ner_t:9.0f} tokens/s")
    print(f"mentions (NER+lex+variants): {full:7.2f} s  {n_tokens / full:9.0f} tokens/s")
    print(f"ratio mentions / bare model: {full / bare:.2f}x (must stay <= 2x)")


if __name__ == "__main__":
    main()
