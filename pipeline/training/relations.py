"""Train and evaluate the relation model (``extractors.nlp.relations``) on CIViC evidence statements.

  python -m pipeline.training.relations train --civic ../shared/corpora/CIViC --out data/relations
  python -m pipeline.training.relations evaluate --civic ../shared/corpora/CIViC --model data/relations

Training data are the CIViC *train* statements with the scorer's own gold (the scorer is
imported from ``../shared/tools/score_civic.py`` so labels use its normalisation). Each
candidate is labelled by matching its drugs, gene and alteration against the item's gold
keys; the item's other candidates are negatives. Hyper-parameters, calibration and the
emission threshold come from out-of-fold predictions grouped by source paper, so no
statement is scored by a model that saw its paper. CIViC dev and the shared dev gold are
only measured (``evaluate``). Retraining after a lexicon change is the same ``train``
command: candidates are regenerated from the current lexicons.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import io
import json
import logging
import math
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from extractors.nlp.candidates import WINDOW_AFTER, WINDOW_BEFORE
from extractors.nlp.relations import (
    CLASSES,
    RelationModel,
    RuleIndex,
    ScoredKey,
    document_rows,
    ece,
    score_keys,
)
from schemas.errors import InputError
from schemas.versions import RELATION_MODEL_VERSION

log = logging.getLogger(__name__)

SEED = 13
FOLDS = 5
C_GRID = (0.03, 0.1, 0.3, 1.0)
MIN_FEATURE_COUNT = 2
VARIANT_MIN_SHARE = 0.6
"""Share of a variant's train profiles one gene must hold to enter the variant–gene table."""


# ---------------------------------------------------------------- data


def load_scorer(path: Path) -> ModuleType:
    """Import ``score_civic.py`` by path, so gold keys and matching are exactly the scorer's."""
    spec = importlib.util.spec_from_file_location("score_civic", path)
    if spec is None or spec.loader is None:
        raise InputError(f"{path}: cannot import the CIViC scorer")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_scorer(civic: Path) -> Path:
    return civic.resolve().parent.parent / "tools" / "score_civic.py"


def make_items(scorer: ModuleType, tsv: Path, out: Path) -> list[dict[str, Any]]:
    """The scorer's documents and gold for one part (its progress line goes to the log)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        scorer.make(str(tsv), str(out), False)
    log.info("%s", buf.getvalue().strip())
    return [json.loads(line) for line in (out / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def citations(tsv: Path) -> dict[str, str]:
    """``EID<id>`` → source paper, the unit the split and the CV folds group by."""
    with tsv.open(encoding="utf-8", newline="") as f:
        return {f"EID{r['evidence_id']}": f"{r['source_type']}:{r['citation_id']}" for r in csv.DictReader(f, delimiter="\t")}


def variant_gene_table(scorer: ModuleType, tsv: Path, min_count: int = 2, min_share: float = VARIANT_MIN_SHARE) -> tuple[dict[str, str], dict[str, int]]:
    """Variants seen mostly in one gene (``V600E`` → BRAF) in the part's molecular profiles.

    A majority is enough: the table is only consulted when neither the sentence nor the
    drug's target names a gene, and the model weighs how the gene was inferred.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with tsv.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            mp = r["molecular_profile"]
            if re.search(r"\b(AND|OR|NOT)\b", mp):
                continue
            genes, alt, fusion = scorer.profile(mp)
            if fusion or not alt or len(genes) != 1 or not re.fullmatch(r"[A-Z]\d+[A-Z*]|[A-Z]\d+X", alt):
                continue
            counts[alt][next(iter(genes))] += 1
    table: dict[str, str] = {}
    totals: dict[str, int] = {}
    for alt in sorted(counts):
        gene, n = counts[alt].most_common(1)[0]
        total = sum(counts[alt].values())
        if n >= min_count and n / total >= min_share:
            table[alt] = gene
            totals[alt] = n
    return table, totals


@dataclass
class DocRows:
    """One statement: its candidates, features, rule index and gold."""

    doc_id: str
    candidates: list[Any]
    feats: list[dict[str, float]]
    rules: RuleIndex
    gold: list[dict[str, Any]]
    label_gold: list[dict[str, Any]] = field(default_factory=list)
    """Gold a candidate is labelled against: the items of every document with the same statement
    text (CIViC writes one statement for several items, each with its own variant or drug, and a
    pair curated in a sibling item is not a negative). Empty: ``gold``."""


