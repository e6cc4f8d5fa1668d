"""Learned relation stage: a calibrated classifier decides which candidates are triples.

Rules tuned on a few documents do not transfer; this stage generates candidates
generously (``extractors.nlp.candidates``), describes each with features that
generalise (cue classes and where they sit relative to the entities, the words between
them, distance, sentence offset, section, result sentences, drug target versus gene,
how the gene was inferred, drug source, variant type, and what the rule assembler
decided for the same key), and lets a multinomial logistic regression trained on CIViC
evidence statements choose between no relation, resistance and sensitivity. Its
isotonic-calibrated probability is the triple's ``confidence``.

Therapies named only as a class, and the rule assembler's ``investigation`` triples,
have no training labels in CIViC (it curates named drugs with a stated result), so the
rule assembler's decision is kept for them and marked ``relation:rules_passthrough``.
A named key the rule assembler produced is kept (the rules are the high-precision
override; the model gives it its outcome and calibrated confidence) unless the model
vetoes it: its score is below the ``rule_veto`` threshold, the highest that keeps 99 % of
the correct rule keys out of fold on CIViC train. Long reviews score lower than short
statements, so ``rule_veto=False`` (keep every rule key) is the safer setting for them.

The model is plain JSON (feature names, weights, calibration table, threshold) under
``data/relations/``; inference is a sparse dot product and needs no scikit-learn.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from extractors.nlp import cues as C
from extractors.nlp.candidates import (
    Candidate,
    DocumentFacts,
    Sentence,
    document_candidates,
    document_facts,
)
from extractors.nlp.measures import find_measures
from extractors.nlp.triples import TripleAssembler
from extractors.nlp.triples.scoring import evidence_fields, window_around
from schemas.models import Triple
from schemas.versions import CUE_RULESET_VERSION, MEASURE_RULES_VERSION, RELATION_MODEL_VERSION
from schemas.vocab import NCT_IN_TEXT_RE as NCT_RE
from schemas.vocab import triple_key_id

log = logging.getLogger(__name__)

MODEL_FILE = "model.json"
VARIANT_TABLE_FILE = "variant_genes.tsv"
CLASSES = ("none", "resistance", "sensitivity")
RESULT_LOOKAHEAD = 2
"""Sentences after a pair in which a stated trial result still counts as the pair's."""
_RESULT_METRICS = frozenset({"ORR", "DCR", "iORR", "PFS", "OS", "DOR", "mDOR", "TTF", "HR"})
_WORD = re.compile(r"[A-Za-z][A-Za-z-]+|\d+")
_STOP = frozenset({"the", "a", "an", "of", "and", "in", "with", "to", "was", "were", "is", "are", "for", "by", "that", "this"})
_CUE_GROUPS: tuple[tuple[str, tuple[C.Cue, ...]], ...] = (
    ("res", C.cue_set("resistance")),
    ("sens", C.cue_set("sensitivity")),
    ("inv", C.cue_set("investigation")),
    ("neg", C.cue_set("negation")),
    ("hedge", C.cue_set("hedge")),
)
DOCUMENT_BEST_OFF = 1.01
"""``document_best`` threshold of a model trained without one: a document's best key is never forced out."""
WINDOW_CONTEXT = 2
"""Sentences either side of a candidate pair read for its window features."""
_GENERIC = frozenset({"mutation", "fusion", "amplification", "overexpression", "wild-type", "activation", "compound mutation"})


# ---------------------------------------------------------------- resources


@cache
def drug_targets() -> dict[str, tuple[str, ...]]:
    """Canonical drug name → target genes in the lexicon's order (primary target first)."""
    from extractors.nlp.lexicons import load_drug_lexicon

    return load_drug_lexicon().targets


