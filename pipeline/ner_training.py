"""Train the project's own biomedical NER model from the public corpora.

The bundled pipeline (``data/ner/model``) is the scispaCy rule tokenizer plus
two independent NER components, each with its own small CNN tok2vec:

* ``ner_chem`` — Chemical and Disease, trained on BC5CDR train + BioRED train
  (ChemicalEntity → Chemical, DiseaseOrPhenotypicFeature → Disease);
* ``ner_gene`` — Gene, trained on GNormPlus train + NLM-Gene train + BioRED
  train (Gene / GeneOrGeneProduct → Gene).

Two models rather than one: BC5CDR has no gene labels and GNormPlus/NLM-Gene
no chemical labels, so one model trained on the union would learn that genes
in BC5CDR abstracts (and chemicals in gene abstracts) are not entities.

Splits: train splits only for training. Dev: BC5CDR dev + BioRED dev for the
chemical model; for the gene model BioRED dev plus a held-out part of
GNormPlus and NLM-Gene (which ship only a train split): every 10th document by
sorted numeric PMID (index % 10 == 9) of each corpus. Documents whose PMID
appears in any dev set are dropped from training.

Reproduce (one command, ~40–60 min on 2 cores)::

    python -m pipeline.ner_training all --corpora ../shared/corpora

Sub-commands: ``convert`` (DocBins + alignment report), ``train`` (one model),
``assemble`` (combine the two trained models into ``data/ner/model``),
``evaluate`` (score the bundled model on the dev sets with the official scorer).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.pubtator import Mention, PubTatorDoc, read_pubtator, write_pubtator
from pipeline.resources import data_path

SEED = 42
HOLDOUT_EVERY = 10  # gene corpora: every 10th doc by sorted PMID is held out
DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
DEFAULT_WORK = Path(os.environ.get("ONCOTRIPLES_NER_WORK", "/tmp/oncotriples_ner"))

CHEM_MAP = {
    "Chemical": "Chemical",
    "ChemicalEntity": "Chemical",
    "Disease": "Disease",
    "DiseaseOrPhenotypicFeature": "Disease",
}
GENE_MAP = {"Gene": "Gene", "GeneOrGeneProduct": "Gene"}

CORPUS_FILES = {
    "bc5cdr_train": "BC5CDR/CDR_TrainingSet.PubTator.txt",
    "bc5cdr_dev": "BC5CDR/CDR_DevelopmentSet.PubTator.txt",
    "biored_train": "BioRED/Train.PubTator",
    "biored_dev": "BioRED/Dev.PubTator",
    "gnormplus": "GNormPlus/GNormPlus_Train.PubTator",
    "nlmgene": "NLM-Gene/NLMgene_Train.PubTator",
}


def make_tokenizer_nlp():
    """A blank English pipeline with the scispaCy rule tokenizer."""
    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    return nlp


try:  # registered so training configs can install the scispaCy tokenizer before init
    from spacy.util import registry

    @registry.callbacks("oncotriples.scispacy_tokenizer.v1")
    def _scispacy_tokenizer_callback():
        def before_init(nlp):
            from scispacy.custom_tokenizer import combined_rule_tokenizer

            nlp.tokenizer = combined_rule_tokenizer(nlp)
            return nlp

        return before_init
except Exception:  # noqa: BLE001 - registry already holds the name (module re-imported)
    pass


def holdout_split(docs: list[PubTatorDoc], every: int = HOLDOUT_EVERY) -> tuple[list, list]:
    """Deterministic split: sort by numeric PMID, every ``every``-th (index % every == every-1) is held out."""
    ordered = sorted(docs, key=lambda d: (int(d.pmid) if d.pmid.isdigit() else 0, d.pmid))
    train = [d for i, d in enumerate(ordered) if i % every != every - 1]
    held = [d for i, d in enumerate(ordered) if i % every == every - 1]
    return train, held


@dataclass
class AlignStats:
    spans: int = 0
    aligned: int = 0
    misaligned: int = 0
    overlapping: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def to_spacy_docs(nlp, docs: Iterable[PubTatorDoc], label_map: dict[str, str], stats: AlignStats):
    """Tokenize each document and set its gold entities.

    Gold spans that do not fall on token boundaries are counted and their
    tokens marked *missing* (neither entity nor O) so training is not told
    a wrong boundary. Overlapping gold spans keep the longest.
    """
    out = []
    for d in docs:
        doc = nlp.make_doc(d.text)
        wanted = [m for m in d.mentions if m.type in label_map]
        wanted.sort(key=lambda m: (-(m.end - m.start), m.start))
        taken: set[int] = set()
        ents, missing = [], []
        for m in wanted:
            stats.spans += 1
            span = doc.char_span(m.start, m.end, label=label_map[m.type], alignment_mode="strict")
            exp = span or doc.char_span(m.start, m.end, alignment_mode="expand")
            if exp is None:
                stats.misaligned += 1
                continue
            idx = set(range(exp.start, exp.end))
            if idx & taken:
                stats.overlapping += 1
                continue
            taken |= idx
            if span is None:
                stats.misaligned += 1
                missing.append(exp)
            else:
                stats.aligned += 1
                ents.append(span)
        doc.set_ents(ents, missing=missing, default="outside")
        doc.user_data["pmid"] = d.pmid
        out.append(doc)
    return out


def _pmid_docs(corpora: Path, key: str) -> list[PubTatorDoc]:
    return read_pubtator(corpora / CORPUS_FILES[key])


def build_splits(corpora: Path) -> dict[str, dict[str, list[PubTatorDoc]]]:
    """Return ``{"chem": {"train": [...], "dev": [...]}, "gene": {...}}`` plus held-out gold."""
    bc_tr, bc_dev = _pmid_docs(corpora, "bc5cdr_train"), _pmid_docs(corpora, "bc5cdr_dev")
    bi_tr, bi_dev = _pmid_docs(corpora, "biored_train"), _pmid_docs(corpora, "biored_dev")
    gn_tr, gn_held = holdout_split(_pmid_docs(corpora, "gnormplus"))
    nl_tr, nl_held = holdout_split(_pmid_docs(corpora, "nlmgene"))
    dev_pmids = {d.pmid for d in bc_dev + bi_dev + gn_held + nl_held}

    def clean(ds):
        return [d for d in ds if d.pmid not in dev_pmids]

    return {
        "chem": {"train": clean(bc_tr + bi_tr), "dev": bc_dev + bi_dev},
        "gene": {"train": clean(gn_tr + nl_tr + bi_tr), "dev": gn_held + nl_held + bi_dev},
        "gene_heldout": {"gnormplus": gn_held, "nlmgene": nl_held},
    }


def convert(corpora: Path, work: Path) -> dict:
    """Write ``{work}/{chem,gene}_{train,dev}.spacy`` and the held-out gold PubTator files."""
    from spacy.tokens import DocBin

    work.mkdir(parents=True, exist_ok=True)
    nlp = make_tokenizer_nlp()
    splits = build_splits(corpora)
    report: dict = {}
    for model, label_map in (("chem", CHEM_MAP), ("gene", GENE_MAP)):
        for part in ("train", "dev"):
            stats = AlignStats()
            sdocs = to_spacy_docs(nlp, splits[model][part], label_map, stats)
            DocBin(docs=sdocs, store_user_data=True).to_disk(work / f"{model}_{part}.spacy")
            labels = Counter(e.label_ for d in sdocs for e in d.ents)
            report[f"{model}_{part}"] = {"docs": len(sdocs), "labels": dict(labels), **stats.as_dict()}
    for name, docs in splits["gene_heldout"].items():
        write_pubtator(docs, work / f"heldout_{name}.PubTator")
    write_pubtator(splits["gene_heldout"]["gnormplus"] + splits["gene_heldout"]["nlmgene"],
                   work / "heldout_genes.PubTator")
    (work / "convert_report.json").write_text(json.dumps(report, indent=2))
    return report


def train(model: str, work: Path, config: Path | None = None, overrides: dict | None = None) -> Path:
    """Train one model (``chem`` or ``gene``) with spaCy's training loop; return its output dir."""
    from spacy.cli.train import train as spacy_train

    config = config or data_path("ner", "config.cfg")
    out = work / f"model_{model}"
    ov = {
        "paths.train": str(work / f"{model}_train.spacy"),
        "paths.dev": str(work / f"{model}_dev.spacy"),
        "system.seed": SEED,
    }
    ov.update(overrides or {})
    random.seed(SEED)
    t0 = time.time()
    spacy_train(config, out, overrides=ov, use_gpu=-1)
    (out / "wall_time_s.txt").write_text(f"{time.time() - t0:.0f}\n")
    return out