def process_documents(nlp: Any, docs_dir: Path, gold: list[dict[str, Any]], variant_genes: dict[str, str]) -> list[DocRows]:
    """Run the NLP pipeline (no triple stage) and the rule assembler; return candidates with features."""
    from extractors.nlp.triples import TripleAssembler
    from extractors.text.formats import parse_document
    from pipeline.stages.extract import document_default_level, nlp_text

    assembler = TripleAssembler()
    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in gold:
        by_doc[g["doc_id"]].append(g)
    out: list[DocRows] = []
    texts: dict[str, bytes] = {}
    for doc_id in sorted(by_doc):
        path = docs_dir / f"{doc_id}.txt"
        data = path.read_bytes()
        doc = parse_document(data, doc_id=doc_id, filename=path.name, source="file", source_id=str(path))
        sd = nlp.make_doc(nlp_text(doc))
        sd._.doc_id = doc_id
        sd._.source_id = str(path)
        sd._.sections = [(s.start, s.end, s.label) for s in doc.sections] or None
        sd._.default_level = document_default_level(doc)
        for _name, proc in nlp.pipeline:
            sd = proc(sd)
        rules = assembler.assemble(sd)
        _facts, cands, feats = document_rows(sd, rules, variant_genes)
        out.append(DocRows(doc_id, cands, feats, RuleIndex.build(rules), by_doc[doc_id]))
        texts[doc_id] = data.strip()
    siblings: dict[bytes, list[dict[str, Any]]] = defaultdict(list)
    for d in out:
        siblings[texts[d.doc_id]].extend(d.gold)
    for d in out:
        d.label_gold = siblings[texts[d.doc_id]]
    return out


def code_inns(scorer: ModuleType) -> dict[str, str]:
    """Sponsor code (in the scorer's comparable form) → INN, from the drug lexicon.

    CIViC records a therapy by its INN even where the statement names only the code
    (``MEK162`` for binimetinib), while the guideline keeps a code the text does not map; a
    candidate is labelled by the drug it names, whichever name the text used.
    """
    from extractors.nlp.lexicons import load_drug_lexicon

    out: dict[str, str] = {}
    for e in load_drug_lexicon().entries:
        if e.is_code:
            out.setdefault(scorer.drugname(e.synonym), scorer.drugname(e.canonical))
    return out


def label(scorer: ModuleType, drugs: Iterable[str], gene: str, alteration: str, gold: list[dict[str, Any]], codes: dict[str, str] | None = None) -> str | None:
    """Gold outcome when the key matches an expected key, ``none`` when it does not, None when undecidable.

    With ``codes`` (:func:`code_inns`), a code name also matches the INN it stands for.
    """
    ds = sorted(scorer.drugname(d) for d in drugs)
    readings = [ds]
    if codes and any(d in codes for d in ds):
        readings.append(sorted(codes.get(d, d) for d in ds))
    for g in gold:
        if gene.upper() not in g["genes"]:
            continue
        for k in g["keys"]:
            if sorted(k) not in readings:
                continue
            if g["alteration"] is None:
                return None  # the item's variant has no guideline form: cannot tell
            if scorer.alt_matches(g["alteration"], g["fusion"], alteration):
                return g["outcome"]
    return "none"


def n_expected(gold: Iterable[dict[str, Any]]) -> int:
    """Expected keys of the scorer's ``all`` view."""
    return sum(len(g["keys"]) for g in gold if g["alteration"] is not None)


# ---------------------------------------------------------------- fitting