def read_variant_table(path: Path) -> dict[str, str]:
    """``variant<TAB>gene<TAB>count`` rows → {variant: gene}."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row.get("variant") and row.get("gene"):
                out[row["variant"]] = row["gene"]
    return out


# ---------------------------------------------------------------- features


@dataclass
class _SentenceInfo:
    cues: list[tuple[int, int, str, str]]  # doc offsets, group, rule id
    result: bool
    metrics: list[str]
    composed: list[tuple[int, int, str]] = field(default_factory=list)  # doc offsets, sens | res


@dataclass
class RuleIndex:
    """What the rule assembler decided, by key, for features and for pass-through."""

    by_key: dict[tuple[tuple[str, ...], str, str], list[Triple]] = field(default_factory=dict)
    by_pair: dict[tuple[tuple[str, ...], str], set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, triples: list[Triple]) -> RuleIndex:
        idx = cls()
        for t in triples:
            k = (tuple(sorted(t.drugs)), t.gene, t.alteration)
            idx.by_key.setdefault(k, []).append(t)
            idx.by_pair.setdefault(k[:2], set()).add(t.outcome)
        return idx


def _bucket(n: int) -> str:
    for hi, label in ((0, "0"), (1, "1"), (2, "2"), (5, "3-5"), (10, "6-10"), (20, "11-20")):
        if n <= hi:
            return label
    return ">20"


def _words(s: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(s)]


class FeatureBuilder:
    """Features of the candidates of one document (sentence-level facts computed once)."""

    def __init__(self, facts: DocumentFacts, rules: RuleIndex, targets: Mapping[str, tuple[str, ...]]) -> None:
        self.facts = facts
        self.rules = rules
        self.targets = targets
        self._info: dict[int, _SentenceInfo] = {}

    def sentence_info(self, s: Sentence) -> _SentenceInfo:
        info = self._info.get(s.index)
        if info is None:
            sent = self.facts.text[s.start : s.end]
            cues = [(s.start + a, s.start + b, group, cue.rule_id) for group, table in _CUE_GROUPS for a, b, cue in C.find_cues(sent, table)]
            metrics = sorted({h.measure.metric for h in find_measures(sent)})
            composed = [(s.start + a, s.start + b, pol) for a, b, pol in C.composed_polarity(sent)]
            info = _SentenceInfo(cues, any(m in _RESULT_METRICS for m in metrics), metrics, composed)
            self._info[s.index] = info
        return info

    def window_features(self, c: Candidate) -> dict[str, float]:
        """Where the pair stands among the drugs and alterations around it.

        A statement is about its most-named therapy and change; a generic ``mutation`` next
        to a specific change of the same gene is usually the population, not the finding.
        The window is a few sentences either side, so a long review is read paragraph-like
        rather than as one bag of names.
        """
        facts = self.facts
        lo_i = max(0, min(c.drug_sent.index, c.alt_sent.index) - WINDOW_CONTEXT)
        hi_i = min(len(facts.sentences) - 1, max(c.drug_sent.index, c.alt_sent.index) + WINDOW_CONTEXT)
        lo, hi = facts.sentences[lo_i].start, facts.sentences[hi_i].end
        drug_counts = Counter(d.name for d in facts.drugs if lo <= d.start < hi and not d.is_class)
        alt_counts = Counter(a.alteration for a in facts.alts if lo <= a.start < hi)
        f: dict[str, float] = {}
        mine = [drug_counts.get(m.name, 0) for m in c.therapy.members]
        top_drug = max(drug_counts.values(), default=0)
        f["drug_top" if mine and max(mine) >= top_drug else "drug_not_top"] = 1.0
        f[f"drug_count={_bucket(min(mine) if mine else 0)}"] = 1.0
        f[f"drugs_window={_bucket(len(drug_counts))}"] = 1.0
        top_alt = max(alt_counts.values(), default=0)
        f["alt_top" if alt_counts.get(c.alt.alteration, 0) >= top_alt else "alt_not_top"] = 1.0
        f[f"alts_window={_bucket(len(alt_counts))}"] = 1.0
        same_gene = [a for a in facts.alts if lo <= a.start < hi and a.gene in (c.gene, None) and a.alteration != c.alt.alteration]
        if not c.alt.specific and any(a.specific for a in same_gene):
            f["generic_with_specific"] = 1.0
        if c.alt.specific and any(not a.specific for a in same_gene):
            f["specific_with_generic"] = 1.0
        if c.alt.specific and any(a.specific for a in same_gene):
            f["specific_with_other_specific"] = 1.0
        first = facts.sentences[lo_i]
        if any(first.start <= m.start < first.end for m in c.therapy.members):
            f["drug_in_first_sentence"] = 1.0
        if first.start <= c.alt.start < first.end:
            f["alt_in_first_sentence"] = 1.0
        return f

    def features(self, c: Candidate) -> dict[str, float]:
        text = self.facts.text
        f: dict[str, float] = self.window_features(c)
        off = c.sentence_offset
        f[f"off={off}"] = 1.0
        f[f"sec={c.drug_sent.section}"] = 1.0
        f[f"gene_how={c.gene_how}"] = 1.0
        f[f"vtype={c.alt.vtype}"] = 1.0
        f["alt_specific" if c.alt.specific else "alt_population"] = 1.0
        if c.alt.alteration in _GENERIC:
            f[f"alt={c.alt.alteration}"] = 1.0
        f[f"n_drugs={_bucket(c.n_drugs_sentence)}"] = 1.0
        f[f"n_alts={_bucket(c.n_alts_sentence)}"] = 1.0
        f[f"n_ther={_bucket(c.n_therapies_sentence)}"] = 1.0
        f[f"combo={min(len(c.therapy.members), 3)}"] = 1.0
        f[f"grouping={c.therapy.grouping}"] = 1.0
        if c.alt.rule_id:
            f[f"alt_rule={c.alt.rule_id}"] = 1.0
        for m in c.therapy.members:
            f[f"src={m.source}"] = 1.0
        targets = {t for m in c.therapy.members for t in self.targets.get(m.name, ())}
        if len(c.therapy.members) > 1:
            member_targets = [set(self.targets.get(m.name, ())) for m in c.therapy.members]
            shared = all(member_targets) and bool(set.intersection(*member_targets))
            f[f"combo_targets={'shared' if shared else 'distinct' if all(member_targets) else 'unknown'}|{c.therapy.grouping}"] = 1.0
        target = "match" if c.gene in targets else "other" if targets else "unknown"
        f[f"target={target}"] = 1.0
        f[f"target={target}|off={off}"] = 1.0
        drug_genes = {g for s0, _e0, g in self.facts.genes if c.drug_sent.start <= s0 < c.drug_sent.end}
        if off != 0:
            f["xgene=" + ("same" if c.gene in drug_genes else "other" if drug_genes else "none")] = 1.0
        elif drug_genes - {c.gene}:
            f["other_gene_in_sentence"] = 1.0
        f[f"gene_how={c.gene_how}|target=" + ("match" if c.gene in targets else "other" if targets else "unknown")] = 1.0
        # rule assembler's decision for the same key and the same drug-gene pair
        key = (tuple(c.therapy.drugs), c.gene, c.alt.alteration)
        rule_rows = self.rules.by_key.get(key, [])
        if rule_rows:
            for outcome in sorted({t.outcome for t in rule_rows}):
                f[f"rule={outcome}"] = 1.0
            if any(t.sentence_start == c.drug_sent.start for t in rule_rows):
                f["rule_same_sentence"] = 1.0
        else:
            f["rule=none"] = 1.0
            if key[:2] in self.rules.by_pair:
                f["rule_pair_other_alt"] = 1.0
        # the therapy's own role
        d0, d1 = c.therapy.start, c.therapy.end
        ds = c.drug_sent
        before_drug = text[max(ds.start, d0 - 45) : d0]
        after_drug = text[d1 : min(ds.end, d1 + 25)]
        if C.cue_pattern("resistance_role").search(before_drug) or C.cue_pattern("resistance_role_after").match(after_drug):
            f["role_resistance"] = 1.0
        if C.cue_pattern("prior_role").search(text[max(ds.start, d0 - 90) : d0]):
            f["role_prior"] = 1.0
        if C.cue_pattern("comparator_before").search(text[max(ds.start, d0 - 30) : d0]):
            f["role_comparator"] = 1.0
        for w in _words(before_drug)[-2:]:
            f[f"dl={w}"] = 1.0
        for w in _words(after_drug)[:2]:
            f[f"dr={w}"] = 1.0
        a0, a1 = c.alt.start, c.alt.end
        as_ = c.alt_sent
        for w in _words(text[max(as_.start, a0 - 30) : a0])[-2:]:
            f[f"al={w}"] = 1.0
        for w in _words(text[a1 : min(as_.end, a1 + 30)])[:2]:
            f[f"ar={w}"] = 1.0
        # cues, by where they sit
        dinfo = self.sentence_info(ds)
        if dinfo.result:
            f["result_sentence"] = 1.0
            f[f"result_sentence|off={off}"] = 1.0
        for metric in dinfo.metrics:
            f[f"metric={metric}"] = 1.0
        if NCT_RE.search(text[ds.start : ds.end]):
            f["nct"] = 1.0
        for w in sorted(set(_words(text[ds.start : ds.end])) - _STOP)[:60]:
            f[f"sw={w}"] = 0.5
        negs = [s for s, _e, g, _r in dinfo.cues if g == "neg"]
        for s, _e, group, _rule_id in dinfo.cues:
            if group in ("res", "sens") and any(0 <= s - n <= 30 for n in negs):
                f[f"negated_{group}"] = 1.0
        if off == 0:
            lo, hi = min(d0, a0), max(d1, a1)
            f["order=" + ("drug_first" if d0 < a0 else "alt_first")] = 1.0
            between = text[min(d1, a1) : max(d0, a0)] if (d1 <= a0 or a1 <= d0) else ""
            bw = _words(between)
            f[f"dist={_bucket(len(bw))}"] = 1.0
            for w in (bw if len(bw) <= 12 else bw[:6] + bw[-6:]):
                if w not in _STOP:
                    f[f"btw={w}"] = 1.0
            if re.search(r"[;]|\bwhereas\b|\bbut\b|\bcompared (?:to|with)\b|\bversus\b|\bvs\b", between, re.IGNORECASE):
                f["btw_break"] = 1.0
            for s, _e, polarity in dinfo.composed:
                where = "before" if s < lo else "between" if s < hi else "after"
                f[f"comp={polarity}"] = 1.0
                f[f"comp={polarity}@{where}"] = 1.0
            for s, _e, group, rule_id in dinfo.cues:
                where = "before" if s < lo else "between" if s < hi else "after"
                f[f"cue={rule_id}@{where}"] = 1.0
                f[f"kind={group}@{where}"] = 1.0
                if group in ("res", "sens") and abs(s - d0) < 60:
                    f[f"kind={group}@near_drug"] = 1.0
        else:
            for _s, _e, group, rule_id in dinfo.cues:
                f[f"xcue={rule_id}"] = 1.0
                f[f"xkind={group}|off={off}"] = 1.0
            for w in sorted(set(_words(text[as_.start : as_.end])) - _STOP)[:60]:
                f[f"asw={w}"] = 0.5
            ainfo = self.sentence_info(as_)
            for _s, _e, group, _rule_id in ainfo.cues:
                f[f"xkind_alt={group}"] = 1.0
            for _s, _e, polarity in dinfo.composed:
                f[f"xcomp={polarity}|off={off}"] = 1.0
            for _s, _e, polarity in ainfo.composed:
                f[f"xcomp_alt={polarity}"] = 1.0
            if re.search(r"\b(?:these|those|such|the|this)\s+(?:patients?|tumou?rs?|cases?|cells?|mutations?|cohort)\b", text[ds.start : ds.end], re.IGNORECASE):
                f["backref"] = 1.0
            if re.search(r"\b(?:patients?|case|cohort|tumou?rs?|cells?|harbou?r\w*|carr(?:y|ying|ied)|with)\b", text[as_.start : as_.end], re.IGNORECASE):
                f["alt_sentence_population"] = 1.0
        return f


# ---------------------------------------------------------------- model


@dataclass
class RelationModel:
    """Multinomial logistic regression over named features, with an isotonic calibration table."""

    features: list[str]
    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray
    classes: tuple[str, ...] = CLASSES
    calibration: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    name: str = RELATION_MODEL_VERSION
    meta: dict[str, Any] = field(default_factory=dict)
    variant_genes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {n: i for i, n in enumerate(self.features)}

    def proba(self, feats: Mapping[str, float]) -> np.ndarray:
        """Class probabilities for one candidate (unknown features are ignored)."""
        z = self.intercept.astype(float).copy()
        for name, value in feats.items():
            i = self.index.get(name)
            if i is not None:
                z += self.coef[:, i] * value
        z -= z.max()
        e = np.exp(z)
        return e / e.sum()

    def calibrate(self, score: float, group: str) -> float:
        """Calibrated probability that the key with its outcome is right.

        Calibrated separately for keys the rule assembler also produced with this outcome
        (``rule``) and for the others (``model``): the two differ in precision at equal scores.
        """
        xs, ys = self.calibration.get(group, ([0.0, 1.0], [0.0, 1.0]))
        return float(np.interp(score, xs, ys))

    def threshold(self, group: str) -> float:
        """Emission threshold on the raw score (chosen on train out-of-fold keys; the raw score
        ranks finer than the step-wise calibrated one, so a threshold never splits a tie)."""
        return self.thresholds.get(group, 0.5)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name.split(":", 1)[0],
            "classes": list(self.classes),
            "features": self.features,
            "coef": [[round(float(x), 5) for x in row] for row in self.coef],
            "intercept": [round(float(x), 5) for x in self.intercept],
            "calibration": {g: {"x": [round(float(x), 5) for x in xs], "y": [round(float(y), 5) for y in ys]} for g, (xs, ys) in sorted(self.calibration.items())},
            "thresholds": dict(sorted(self.thresholds.items())),
            "meta": self.meta,
        }

    def to_disk(self, path: Path) -> None:
        """Write ``model.json`` and ``variant_genes.tsv`` into ``path``."""
        path.mkdir(parents=True, exist_ok=True)
        (path / MODEL_FILE).write_text(json.dumps(self.to_dict(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
        rows = sorted(self.variant_genes.items())
        counts = self.meta.get("variant_counts", {})
        with (path / VARIANT_TABLE_FILE).open("w", encoding="utf-8", newline="") as f:
            f.write("variant\tgene\tcount\n")
            for v, g in rows:
                f.write(f"{v}\t{g}\t{counts.get(v, '')}\n")

    @classmethod
    def from_disk(cls, path: Path) -> RelationModel:
        """Load a model written by :meth:`to_disk`; its name carries the file's hash (``relations-1.3.1:<sha1>``)."""
        raw = (path / MODEL_FILE).read_bytes()
        data = json.loads(raw.decode("utf-8"))
        table = path / VARIANT_TABLE_FILE
        return cls(
            features=list(data["features"]),
            coef=np.asarray(data["coef"], dtype=float),
            intercept=np.asarray(data["intercept"], dtype=float),
            classes=tuple(data["classes"]),
            calibration={g: (list(v["x"]), list(v["y"])) for g, v in data["calibration"].items()},
            thresholds={g: float(t) for g, t in data["thresholds"].items()},
            name=f"{data.get('name', RELATION_MODEL_VERSION)}:{hashlib.sha1(raw).hexdigest()[:12]}",
            meta=data.get("meta", {}),
            variant_genes=read_variant_table(table) if table.is_file() else {},
        )


