#!/usr/bin/env python3
"""Benchmark: whole extraction against the bare NER model and the tokenizer on the same texts, on one core.

Prints tokens/s of (a) the project tokenizer alone (the physical floor),
(b) the bare NER model (``spacy.load`` of the bundled pipeline, ``nlp.pipe``
over the texts), (c) the NLP pipeline without triple assembly and (d) the
whole extraction as ``oncotriples extract`` runs it (``extract_document``:
pipeline, triples, measures, evidence mapping), then the ratios
extraction / bare model (target >= 0.8) and full / NLP pipeline time
(target <= 1.5). Texts are the extractable text the pipeline sees
(``nlp_text``); tokens are counted with the project tokenizer. The
configurations run interleaved, ``--repeat`` rounds, and each figure is the
median, because the machine is shared.

Usage: python scripts/bench_extract.py [../shared/corpus] [--ner-model bundled] [--repeat 5]
"""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path

from bench_util import interleaved_medians, pin_one_core


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    ap.add_argument("--ner-model", default="bundled")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)
    pin_one_core()  # before spaCy (and numpy) are imported

    from extractors.nlp.build import build_nlp
    from extractors.nlp.ner import load_ner_model
    from extractors.nlp.tokenizer import make_tokenizer_nlp
    from extractors.text.formats import parse_document
    from pipeline.stages.extract import extract_document, nlp_text

    files = sorted(p for p in Path(a.corpus).iterdir() if p.is_file())
    docs = [(parse_document(p.read_bytes(), doc_id=p.stem, filename=p.name), p.read_text(encoding="utf-8", errors="replace"))
            for p in files]
    texts = [nlp_text(d) for d, _ in docs]
    tokenizer = make_tokenizer_nlp().tokenizer
    model = load_ner_model(a.ner_model)
    if model is None:
        raise SystemExit("--ner-model none has no model to compare with")
    bare = model.nlp
    nlp_only = build_nlp(a.ner_model, with_triples=False)
    full = build_nlp(a.ner_model)
    n_tokens = sum(len(tokenizer(t)) for t in texts)

    def run_nlp() -> None:
        for t in texts:
            sd = nlp_only.make_doc(t)
            for _name, proc in nlp_only.pipeline:
                sd = proc(sd)

    n_triples = 0

    def run_full() -> None:
        nonlocal n_triples
        n_triples = sum(len(extract_document(full, d, raw_text=raw)) for d, raw in docs)

    fns = {
        "tokenizer alone": lambda: [tokenizer(t) for t in texts],
        "bare model (spacy.load, nlp.pipe)": lambda: list(bare.pipe(texts)),
        "nlp pipeline, no triples": run_nlp,
        "whole extraction": run_full,
    }
    for fn in fns.values():  # warm-up (lazy lexicon loading, first-call allocations)
        fn()
    med = interleaved_medians(fns, a.repeat)
    print(f"documents {len(docs)}, tokens {n_tokens}, triples {n_triples}, ner_model {a.ner_model}, "
          f"pipeline {full.pipe_names}")
    print(f"medians of {a.repeat} interleaved rounds, one core")
    for name, sec in med.items():
        print(f"{name + ':':36s} {sec:7.3f} s  {n_tokens / sec:9,.0f} tokens/s")
    ratio = med["bare model (spacy.load, nlp.pipe)"] / med["whole extraction"]
    print(f"ratio extraction / bare model (speed): {ratio:.2f} (target >= 0.8)")
    print(f"ratio full / nlp pipeline (time):      {med['whole extraction'] / med['nlp pipeline, no triples']:.2f} "
          "(target <= 1.5)")


if __name__ == "__main__":
    main()