def fit(feats: list[dict[str, float]], y: list[int], c_value: float, seed: int) -> RelationModel:
    """Multinomial logistic regression over features seen at least ``MIN_FEATURE_COUNT`` times."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(k for f in feats for k in f)
    keep = {k for k, n in counts.items() if n >= MIN_FEATURE_COUNT}
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform([{k: v for k, v in f.items() if k in keep} for f in feats])
    lr = LogisticRegression(C=c_value, max_iter=3000, random_state=seed)
    lr.fit(x, np.asarray(y))
    if list(lr.classes_) != list(range(len(CLASSES))):
        raise ValueError(f"training labels cover classes {list(lr.classes_)}, need all of {CLASSES}")
    return RelationModel(features=list(vec.get_feature_names_out()), coef=np.asarray(lr.coef_), intercept=np.asarray(lr.intercept_))


def training_rows(scorer: ModuleType, docs: list[DocRows]) -> tuple[list[dict[str, float]], list[int], list[int]]:
    """Features, labels and document index of every decidable candidate.

    Left out as undecidable: a candidate whose gene and alteration are the item's but whose drug
    is not a lexicon name (it may be a synonym the lexicon lacks, ``MRTX849`` for adagrasib), and a
    compound alteration (the scorer keeps no compound profile, so it could never be positive).
    """
    feats, y, doc_of = [], [], []
    codes = code_inns(scorer)
    for i, d in enumerate(docs):
        for c, f in zip(d.candidates, d.feats, strict=True):
            gold = d.label_gold or d.gold
            lab = label(scorer, c.therapy.drugs, c.gene, c.alt.alteration, gold, codes)
            if lab is None or c.alt.vtype == "compound":
                continue
            if lab == "none" and any(m.source != "lexicon" for m in c.therapy.members) and _gene_alt_match(scorer, c.gene, c.alt.alteration, gold):
                continue
            feats.append(f)
            y.append(CLASSES.index(lab))
            doc_of.append(i)
    return feats, y, doc_of


def _gene_alt_match(scorer: ModuleType, gene: str, alteration: str, gold: list[dict[str, Any]]) -> bool:
    return any(gene.upper() in g["genes"] and g["alteration"] is not None and scorer.alt_matches(g["alteration"], g["fusion"], alteration) for g in gold)


def key_outcomes(scorer: ModuleType, model: RelationModel, d: DocRows) -> list[tuple[ScoredKey, bool]]:
    """Every candidate key of a document with the model's outcome and whether that key is right."""
    out = []
    for sk in score_keys(model, d.candidates, d.feats, d.rules):
        lab = label(scorer, sk.key[0], sk.key[1], sk.key[2], d.gold)
        out.append((sk, lab == sk.outcome))
    return out


def grouped_folds(docs: list[DocRows], cites: dict[str, str], k: int, seed: int) -> list[int]:
    """Fold of each document; all statements of one paper share a fold."""
    papers = sorted({cites.get(d.doc_id, d.doc_id) for d in docs})
    rng = random.Random(seed)
    rng.shuffle(papers)
    fold_of = {p: i % k for i, p in enumerate(papers)}
    return [fold_of[cites.get(d.doc_id, d.doc_id)] for d in docs]


def oof_keys(scorer: ModuleType, docs: list[DocRows], folds: list[int], c_value: float, seed: int) -> list[tuple[float, bool, str, int, int]]:
    """Out-of-fold (raw score, correct, group, fold, document index) for every candidate key."""
    feats, y, doc_of = training_rows(scorer, docs)
    out: list[tuple[float, bool, str, int, int]] = []
    for fold in sorted(set(folds)):
        tr = [i for i, di in enumerate(doc_of) if folds[di] != fold]
        model = fit([feats[i] for i in tr], [y[i] for i in tr], c_value, seed)
        for di, d in enumerate(docs):
            if folds[di] == fold:
                out.extend((sk.score, ok, sk.group, fold, di) for sk, ok in key_outcomes(scorer, model, d))
    return out


GROUPS = ("model", "rule")
"""Keys the rule assembler did not produce (``model``) and keys it did (``rule``)."""


RULE_KEEP = 0.99
"""For the rule veto: share of the rule assembler's correct keys (out of fold) it must keep."""


def best_thresholds(scored: list[tuple[float, bool, str]], expected: int, rule_keep: float = RULE_KEEP) -> tuple[dict[str, float], float, float, float]:
    """(raw-score threshold per group, F1, precision, recall) of the ``all`` view.

    ``rule_veto`` is the highest threshold keeping ``rule_keep`` of the correct rule keys (the
    component's default; ``rule`` 0.0 keeps every rule key); the ``model`` threshold then
    maximises key-level F1 with the vetoed rule keys emitted.
    """
    rule_ok = sorted((s for s, ok, g in scored if g == "rule" and ok), reverse=True)
    t_veto = rule_ok[max(0, math.ceil(rule_keep * len(rule_ok)) - 1)] if rule_ok else 0.0
    rule_ok_all = [ok for s, ok, g in scored if g == "rule" and s >= t_veto]
    cut, f1, p, r = best_cut(rule_ok_all, [(s, ok) for s, ok, g in scored if g == "model"], expected)
    return {"model": cut, "rule": 0.0, "rule_veto": t_veto}, f1, p, r