@dataclass
class ScoredKey:
    """One candidate key of a document after classification (best mention kept)."""

    key: tuple[tuple[str, ...], str, str]
    outcome: str
    score: float
    confidence: float
    candidate: Candidate
    rule_outcomes: set[str]

    @property
    def group(self) -> str:
        """``rule`` when the rule assembler produced this key (its outcome is kept), else ``model``."""
        return "rule" if self.rule_outcomes else "model"


def document_rows(doc: Doc, rules: list[Triple], variant_genes: Mapping[str, str]) -> tuple[DocumentFacts, list[Candidate], list[dict[str, float]]]:
    """Candidates of a document and their features (used at runtime and for training)."""
    facts = document_facts(doc)
    targets = drug_targets()
    candidates = [c for c in document_candidates(facts, targets, variant_genes) if not c.therapy.is_class]
    fb = FeatureBuilder(facts, RuleIndex.build(rules), targets)
    return facts, candidates, [fb.features(c) for c in candidates]


def score_keys(model: RelationModel, candidates: list[Candidate], feats: list[dict[str, float]], rules: RuleIndex) -> list[ScoredKey]:
    """Classify candidates; per key keep the mention with the highest score.

    A key the rule assembler produced keeps the rules' outcome and is scored by the model's
    probability of a relation (group ``rule``); any other key takes the model's most probable
    outcome and its probability (group ``model``).
    """
    best: dict[tuple[tuple[str, ...], str, str], ScoredKey] = {}
    for c, f in zip(candidates, feats, strict=True):
        p = model.proba(f)
        rule_outcomes = {t.outcome for t in rules.by_key.get(c.key, [])} & set(model.classes[1:])
        if rule_outcomes:
            outcome = model.classes[int(np.argmax(p[1:])) + 1]
            score, group = float(1.0 - p[0]), "rule"
        else:
            k = int(np.argmax(p[1:])) + 1
            outcome, score, group = model.classes[k], float(p[k]), "model"
        cur = best.get(c.key)
        if cur is None or score > cur.score:
            best[c.key] = ScoredKey(c.key, outcome, score, model.calibrate(score, group), c, rule_outcomes)
    return sorted(best.values(), key=lambda s: (s.candidate.drug_sent.start, s.key))