def assemble(work: Path, dest: Path | None = None) -> Path:
    """Combine ``model_chem/model-best`` and ``model_gene/model-best`` into one pipeline."""
    import spacy

    dest = dest or data_path("ner", "model")
    chem = spacy.load(work / "model_chem" / "model-best")
    gene = spacy.load(work / "model_gene" / "model-best")
    nlp = make_tokenizer_nlp()
    nlp.add_pipe("ner", name="ner_chem", source=chem)
    nlp.add_pipe("ner", name="ner_gene", source=gene)
    nlp.meta.update(
        {
            "name": "oncotriples_ner",
            "version": "0.1.0",
            "description": "OncoTriples NER: scispaCy tokenizer + CNN NER for Chemical/Disease and Gene",
            "license": "MIT",
        }
    )
    if dest.exists():
        shutil.rmtree(dest)
    nlp.to_disk(dest)
    return dest


def evaluate(work: Path, model: str = "bundled", corpora: Path = DEFAULT_CORPORA) -> dict:
    """Run ``annotate_pubtator`` on each dev set and score it with the shared scorer."""
    from pipeline.mentions import annotate_pubtator

    scorer = corpora.parent / "tools" / "score_mentions.py"
    sets = {
        "bc5cdr_dev": (corpora / CORPUS_FILES["bc5cdr_dev"], ["chemical", "disease"]),
        "biored_dev": (corpora / CORPUS_FILES["biored_dev"], ["chemical", "gene", "disease"]),
        "gene_heldout": (work / "heldout_genes.PubTator", ["gene"]),
        "gnormplus_heldout": (work / "heldout_gnormplus.PubTator", ["gene"]),
        "nlmgene_heldout": (work / "heldout_nlmgene.PubTator", ["gene"]),
    }
    results: dict = {}
    for name, (gold, groups) in sets.items():
        for ner_only in (True, False):
            pred = work / f"pred_{name}{'_ner' if ner_only else ''}.PubTator"
            annotate_pubtator(gold, pred, model=model, lexicons=not ner_only, variants=False)
            for g in groups:
                r = subprocess.run([sys.executable, str(scorer), str(gold), str(pred), "--group", g],
                                   capture_output=True, text=True, check=True)
                line = r.stdout.strip().splitlines()[0]
                results[f"{name}/{g}/{'ner' if ner_only else 'ner+lexicons'}"] = line
                print(f"{name:18s} {'ner' if ner_only else 'ner+lex':8s} {line}", flush=True)
    (work / "eval.json").write_text(json.dumps(results, indent=2))
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m pipeline.ner_training", description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["convert", "train", "assemble", "evaluate", "all"])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--model", choices=["chem", "gene", "both"], default="both")
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--dest", type=Path, default=None)
    a = ap.parse_args(argv)
    models = ["chem", "gene"] if a.model == "both" else [a.model]
    if a.step in ("convert", "all"):
        print(json.dumps(convert(a.corpora, a.work), indent=2), flush=True)
    if a.step in ("train", "all"):
        for m in models:
            train(m, a.work, a.config)
    if a.step in ("assemble", "all"):
        print(assemble(a.work, a.dest), flush=True)
    if a.step in ("evaluate", "all"):
        evaluate(a.work, corpora=a.corpora)


if __name__ == "__main__":
    main()