def best_cut(kept: list[bool], scored: list[tuple[float, bool]], expected: int) -> tuple[float, float, float, float]:
    """(score cut, F1, precision, recall) maximising key-level F1 when ``kept`` keys are emitted
    anyway and ``scored`` keys from the cut up; 1.01 (emit none of them) when nothing does better."""
    best = (1.01, 0.0, 0.0, 0.0)
    for cut in sorted({round(s, 4) for s, _ in scored}) + [1.01]:
        emitted = kept + [ok for s, ok in scored if s >= cut]
        if not emitted:
            continue
        tp = sum(emitted)
        p, r = tp / len(emitted), tp / expected
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best[1] + 1e-9:
            best = (cut, f1, p, r)
    return best


def best_document_threshold(oof: list[tuple[float, bool, str, int, int]], thresholds: dict[str, float], expected: int) -> tuple[dict[str, float], float, float, float]:
    """Add ``document_best``: the score at which a document's best key is emitted when no key passed.

    A statement naming a therapy and an alteration nearly always relates some pair of them,
    so its best-scored key is worth emitting at a lower score than a key among many; the
    threshold maximises key-level F1 out of fold (1.01 turns it off).
    """
    by_doc: dict[int, list[tuple[float, bool, str]]] = defaultdict(list)
    for score, ok, group, _fold, di in oof:
        by_doc[di].append((score, ok, group))

    def passes(score: float, group: str) -> bool:
        return score >= (thresholds["rule_veto"] if group == "rule" else thresholds["model"])

    emitted: list[bool] = []
    fallback: list[tuple[float, bool]] = []
    for keys in by_doc.values():
        kept = [ok for score, ok, group in keys if passes(score, group)]
        emitted.extend(kept)
        if not kept and keys:
            score, ok, _group = max(keys, key=lambda k: k[0])
            fallback.append((score, ok))
    cut, f1, p, r = best_cut(emitted, fallback, expected)
    return {**thresholds, "document_best": cut}, f1, p, r


MIN_CALIBRATION_KEYS = 40
"""Fewest out-of-fold keys behind one calibration step: the standard error of a step's precision
stays under 0.08, so a few lucky top-scored keys cannot make the calibrator promise 0.9."""


def isotonic_table(scored: list[tuple[float, bool, str]], group: str, min_keys: int = MIN_CALIBRATION_KEYS) -> tuple[list[float], list[float]]:
    """Isotonic map raw score → P(correct) for one group, as interpolation knots.

    Isotonic regression's steps are pooled from the top down until each holds ``min_keys``
    keys (a short remainder at the bottom joins the step above it). Pooling adjacent steps of a
    non-decreasing fit keeps it non-decreasing.
    """
    from sklearn.isotonic import IsotonicRegression

    pts = sorted((s, float(ok)) for s, ok, g in scored if g == group)
    x = np.asarray([p[0] for p in pts])
    y = np.asarray([p[1] for p in pts])
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit_transform(x, y)
    steps: list[list[float]] = []  # [x_low, x_high, keys, correct]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and fitted[j + 1] == fitted[i]:
            j += 1
        steps.append([float(x[i]), float(x[j]), j - i + 1, float(y[i : j + 1].sum())])
        i = j + 1
    pooled: list[list[float]] = []
    acc: list[float] | None = None
    for st in reversed(steps):
        acc = st if acc is None else [st[0], acc[1], acc[2] + st[2], acc[3] + st[3]]
        if acc[2] >= min_keys:
            pooled.append(acc)
            acc = None
    if acc is not None:
        if pooled:
            top = pooled[-1]
            pooled[-1] = [acc[0], top[1], top[2] + acc[2], top[3] + acc[3]]
        else:
            pooled.append(acc)
    xs: list[float] = []
    ys: list[float] = []
    for lo, hi, n, correct in reversed(pooled):
        xs += [lo, hi] if hi > lo else [lo]
        ys += [correct / n] * (2 if hi > lo else 1)
    if xs[0] > 0.0:
        xs, ys = [0.0, *xs], [ys[0], *ys]
    if xs[-1] < 1.0:
        xs, ys = [*xs, 1.0], [*ys, ys[-1]]
    return xs, ys


def cross_fitted(oof: list[tuple[float, bool, str, int, int]]) -> list[tuple[float, bool, str]]:
    """Calibrated confidence of each out-of-fold key from a calibrator fitted on the other folds,
    so the reported ECE and reliability are not those of the calibrator's own training data."""
    out = []
    for fold in sorted({x[3] for x in oof}):
        rest = [x[:3] for x in oof if x[3] != fold]
        tables = {g: isotonic_table(rest, g) for g in GROUPS}
        out.extend((float(np.interp(s, *tables[g])), ok, g) for s, ok, g, f, _doc in oof if f == fold)
    return out