def emitted_keys(keys: list[ScoredKey], threshold: Callable[[str], float], document_best: float) -> list[tuple[ScoredKey, bool]]:
    """(key, emitted as the document's best) for keys at or above their group's threshold; when
    none is, the document's best key if it reaches ``document_best``.

    A document that names a therapy and an alteration nearly always relates some pair, so its
    best pair is emitted at a lower score than a pair among many (the threshold is chosen out of
    fold on training statements; above 1 it never fires).
    """
    kept = [(sk, False) for sk in keys if sk.score >= threshold(sk.group)]
    if kept or not keys:
        return kept
    best = max(keys, key=lambda sk: (sk.score, sk.key))
    return [(best, True)] if best.score >= document_best else []


# ---------------------------------------------------------------- component


@Language.factory("oncotriples_relations", default_config={"model_dir": "", "threshold": None, "rule_veto": True, "max_evidence_chars": 300})
def make_relation_component(nlp: Language, name: str, model_dir: str, threshold: float | None, rule_veto: bool, max_evidence_chars: int) -> RelationComponent:
    return RelationComponent(model_dir=model_dir, threshold=threshold, rule_veto=rule_veto, max_evidence_chars=max_evidence_chars)


def bundled_model_dir() -> Path:
    from schemas.resources import data_path

    return data_path("relations")


