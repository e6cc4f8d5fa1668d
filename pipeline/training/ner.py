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

:data:`RUNS` lists the training runs that were compared (see
``data/ner/MODEL_CARD.md``); :data:`SHIPPED` names the two in the bundled
pipeline and :data:`MAX_STEPS` the steps each was trained for.

Both components use static floret vectors trained by the ``vectors`` step on
the unlabeled text of the local corpora, dev / held-out documents excluded
(labels never read; see
:func:`build_vectors`; needs ``pip install floret``, training only).

Reproduce (one command; ~27 min on this 2-core machine, one process at a time)::

    python -m pipeline.training.ner all --corpora ../shared/corpora --work /tmp/oncotriples_ner

Sub-commands: ``convert`` (DocBins + alignment report), ``vectors`` (floret
vectors -> ``{work}/vectors``), ``train`` (one model),
``assemble`` (combine the two trained models into ``data/ner/model``),
``evaluate`` (score the bundled model on the dev sets with the official scorer).
"""

from __future__ import annotations

import argparse
import json
import logging
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

from extractors.nlp.ner import FAMILY_LEXICON, GENE_FAMILY, surface_key
from extractors.nlp.tokenizer import make_tokenizer_nlp, oncotriples_tokenizer  # noqa: F401  (registers the training callback)
from extractors.text.pubtator import PubTatorDoc, read_pubtator, write_pubtator
from schemas.resources import data_path

log = logging.getLogger(__name__)

SEED = 42
MODEL_VERSION = "0.5.0"  # written to the assembled model's meta.json (see data/ner/MODEL_CARD.md)
HOLDOUT_EVERY = 10  # gene corpora: every 10th doc by sorted PMID is held out
DEFAULT_CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
DEFAULT_WORK = Path("/tmp/oncotriples_ner")
"""Work folder when neither ``--work`` nor ``ONCOTRIPLES_NER_WORK`` names one (read by :func:`main`)."""

CHEM_MAP = {
    "Chemical": "Chemical",
    "ChemicalEntity": "Chemical",
    "Disease": "Disease",
    "DiseaseOrPhenotypicFeature": "Disease",
}
GENE_MAP = {"Gene": "Gene", "GeneOrGeneProduct": "Gene"}
# GNormPlus and NLM-Gene annotate gene families ("Notch", "IL-1", "BMPs", "MAP kinases") as
# FamilyName, apart from genes; the 0.5.0 gene model learns them as a label of their own, which
# the NER stage keeps internal (extractors.nlp.ner.INTERNAL_LABELS), so a family is neither taught as
# O nor emitted as a Gene.
FAMILY_LABEL = GENE_FAMILY
GENE_FAMILY_MAP = {**GENE_MAP, "FamilyName": FAMILY_LABEL}
DOMAIN_LABEL = "GeneDomain"  # GNormPlus/NLM-Gene DomainMotif ("KRAB", "SH2 domain"): not a gene either
GENE_FAMILY_DOMAIN_MAP = {**GENE_FAMILY_MAP, "DomainMotif": DOMAIN_LABEL}
# Corpora whose gene label also covers families (BioRED GeneOrGeneProduct, tmVar3 Gene): a gene
# mention there whose text the family-annotating corpora call a family (see family_surfaces) is
# marked missing in training, neither Gene nor GeneFamily.
FAMILY_LIKE = "FamilyLike"

# Training runs (see build_splits) and the max_steps each was trained for; the
# shipped pipeline takes its ``ner_chem`` and ``ner_gene`` from SHIPPED.
RUNS = {
    "chem": "Chemical+Disease: BC5CDR train + BioRED train; dev BC5CDR dev + BioRED dev",
    "chem_bc5": "Chemical+Disease: BC5CDR train; dev BC5CDR dev",
    "gene": "Gene + GeneFamily: GNormPlus + NLM-Gene train (minus held-out; FamilyName -> GeneFamily) + BioRED train + tmVar3 train (family-like gene mentions missing); dev held-out + BioRED dev",
    "gene_famlabel": "as gene, but BioRED/tmVar3 family-like gene mentions kept as Gene",
    "gene_domain": "as gene, plus GNormPlus/NLM-Gene DomainMotif -> GeneDomain",
    "gene_gnfam": "Gene + GeneFamily: GNormPlus + NLM-Gene train only (minus held-out); dev held-out + BioRED dev",
    "gene_up": "as gene, with the GNormPlus + NLM-Gene train documents twice (their convention weighs double)",
    "gene_up_w192": "as gene_up, tok2vec width 192",
    "gene_v04": "Gene: GNormPlus + NLM-Gene train (minus held-out; FamilyName O) + BioRED train + tmVar3 train (the 0.4.0 gene model)",
    "gene_gn": "Gene: GNormPlus + NLM-Gene train (minus held-out); dev held-out part",
    "gene_fam": "as gene_v04, but GNormPlus/NLM-Gene FamilyName spans marked missing instead of O",
    "gene_notmv3": "as gene_v04, without tmVar3 (the 0.3.0 gene data)",
}
MAX_STEPS = {"chem": 3600, "chem_bc5": 4200, "gene": 4800, "gene_famlabel": 4800, "gene_domain": 4800, "gene_gnfam": 4800, "gene_up": 4800, "gene_up_w192": 4800, "gene_v04": 4800,
             "gene_gn": 4200, "gene_fam": 4800, "gene_notmv3": 3600}
MISSING_TYPES = {"gene_fam": frozenset({"FamilyName"}), "gene": frozenset({FAMILY_LIKE}),
                 "gene_domain": frozenset({FAMILY_LIKE}), "gene_up": frozenset({FAMILY_LIKE}),
                 "gene_up_w192": frozenset({FAMILY_LIKE})}
LABEL_MAPS = {"gene": GENE_FAMILY_MAP, "gene_famlabel": GENE_FAMILY_MAP,
              "gene_domain": GENE_FAMILY_DOMAIN_MAP, "gene_gnfam": GENE_FAMILY_MAP,
              "gene_up": GENE_FAMILY_MAP, "gene_up_w192": GENE_FAMILY_MAP}


def label_map_for(run: str) -> dict[str, str]:
    """Corpus type -> training label of one run (:data:`LABEL_MAPS`, else by the run's kind)."""
    return LABEL_MAPS.get(run, CHEM_MAP if run.startswith("chem") else GENE_MAP)


# per-run config overrides on top of data/ner/config.cfg (which uses the floret
# vectors built by the ``vectors`` step: paths.vectors = {work}/vectors)
RUN_OVERRIDES: dict[str, dict] = {"gene_up_w192": {"components.ner.model.tok2vec.width": 192}}
SHIPPED = {"ner_chem": "chem", "ner_gene": "gene_up"}

CORPUS_FILES = {
    "bc5cdr_train": "BC5CDR/CDR_TrainingSet.PubTator.txt",
    "bc5cdr_dev": "BC5CDR/CDR_DevelopmentSet.PubTator.txt",
    "biored_train": "BioRED/Train.PubTator",
    "biored_dev": "BioRED/Dev.PubTator",
    "gnormplus": "GNormPlus/GNormPlus_Train.PubTator",
    "nlmgene": "NLM-Gene/NLMgene_Train.PubTator",
    "tmvar3": "tmVar3/tmVar3_Train.PubTator",
}


# Extra infixes on top of scispaCy's rules. scispaCy keeps "carbamazepine-induced",
def holdout_split(docs: list[PubTatorDoc], every: int = HOLDOUT_EVERY) -> tuple[list, list]:
    """Deterministic split: sort by numeric PMID, every ``every``-th (index % every == every-1) is held out."""
    ordered = sorted(docs, key=lambda d: (int(d.pmid) if d.pmid.isdigit() else 0, d.pmid))
    train = [d for i, d in enumerate(ordered) if i % every != every - 1]
    held = [d for i, d in enumerate(ordered) if i % every == every - 1]
    return train, held


@dataclass
class AlignStats:
    """How the gold mentions mapped onto the tokenizer's tokens."""

    spans: int = 0
    """Gold mentions of a trained type."""
    aligned: int = 0
    """Mentions whose bounds are token bounds."""
    misaligned: int = 0
    """Mentions that start or end inside a token."""
    overlapping: int = 0
    """Mentions left out because a longer one covers their tokens."""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def to_spacy_docs(nlp, docs: Iterable[PubTatorDoc], label_map: dict[str, str], stats: AlignStats,
                  missing_types: frozenset[str] = frozenset()):
    """Tokenize each document and set its gold entities.

    Gold spans that do not fall on token boundaries are counted and their
    tokens marked *missing* (neither entity nor O) so training is not told
    a wrong boundary. Overlapping gold spans keep the longest. Mentions whose
    type is in ``missing_types`` (e.g. GNormPlus ``FamilyName``, which BioRED
    would call a gene) are marked missing too, neither entity nor O.
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
        for m in d.mentions:
            if m.type in missing_types:
                span = doc.char_span(m.start, m.end, alignment_mode="expand")
                if span is not None and not set(range(span.start, span.end)) & taken:
                    missing.append(span)
                    taken |= set(range(span.start, span.end))
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

    gene_train = clean(gn_tr + nl_tr + bi_tr)
    seen = {d.pmid for d in gene_train}
    tmv3_new = [d for d in clean(_pmid_docs(corpora, "tmvar3")) if d.pmid not in seen]
    gn_nl = clean(gn_tr + nl_tr)  # the family-annotating corpora (family_train_docs)
    families = family_surfaces(gn_nl)
    merged = clean(bi_tr) + tmv3_new  # corpora whose gene label covers families too
    fam_train = gn_nl + [mark_family_like(d, families) for d in merged]
    gene_dev = gn_held + nl_held + bi_dev

    return {
        "chem": {"train": clean(bc_tr + bi_tr), "dev": bc_dev + bi_dev},
        "chem_bc5": {"train": clean(bc_tr), "dev": bc_dev},
        "gene": {"train": fam_train, "dev": gene_dev},
        "gene_famlabel": {"train": gene_train + tmv3_new, "dev": gene_dev},
        "gene_domain": {"train": fam_train, "dev": gene_dev},
        "gene_gnfam": {"train": gn_nl, "dev": gene_dev},
        "gene_up": {"train": gn_nl + fam_train, "dev": gene_dev},
        "gene_up_w192": {"train": gn_nl + fam_train, "dev": gene_dev},
        "gene_v04": {"train": gene_train + tmv3_new, "dev": gene_dev},
        "gene_gn": {"train": gn_nl, "dev": gn_held + nl_held},
        "gene_fam": {"train": clean(gn_tr + nl_tr + bi_tr), "dev": gene_dev},
        "gene_notmv3": {"train": gene_train, "dev": gene_dev},
        "gene_heldout": {"gnormplus": gn_held, "nlmgene": nl_held},
    }


def family_train_docs(corpora: Path) -> list[PubTatorDoc]:
    """The GNormPlus + NLM-Gene train documents exactly as :func:`build_splits` trains on them
    (held-out part and any document of a dev set removed): the one source of family surfaces
    for both the training labels and the shipped lexicon."""
    return build_splits(corpora)["gene_gnfam"]["train"]


def family_surfaces(docs: Iterable[PubTatorDoc]) -> frozenset[str]:
    """Mention texts (case- and space-folded) that family-annotating corpora (GNormPlus,
    NLM-Gene) call ``FamilyName`` more often than ``Gene``: the words a gene-or-family label
    (BioRED, tmVar3) would use for a family. Train documents only."""
    fam: Counter[str] = Counter()
    gene: Counter[str] = Counter()
    for d in docs:
        for m in d.mentions:
            if m.type == "FamilyName":
                fam[surface_key(m.text)] += 1
            elif m.type in GENE_MAP:
                gene[surface_key(m.text)] += 1
    return frozenset(k for k, n in fam.items() if n > gene[k])


def mark_family_like(doc: PubTatorDoc, families: frozenset[str]) -> PubTatorDoc:
    """A copy of ``doc`` whose gene mentions with a family surface get type :data:`FAMILY_LIKE`."""
    from dataclasses import replace

    mentions = [replace(m, type=FAMILY_LIKE) if m.type in GENE_MAP and surface_key(m.text) in families
                else m for m in doc.mentions]
    return replace(doc, mentions=mentions)


def convert(corpora: Path, work: Path) -> dict:
    """Write ``{work}/{chem,gene}_{train,dev}.spacy`` and the held-out gold PubTator files."""
    from spacy.tokens import DocBin

    work.mkdir(parents=True, exist_ok=True)
    nlp = make_tokenizer_nlp()
    splits = build_splits(corpora)
    report: dict = {}
    for model in RUNS:
        label_map = label_map_for(model)
        for part in ("train", "dev"):
            stats = AlignStats()
            sdocs = to_spacy_docs(nlp, splits[model][part], label_map, stats,
                                  MISSING_TYPES.get(model, frozenset()) if part == "train" else frozenset())
            DocBin(docs=sdocs, store_user_data=True).to_disk(work / f"{model}_{part}.spacy")
            labels = Counter(e.label_ for d in sdocs for e in d.ents)
            report[f"{model}_{part}"] = {"docs": len(sdocs), "labels": dict(labels), **stats.as_dict()}
    for name, docs in splits["gene_heldout"].items():
        write_pubtator(docs, work / f"heldout_{name}.PubTator")
    write_pubtator(splits["gene_heldout"]["gnormplus"] + splits["gene_heldout"]["nlmgene"],
                   work / "heldout_genes.PubTator")
    (work / "convert_report.json").write_text(json.dumps(report, indent=2))
    return report


# Unlabeled text for the self-trained floret vectors: the train splits and the
# other local corpora (labels ignored), deduplicated by PMID. Dev / held-out
# documents are never used, not even as unlabeled text: the BC5CDR and BioRED
# dev files are not listed, and any document (from any corpus here, e.g. a
# tmVar or SETH abstract) whose PMID is in a dev set (BC5CDR dev, BioRED dev,
# the GNormPlus/NLM-Gene held-out part) is dropped (see dev_pmids()).
UNLABELED_PUBTATOR = [
    "BC5CDR/CDR_TrainingSet.PubTator.txt",
    "BioRED/Train.PubTator", "GNormPlus/GNormPlus_Train.PubTator",
    "NLM-Gene/NLMgene_Train.PubTator", "tmVar1/train.PubTator.txt", "tmVar3/tmVar3_Train.PubTator",
    "tmVar2_normalization/tmVar.Normalization.txt",
]
UNLABELED_TSV = ["MutationFinder/devo_set.txt", "SETH/corpus.txt"]  # PMID<TAB>text[<TAB>text]
# floret settings (spaCy floret vectors mode): one hashed table for words and
# character 3-6-grams, so unseen chemical names still get a vector.
FLORET = {"model": "cbow", "dim": 100, "minn": 3, "maxn": 6, "hashCount": 2,
          "bucket": 25000, "epoch": 20, "minCount": 1, "lr": 0.05, "ws": 5}


def dev_pmids(corpora: Path) -> set[str]:
    """PMIDs of every dev / held-out document: BC5CDR dev, BioRED dev and the
    GNormPlus + NLM-Gene held-out part (:func:`holdout_split`)."""
    splits = build_splits(corpora)
    held = splits["gene_heldout"]
    return {d.pmid for d in splits["chem"]["dev"] + held["gnormplus"] + held["nlmgene"]}


def unlabeled_texts(corpora: Path, exclude: set[str] | None = None) -> dict[str, str]:
    """``{pmid: text}`` over the local corpora in :data:`UNLABELED_PUBTATOR` / :data:`UNLABELED_TSV`
    (title + abstract; labels are not read), without any document whose PMID is in
    ``exclude`` (default: :func:`dev_pmids` — dev / held-out text never reaches the vectors)."""
    exclude = dev_pmids(corpora) if exclude is None else exclude
    texts: dict[str, str] = {}
    for rel in UNLABELED_PUBTATOR:
        path = corpora / rel
        if path.exists():
            for d in read_pubtator(path):
                if d.pmid not in exclude:
                    texts.setdefault(d.pmid, d.text)
    for rel in UNLABELED_TSV:
        path = corpora / rel
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                pmid, _, rest = line.partition("\t")
                pmid = pmid.strip()
                if rest.strip() and pmid not in exclude:
                    texts.setdefault(pmid, rest.replace("\t", " ").strip())
    return texts


def build_vectors(corpora: Path, work: Path) -> Path:
    """Train floret vectors on :func:`unlabeled_texts` (project tokenizer, one thread, fixed seed)
    and convert them to a spaCy vectors model at ``{work}/vectors``.

    The text excludes every dev / held-out document (:func:`dev_pmids`)."""
    try:
        import floret
    except ImportError as exc:  # training-only dependency (loading the model needs only spaCy)
        raise SystemExit("the `vectors` step needs floret: pip install floret==0.10.5") from exc
    import spacy
    from spacy.training.initialize import convert_vectors

    work.mkdir(parents=True, exist_ok=True)
    nlp = make_tokenizer_nlp()
    texts = unlabeled_texts(corpora)
    lines = [" ".join(t.text for t in doc if not t.is_space)
             for doc in nlp.tokenizer.pipe(texts[k] for k in sorted(texts))]
    txt = work / "unlabeled.txt"
    txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t0 = time.time()
    ft = floret.train_unsupervised(str(txt), mode="floret", thread=1, verbose=0, **FLORET)
    ft.save_floret_vectors(str(work / "vectors.floret"))
    vnlp = spacy.blank("en")
    convert_vectors(vnlp, work / "vectors.floret", truncate=0, prune=-1, mode="floret")
    out = work / "vectors"
    vnlp.to_disk(out)
    n_tok = sum(len(x.split()) for x in lines)
    (work / "vectors_report.json").write_text(json.dumps(
        {"docs": len(lines), "tokens": n_tok, "excluded_dev_pmids": len(dev_pmids(corpora)),
         "seconds": round(time.time() - t0, 1), **FLORET}, indent=2))
    log.info("vectors: %d docs, %d tokens, %.0fs -> %s", len(lines), n_tok, time.time() - t0, out)
    return out


def train(model: str, work: Path, config: Path | None = None, overrides: dict | None = None,
          name: str | None = None) -> Path:
    """Train one model (``chem`` or ``gene``) with spaCy's training loop; return its output dir
    (``{work}/model_{name or model}``)."""
    from spacy.cli.train import train as spacy_train

    config = config or data_path("ner", "config.cfg")
    out = work / f"model_{name or model}"
    ov = {
        "paths.train": str(work / f"{model}_train.spacy"),
        "paths.dev": str(work / f"{model}_dev.spacy"),
        "paths.vectors": str(work / "vectors"),
        "system.seed": SEED,
    }
    ov.update(RUN_OVERRIDES.get(model, {}))
    ov.update(overrides or {})
    random.seed(SEED)
    t0 = time.time()
    spacy_train(config, out, overrides=ov, use_gpu=-1)
    (out / "wall_time_s.txt").write_text(f"{time.time() - t0:.0f}\n")
    return out


def write_family_lexicon(corpora: Path, dest: Path) -> int:
    """Write :data:`extractors.nlp.ner.FAMILY_LEXICON` into the model folder ``dest``: the
    :func:`family_surfaces` of :func:`family_train_docs`, the documents training used.

    At run time a ``Gene`` prediction with one of these texts is read as a family
    (``GeneFamily``), the convention of the family-annotating corpora; returns the entry count."""
    fams = sorted(family_surfaces(family_train_docs(corpora)))
    header = ("# Gene-family surfaces (case- and space-folded), one per line: mention texts that the\n"
              "# GNormPlus and NLM-Gene train parts (every 10th document by PMID held out, dev-set PMIDs\n"
              "# removed) annotate as FamilyName more often than as Gene.\n"
              "# Written by `python -m pipeline.training.ner assemble`.\n")
    (dest / FAMILY_LEXICON).write_text(header + "".join(f"{f}\n" for f in fams), encoding="utf-8")
    return len(fams)


def assemble(work: Path, dest: Path | None = None, shipped: dict[str, str] | None = None,
             corpora: Path = DEFAULT_CORPORA) -> Path:
    """Combine the ``model-best`` of the runs in :data:`SHIPPED` into one pipeline at ``dest``,
    with the gene-family lexicon (:func:`write_family_lexicon`) beside it."""
    import spacy

    dest = dest or data_path("ner", "model")
    shipped = shipped or SHIPPED
    nlp = make_tokenizer_nlp()
    for comp, run in shipped.items():
        src = spacy.load(work / f"model_{run}" / "model-best")
        if src.vocab.vectors.shape[0] and not nlp.vocab.vectors.shape[0]:
            nlp.vocab.vectors = src.vocab.vectors  # the floret table (shared by all components)
        nlp.add_pipe("ner", name=comp, source=src)
    nlp.meta.update(
        {
            "name": "oncotriples_ner",
            "version": MODEL_VERSION,
            "description": "OncoTriples NER: scispaCy tokenizer (+ project affix rules) + CNN NER with self-trained floret vectors (dev/held-out text excluded) for Chemical/Disease and Gene (+ internal GeneFamily label)",
            "license": "MIT",
        }
    )
    if dest.exists():
        shutil.rmtree(dest)
    nlp.to_disk(dest)
    write_family_lexicon(corpora, dest)
    return dest


def evaluate(work: Path, model: str = "bundled", corpora: Path = DEFAULT_CORPORA) -> dict:
    """Run ``annotate_pubtator`` on each dev set and score it with the shared scorer."""
    from pipeline.stages.mentions import annotate_pubtator

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
                log.info("%-18s %-8s %s", name, "ner" if ner_only else "ner+lex", line)
    (work / "eval.json").write_text(json.dumps(results, indent=2))
    return results


def _train_in_parallel(models: list[str], a: argparse.Namespace) -> None:
    """Run ``train`` for each model in its own single-threaded process, ``a.jobs`` at a time.

    Each process is the same code path as a sequential ``train`` (same config, seed and
    overrides), so the models are the same as trained one after the other."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    pending = list(models)
    running: list[tuple[str, subprocess.Popen]] = []
    failed: list[str] = []
    while pending or running:
        while pending and len(running) < a.jobs:
            m = pending.pop(0)
            cmd = [sys.executable, "-m", "pipeline.training.ner", "train", "--model", m,
                   "--corpora", str(a.corpora), "--work", str(a.work)]
            if a.max_steps:
                cmd += ["--max-steps", str(a.max_steps)]
            if a.config:
                cmd += ["--config", str(a.config)]
            logfile = open(a.work / f"train_{m}.log", "w", encoding="utf-8")  # the child keeps its own copy
            running.append((m, subprocess.Popen(cmd, stdout=logfile, stderr=subprocess.STDOUT, env=env)))
            log.info("train %s: started (log %s)", m, a.work / f"train_{m}.log")
            logfile.close()
        time.sleep(5)
        for m, proc in list(running):
            if proc.poll() is not None:
                running.remove((m, proc))
                log.info("train %s: exit %s", m, proc.returncode)
                if proc.returncode:
                    failed.append(m)
    if failed:
        raise SystemExit(f"training failed for {', '.join(failed)}; see the train_*.log files in {a.work}")


def main(argv: list[str] | None = None) -> None:
    """Command line: run one step (or ``all``); progress and results are logged to stderr."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(prog="python -m pipeline.training.ner", description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["convert", "vectors", "train", "assemble", "evaluate", "all"])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("ONCOTRIPLES_NER_WORK", DEFAULT_WORK)),
                    help="work folder (default: $ONCOTRIPLES_NER_WORK, else %(default)s)")
    ap.add_argument("--model", choices=[*RUNS, "shipped"], default="shipped",
                    help="training run (default: the two runs the bundled model ships)")
    ap.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--dest", type=Path, default=None)
    ap.add_argument("--jobs", type=int, default=1,
                    help="train this many models at once, one process and one thread each (2 on a 2-core machine)")
    a = ap.parse_args(argv)
    models = list(SHIPPED.values()) if a.model == "shipped" else [a.model]
    if a.step in ("convert", "all"):
        log.info("%s", json.dumps(convert(a.corpora, a.work), indent=2))
    if a.step in ("vectors", "all"):
        build_vectors(a.corpora, a.work)
    if a.step in ("train", "all"):
        if a.jobs > 1 and len(models) > 1:
            _train_in_parallel(models, a)
        else:
            for m in models:
                train(m, a.work, a.config, {"training.max_steps": a.max_steps or MAX_STEPS[m]})
    if a.step in ("assemble", "all"):
        log.info("%s", assemble(a.work, a.dest, corpora=a.corpora))
    if a.step in ("evaluate", "all"):
        evaluate(a.work, corpora=a.corpora)


if __name__ == "__main__":
    main()