def reliability(pairs: list[tuple[float, bool]], edges: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)) -> list[tuple[str, int, float]]:
    """(bucket, count, precision) by calibrated confidence."""
    rows = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        inb = [ok for c, ok in pairs if lo <= c < hi]
        rows.append((f"[{lo:.1f},{min(hi, 1.0):.1f})", len(inb), sum(inb) / len(inb) if inb else float("nan")))
    return rows


def reliability_equal_count(pairs: list[tuple[float, bool]], bins: int = 5) -> list[tuple[str, int, float]]:
    """(confidence range, count, precision) over bins of equal key count.

    Fixed-width buckets leave the top ones nearly empty (a few keys above 0.8), where one
    key moves the precision by a tenth; equal-count bins give every row the same weight.
    """
    ranked = sorted(pairs, key=lambda p: p[0])
    rows = []
    for i in range(bins):
        part = ranked[i * len(ranked) // bins : (i + 1) * len(ranked) // bins]
        if part:
            rows.append((f"[{part[0][0]:.3f},{part[-1][0]:.3f}]", len(part), sum(ok for _, ok in part) / len(part)))
    return rows


# ---------------------------------------------------------------- commands


def train(civic: Path, out: Path, *, ner_model: str = "bundled", scorer_path: Path | None = None, seed: int = SEED, rule_keep: float = RULE_KEEP) -> dict[str, Any]:
    """Train, calibrate and write the model, the variant–gene table and the model card."""
    from extractors.nlp.build import build_nlp

    t0 = time.perf_counter()
    np.random.seed(seed)
    tsv = civic / "civic_train.tsv"
    if not tsv.is_file():
        raise InputError(f"{tsv}: CIViC train part not found")
    scorer = load_scorer(scorer_path or default_scorer(civic))
    variant_genes, variant_counts = variant_gene_table(scorer, tsv)
    cites = citations(tsv)
    with tempfile.TemporaryDirectory(prefix="civic-train-") as tmp:
        gold = make_items(scorer, tsv, Path(tmp))
        nlp = build_nlp(ner_model, with_triples=False)
        docs = process_documents(nlp, Path(tmp) / "docs", gold, variant_genes)
    t_features = time.perf_counter() - t0
    expected = n_expected(gold)
    folds = grouped_folds(docs, cites, FOLDS, seed)
    grid: dict[float, tuple[float, float, float, float]] = {}
    oof: dict[float, list[tuple[float, bool, str, int, int]]] = {}
    for c_value in C_GRID:
        oof[c_value] = oof_keys(scorer, docs, folds, c_value, seed)
        group_thresholds = best_thresholds([x[:3] for x in oof[c_value]], expected, rule_keep)[0]
        grid[c_value] = best_document_threshold(oof[c_value], group_thresholds, expected)
        log.info("C=%g: out-of-fold all-F1 %.3f (P %.3f R %.3f at raw %s)", c_value, grid[c_value][1], grid[c_value][2], grid[c_value][3], grid[c_value][0])
    c_best = max(C_GRID, key=lambda c: (grid[c][1], -c))
    scored = [x[:3] for x in oof[c_best]]
    calibration = {g: isotonic_table(scored, g) for g in GROUPS}
    calibrated = cross_fitted(oof[c_best])
    threshold, f1, p, r = grid[c_best]
    feats, y, _ = training_rows(scorer, docs)
    model = fit(feats, y, c_best, seed)
    model.calibration, model.thresholds = calibration, threshold
    model.variant_genes = variant_genes
    model.name = RELATION_MODEL_VERSION
    elapsed = time.perf_counter() - t0
    label_counts = Counter(CLASSES[i] for i in y)
    meta = {
        "seed": seed,
        "folds": FOLDS,
        "rule_keep": rule_keep,
        "C": c_best,
        "C_grid": {str(c): {"f1": round(v[1], 4), "precision": round(v[2], 4), "recall": round(v[3], 4)} for c, v in grid.items()},
        "oof": {"f1": round(f1, 4), "precision": round(p, 4), "recall": round(r, 4), "threshold": {g: round(t, 4) for g, t in threshold.items()},
                "ece": round(ece([c for c, _, _ in calibrated], [ok for _, ok, _ in calibrated]), 4),
                "reliability": [[b, n, round(prec, 4)] for b, n, prec in reliability([(c, ok) for c, ok, _ in calibrated])]},
        "train": {"items": len(gold), "documents": len(docs), "expected_keys": expected, "candidates": len(y),
                  "labels": dict(sorted(label_counts.items())), "papers": len({cites.get(d.doc_id, d.doc_id) for d in docs})},
        "n_features": len(model.features),
        "variant_table": len(variant_genes),
        "variant_counts": variant_counts,
        "ner_model": ner_model,
        "seconds": {"features": round(t_features, 1), "total": round(elapsed, 1)},
        "machine": f"{platform.machine()} {platform.python_version()}",
    }
    model.meta = {k: v for k, v in meta.items() if k != "seconds"}  # weights file identical on every retrain; time goes in the card
    model.to_disk(out)
    write_model_card(out, meta)
    log.info("wrote %s (%d features, thresholds %s) in %.1f s", out, len(model.features), threshold, elapsed)
    return meta


def write_model_card(out: Path, meta: dict[str, Any], evaluation: dict[str, Any] | None = None) -> None:
    """``MODEL_CARD.md``: data, splits, scores, size, seed and time (evaluation appended when given)."""
    card = out / "MODEL_CARD.md"
    tr, oof = meta["train"], meta["oof"]
    lines = [
        f"# Relation model `{RELATION_MODEL_VERSION}`",
        "",
        "Decides, for every therapy × alteration candidate of a document (same sentence, or the",
        f"alteration in sentence i and the therapy in sentences i-{WINDOW_BEFORE}..i+{WINDOW_AFTER} of the same paragraph), between",
        "no relation, resistance and sensitivity. Alterations are the variant grammar's mentions plus",
        "expression and copy-number phrases read around HGNC gene names; therapies are the written",
        "grouping plus the other reading of every `A and B`. Multinomial logistic regression over a",
        "DictVectorizer of cue / lexical / distance / window / provenance features and the rule",
        "assembler's decision for the key; isotonic calibration on out-of-fold keys, separately for keys",
        "the rules also produced (`rule`: kept unless the score is under `rule_veto`, which keeps 99 % of",
        "the correct rule keys out of fold) and the others (`model`: emitted above the F1-optimal",
        "out-of-fold threshold); a document with no key above its threshold emits its best key if it",
        "reaches `document_best`. Classes and `investigation` triples are the rule assembler's (CIViC",
        "has no labels for them). Weights: `model.json` (plain JSON); variant–gene table: `variant_genes.tsv`.",
        "",
        "## Data and splits",
        "",
        f"- Train: CIViC `civic_train.tsv` predictive items kept by `score_civic.py make`: {tr['items']} items,",
        f"  {tr['papers']} papers, {tr['expected_keys']} expected keys (`all` view), {tr['candidates']} labelled candidates",
        f"  ({', '.join(f'{k} {v}' for k, v in tr['labels'].items())}).",
        f"- Model selection, calibration and threshold: {meta['folds']}-fold cross-validation grouped by paper on train",
        "  only. CIViC dev and the shared dev gold are never used for fitting or tuning.",
        f"- Variant–gene table: {meta['variant_table']} variants seen ≥2 times in one gene (≥{round(100 * VARIANT_MIN_SHARE)} % of their profiles) in train profiles.",
        "",
        "## Training",
        "",
        f"- C grid {list(meta['C_grid'])} → C = {meta['C']}; seed {meta['seed']}; {meta['n_features']} features.",
        f"- Time on this 2-core machine: {meta['seconds']['total']} s (of which candidates/features {meta['seconds']['features']} s).",
        f"- NER model: {meta['ner_model']}; {meta['machine']}.",
        "",
        "## Out-of-fold scores on train (key level, scorer's `all` view)",
        "",
        f"- thresholds (raw score, per group) {oof['threshold']}: precision {oof['precision']}, recall {oof['recall']}, F1 {oof['f1']}",
        f"- calibration cross-fitted over the folds: ECE {oof['ece']} (reliability below, all candidate keys)",
        "",
        "| confidence | keys | precision |",
        "|---|---|---|",
        *(f"| {b} | {n} | {prec} |" for b, n, prec in oof["reliability"]),
        "",
        "Retrain (after a lexicon change too): `python -m pipeline.training.relations train --civic ../shared/corpora/CIViC --out data/relations`.",
        "Measure: `python -m pipeline.training.relations evaluate --civic ../shared/corpora/CIViC --model data/relations`.",
    ]
    if evaluation:
        lines += evaluation_section(evaluation)
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")


EVALUATION_HEADING = "## Evaluation (measured only)"


def evaluation_section(evaluation: dict[str, Any]) -> list[str]:
    return ["", EVALUATION_HEADING, "", "```", *evaluation["lines"], "```"]


def append_evaluation(out: Path, evaluation: dict[str, Any]) -> None:
    """Replace the card's evaluation section, keeping what training wrote (its time is recorded only there)."""
    card = out / "MODEL_CARD.md"
    head = card.read_text(encoding="utf-8").split("\n" + EVALUATION_HEADING, 1)[0].rstrip("\n")
    card.write_text("\n".join([head, *evaluation_section(evaluation)]) + "\n", encoding="utf-8")


def _extract(nlp: Any, paths: list[Path], out: Path) -> float:
    from pipeline.stages.extract import extract_paths
    from schemas.files import write_jsonl

    t0 = time.perf_counter()
    result = extract_paths(paths, nlp)
    write_jsonl(out, result.triples)
    return time.perf_counter() - t0


ERROR_CATEGORIES = (
    "found",
    "wrong outcome",
    "alteration differs",
    "gene differs",
    "drugs in no triple",
)
"""Where each expected CIViC key (``all`` view) ends up, checked in this order against the predictions."""


def civic_error_categories(scorer: ModuleType, gold: list[dict[str, Any]], pred_path: Path) -> Counter[str]:
    """Count the expected keys of the ``all`` view by what the predictions got right, with the scorer's matching."""
    preds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in pred_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            preds[r.get("doc_id", "")].append(r)
    out: Counter[str] = Counter()
    for g in gold:
        if g["alteration"] is None:
            continue
        rows = preds.get(g["doc_id"], [])
        for key in g["keys"]:
            want = sorted(key)
            same_drugs = [r for r in rows if sorted(scorer.drugname(d) for d in r.get("drugs") or []) == want]
            same_gene = [r for r in same_drugs if str(r.get("gene", "")).upper() in g["genes"]]
            same_alt = [r for r in same_gene if scorer.alt_matches(g["alteration"], g["fusion"], r.get("alteration", ""))]
            if any(r.get("outcome") == g["outcome"] for r in same_alt):
                out["found"] += 1
            elif same_alt:
                out["wrong outcome"] += 1
            elif same_gene:
                out["alteration differs"] += 1
            elif same_drugs:
                out["gene differs"] += 1
            else:
                out["drugs in no triple"] += 1
    return out


def evaluate(civic: Path, model_dir: Path, *, gold_dir: Path, corpus: Path, ner_model: str = "bundled", scorer_path: Path | None = None, with_rules: bool = True) -> dict[str, Any]:
    """Shared dev gold and CIViC dev side by side (relation model vs rules), reliability and ECE."""
    from extractors.nlp.build import build_nlp
    from extractors.nlp.relations import RelationModel

    scorer_file = scorer_path or default_scorer(civic)
    scorer = load_scorer(scorer_file)
    score_triples = scorer_file.parent / "score_triples.py"
    model = RelationModel.from_disk(model_dir)
    lines: list[str] = []
    res: dict[str, Any] = {}
    stages = [("relations", "relations"), ("relations-noveto", "relations")] + ([("rules", "rules")] if with_rules else [])
    with tempfile.TemporaryDirectory(prefix="civic-dev-") as tmp:
        tmpd = Path(tmp)
        dev_gold = make_items(scorer, civic / "civic_dev.tsv", tmpd / "civic")
        for label_, stage in stages:
            nlp = build_nlp(ner_model, triple_stage=stage)
            if stage == "relations":
                pipe = nlp.get_pipe("oncotriples_relations")
                pipe.from_disk(model_dir)
                pipe.rule_veto = not label_.endswith("-noveto")
            pred = tmpd / f"gold_{label_}.jsonl"
            secs = _extract(nlp, [corpus], pred)
            proc = subprocess.run([sys.executable, str(score_triples), str(gold_dir), str(pred)], capture_output=True, text=True, check=True)
            lines.append(f"== shared dev gold, {label_} (extract {secs:.1f} s)")
            lines += proc.stdout.strip().splitlines()
            cpred = tmpd / f"civic_{label_}.jsonl"
            _extract(nlp, [tmpd / "civic" / "docs"], cpred)
            with contextlib.redirect_stdout(io.StringIO()):
                r = scorer.score(str(tmpd / "civic"), str(cpred), quiet=True)
            named = tmpd / f"civic_{label_}_named.jsonl"
            named.write_text("".join(line + "\n" for line in cpred.read_text(encoding="utf-8").splitlines() if line.strip() and not json.loads(line).get("drug_class")), encoding="utf-8")
            with contextlib.redirect_stdout(io.StringIO()):
                rn = scorer.score(str(tmpd / "civic"), str(named), quiet=True)
            res[label_] = {"civic_dev": r, "civic_dev_named": rn, "dev_gold": proc.stdout.strip().splitlines()}
            lines.append(f"== CIViC dev, {label_}: pair {r['pair']:.3f}  triple {r['triple']:.3f}  all {r['all']:.3f}  outcome {r['outcome']:.3f}  on-item {r['on_item']:.3f}  ({r['n_pred']} predicted; on-item of named-drug rows {rn['on_item']:.3f}, {rn['n_pred']} rows)")
            cats = civic_error_categories(scorer, dev_gold, cpred)
            res[label_]["civic_dev_categories"] = dict(cats)
            lines.append("   expected keys: " + ", ".join(f"{c} {cats.get(c, 0)}" for c in ERROR_CATEGORIES))
        nlp = build_nlp(ner_model, with_triples=False)
        docs = process_documents(nlp, tmpd / "civic" / "docs", dev_gold, model.variant_genes)
    pairs = [(sk.confidence, ok) for d in docs for sk, ok in key_outcomes(scorer, model, d)]
    e = ece([c for c, _ in pairs], [ok for _, ok in pairs])
    lines.append(f"== CIViC dev candidate keys: {len(pairs)}, ECE {e:.3f} (thresholds {model.thresholds})")
    lines.append("confidence    keys  precision")
    for b, n, prec in reliability(pairs):
        lines.append(f"{b:12s} {n:5d}  {prec:.3f}")
    lines.append("equal-count bins: confidence range    keys  precision")
    for b, n, prec in reliability_equal_count(pairs):
        lines.append(f"{b:24s} {n:5d}  {prec:.3f}")
    res["ece"] = e
    res["reliability"] = reliability(pairs)
    res["reliability_equal_count"] = reliability_equal_count(pairs)
    res["lines"] = lines
    return res


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("spacy", "scispacy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore")
    here = Path(__file__).resolve().parents[2]
    shared = here.parent / "shared"
    ap = argparse.ArgumentParser(prog="python -m pipeline.training.relations", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train, calibrate and write data/relations")
    t.add_argument("--civic", type=Path, default=shared / "corpora" / "CIViC")
    t.add_argument("--out", type=Path, default=here / "data" / "relations")
    t.add_argument("--ner-model", default="bundled")
    t.add_argument("--seed", type=int, default=SEED)
    t.add_argument("--scorer", type=Path, default=None)
    t.add_argument("--rule-keep", type=float, default=RULE_KEEP, help="share of correct rule keys (out of fold) the veto must keep")
    ev = sub.add_parser("evaluate", help="shared dev gold + CIViC dev, reliability and ECE")
    ev.add_argument("--civic", type=Path, default=shared / "corpora" / "CIViC")
    ev.add_argument("--model", type=Path, default=here / "data" / "relations")
    ev.add_argument("--gold", type=Path, default=shared / "gold" / "dev")
    ev.add_argument("--corpus", type=Path, default=shared / "corpus")
    ev.add_argument("--ner-model", default="bundled")
    ev.add_argument("--scorer", type=Path, default=None)
    ev.add_argument("--no-rules", action="store_true", help="skip the rules-only comparison")
    ev.add_argument("--card", action="store_true", help="write the figures into MODEL_CARD.md's evaluation section")
    a = ap.parse_args(argv)
    if a.cmd == "train":
        train(a.civic, a.out, ner_model=a.ner_model, scorer_path=a.scorer, seed=a.seed, rule_keep=a.rule_keep)
    else:
        res = evaluate(a.civic, a.model, gold_dir=a.gold, corpus=a.corpus, ner_model=a.ner_model, scorer_path=a.scorer, with_rules=not a.no_rules)
        sys.stdout.write("\n".join(res["lines"]) + "\n")
        if a.card:
            append_evaluation(a.model, res)


if __name__ == "__main__":
    main()