class RelationComponent:
    """spaCy component writing ``doc._.triples`` decided by the relation model.

    The model is read on :meth:`initialize`, :meth:`from_disk` or the first call (never at import).
    """

    def __init__(self, *, model_dir: str = "", threshold: float | None = None, rule_veto: bool = True, max_evidence_chars: int = 300) -> None:
        self.model_dir = Path(model_dir) if model_dir else None
        self.threshold_override = threshold
        self.rule_veto = rule_veto
        self.rules = TripleAssembler(max_evidence_chars=max_evidence_chars)
        self.max_evidence_chars = max_evidence_chars
        self.model: RelationModel | None = None

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None) -> None:
        """Load the model from ``model_dir`` (default: the bundled ``data/relations``)."""
        self.model = RelationModel.from_disk(self.model_dir or bundled_model_dir())

    def to_disk(self, path: str | Path, *, exclude: Any = ()) -> None:
        if self.model is None:
            self.initialize()
        assert self.model is not None
        self.model.to_disk(Path(path))

    def from_disk(self, path: str | Path, *, exclude: Any = ()) -> RelationComponent:
        self.model = RelationModel.from_disk(Path(path))
        return self

    def threshold(self, group: str) -> float:
        """Raw-score threshold of a group; without ``rule_veto`` every rule key is kept."""
        assert self.model is not None
        if group == "rule":
            return self.model.threshold("rule_veto") if self.rule_veto else 0.0
        return self.model.threshold(group) if self.threshold_override is None else float(self.threshold_override)

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None:
            self.initialize()
        doc._.triples = self.decide(doc)
        return doc

    def decide(self, doc: Doc) -> list[Triple]:
        """Rule triples as features and pass-through, then the model's decisions on named therapies."""
        assert self.model is not None
        rule_triples = self.rules.assemble(doc)
        index = RuleIndex.build(rule_triples)
        facts, candidates, feats = document_rows(doc, rule_triples, self.model.variant_genes)
        out: list[Triple] = []
        keys = score_keys(self.model, candidates, feats, index)
        for sk, document_best in emitted_keys(keys, self.threshold, self.model.thresholds.get("document_best", DOCUMENT_BEST_OFF)):
            out.append(self._triple(doc, facts, sk, index, document_best))
        scored = {sk.key for sk in keys}
        for t in rule_triples:  # no training labels for classes and trials; keys no candidate covers
            if t.drug_class or t.outcome == "investigation" or (tuple(sorted(t.drugs)), t.gene, t.alteration) not in scored:
                out.append(t.model_copy(update={"rule_ids": sorted({*t.rule_ids, "relation:rules_passthrough"}), "model_id": self.model.name}))
        out = _one_per_key(out)
        return sorted(out, key=lambda t: (t.sentence_start, t.triple_id))

    def _triple(self, doc: Doc, facts: DocumentFacts, sk: ScoredKey, index: RuleIndex, document_best: bool = False) -> Triple:
        assert self.model is not None
        c = sk.candidate
        drugs, gene, alteration = list(sk.key[0]), sk.key[1], sk.key[2]
        outcome = sk.outcome
        provenance = sorted({*c.provenance, *(f"drug:{m.source}" for m in c.therapy.members), f"relation:{outcome}",
                             *(["relation:document_best"] if document_best else []), f"therapy:{c.therapy.grouping}",
                             *(["relation:result_in_context"] if result_in_context(facts, c) else [])})
        same = [t for t in index.by_key.get(sk.key, []) if t.outcome == outcome] or index.by_key.get(sk.key, [])
        common = {
            "outcome": outcome,
            "confidence": round(min(1.0, max(0.0, sk.confidence)), 3),
            "model_id": self.model.name,
            "triple_id": triple_key_id(doc._.doc_id, drugs, gene, alteration, outcome),
        }
        if same:  # the rules' evidence window, measures and trial ids for this key
            base = max(same, key=lambda t: t.confidence)
            return base.model_copy(update={**common, "rule_ids": sorted({*base.rule_ids, *provenance, "relation:rule_agrees"})})
        text = facts.text
        s = c.drug_sent if c.drug_sent.index >= c.alt_sent.index else c.alt_sent
        ev_start, ev_end = _evidence_window(text, s, c, self.max_evidence_chars)
        sent = text[s.start : s.end]
        ncts = sorted({re.sub(r"\s", "", m.group(0)) for m in NCT_RE.finditer(sent)})
        measures = [h for h in find_measures(sent) if h.measure.metric != "n"]
        return Triple(
            **evidence_fields(doc, text, s.section, s.start, s.end, ev_start, ev_end),
            drugs=drugs,
            drug_class=False,
            gene=gene,
            alteration=alteration,
            measures=[m.measure.as_string() for m in measures],
            evidence_level=C.evidence_level(sent, ncts, doc._.default_level),  # type: ignore[arg-type]
            nct_ids=ncts,
            alteration_type=c.alt.vtype,
            hgvs=c.alt.hgvs,
            measures_structured=[m.measure for m in measures],
            negated=False,
            hedged=bool(C.find_cues(sent, C.cue_set("hedge"))),
            rule_ids=provenance,
            extractor_version=f"{self.model.name}+{CUE_RULESET_VERSION}+{MEASURE_RULES_VERSION}",
            **common,
        )


def result_in_context(facts: DocumentFacts, c: Candidate) -> bool:
    """Whether a trial result (ORR, PFS, OS ...) is stated where the pair is, or just after it.

    A trial described in one sentence often gives its result in the next ones; a study with a
    stated result is no longer only under investigation.
    """
    first = min(c.drug_sent.index, c.alt_sent.index)
    last = min(len(facts.sentences) - 1, max(c.drug_sent.index, c.alt_sent.index) + RESULT_LOOKAHEAD)
    for s in facts.sentences[first : last + 1]:
        if s.paragraph != c.alt_sent.paragraph:
            continue
        if any(h.measure.metric in _RESULT_METRICS for h in find_measures(facts.text[s.start : s.end])):
            return True
    return False


def _one_per_key(triples: list[Triple]) -> list[Triple]:
    """One row per (drugs, gene, alteration).

    A passed-through ``investigation`` row (the model has no such label) wins over the model's
    row unless the model's row reports a result (an ORR or PFS in its sentence or in the
    sentences just after the pair: the trial's outcome is stated); otherwise the model's row
    wins over a passed-through one.
    """
    best: dict[tuple[tuple[str, ...], str, str], Triple] = {}
    for t in triples:
        k = (tuple(sorted(t.drugs)), t.gene, t.alteration)
        cur = best.get(k)
        if cur is None or _rank(t) > _rank(cur):
            best[k] = t
    return list(best.values())


def _rank(t: Triple) -> int:
    passthrough = "relation:rules_passthrough" in t.rule_ids
    if passthrough:
        return 2 if t.outcome == "investigation" else 0
    if "relation:result_in_context" in t.rule_ids or any(m.metric in _RESULT_METRICS for m in t.measures_structured):
        return 3
    return 1


def _evidence_window(text: str, s: Sentence, c: Candidate, limit: int) -> tuple[int, int]:
    """The sentence without surrounding space, trimmed to ``limit`` characters around the entities it holds."""
    piece = text[s.start : s.end]
    start = s.start + len(piece) - len(piece.lstrip())
    end = max(start, s.start + len(piece.rstrip()))
    points = [p for p in (c.therapy.start, c.therapy.end, c.alt.start, c.alt.end) if start <= p <= end] or [start]
    return window_around(text, start, end, points, limit)


def softmax_rows(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax (shared with training so inference and evaluation agree)."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def ece(conf: list[float], correct: list[bool], bins: int = 10) -> float:
    """Expected calibration error over equal-width confidence bins."""
    n = len(conf)
    if not n:
        return math.nan
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, x in enumerate(conf) if lo <= x < hi or (b == bins - 1 and x == 1.0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            avg = sum(conf[i] for i in idx) / len(idx)
            total += len(idx) / n * abs(acc - avg)
    return total
