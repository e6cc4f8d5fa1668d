"""Evaluation against gold triples: the shared scorer's figures plus an error breakdown by category.

Keys and views are computed exactly as ``shared/tools/score_triples.py`` does
(key = doc_id, sorted lower-cased drugs, upper-cased gene, the scorer's
alteration key ``schemas.vocab.scorer_alteration_key``, outcome; micro-averaged
over unique keys), so the figures match.
Each false positive / negative is then given one category so a change can
be judged by which errors it removes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.errors import InputError
from schemas.vocab import scorer_alteration_key

Key = tuple[str, tuple[str, ...], str, str, str]


def key(r: dict[str, Any]) -> Key:
    drugs = tuple(sorted(re.sub(r"\s+", " ", str(d).strip().lower()) for d in r.get("drugs") or []))
    return (str(r["doc_id"]), drugs, str(r.get("gene") or "").strip().upper(), scorer_alteration_key(r.get("alteration") or ""), str(r.get("outcome") or "").strip().lower())


def load_jsonl(paths: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{p}: cannot read ({exc})") from exc
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InputError(f"{p}:{n}: not JSON ({exc.msg})") from exc
    return rows


@dataclass
class ViewScore:
    view: str
    gold: int
    pred: int
    tp: int

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return f"{self.view:6s} gold={self.gold:4d} pred={self.pred:4d} tp={self.tp:4d} P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f}"


@dataclass
class Evaluation:
    views: list[ViewScore]
    errors: list[dict[str, Any]] = field(default_factory=list)
    reliability: list[dict[str, Any]] = field(default_factory=list)

    def categories(self) -> Counter[str]:
        return Counter(f"{e['kind']}:{e['category']}" for e in self.errors)


def _category_fp(k: Key, gold: set[Key], gold_rows: dict[Key, dict]) -> str:
    doc, drugs, gene, alt, outcome = k
    same_pair = [g for g in gold if g[:4] == k[:4]]
    if same_pair:
        return "wrong_outcome"
    same_target = sorted(g for g in gold if g[0] == doc and g[2] == gene and g[3] == alt and g[4] == outcome)  # sorted: the first match decides
    for g in same_target:
        if set(g[1]) > set(drugs) or set(g[1]) < set(drugs):
            return "missed_drug_in_combination"
        if any(d in " ".join(g[1]) or " ".join(g[1]) in d for d in drugs):
            return "class_vs_named"
    same_drug = [g for g in gold if g[0] == doc and g[1] == drugs and g[4] == outcome and g[2] == gene]
    if same_drug:
        return "alteration_normalization"
    if any(g[0] == doc and g[1] == drugs and g[2] != gene and g[3] == alt for g in gold):
        return "wrong_gene"
    return "spurious_cooccurrence"


def _category_fn(k: Key, pred: set[Key]) -> str:
    doc, drugs, gene, alt, outcome = k
    if any(p[:4] == k[:4] for p in pred):
        return "wrong_outcome"
    same_target = [p for p in pred if p[0] == doc and p[2] == gene and p[3] == alt and p[4] == outcome]
    for p in same_target:
        if set(p[1]) > set(drugs) or set(p[1]) < set(drugs):
            return "missed_drug_in_combination"
    if any(p[0] == doc and p[1] == drugs and p[2] == gene and p[4] == outcome for p in pred):
        return "alteration_normalization"
    if any(p[0] == doc and p[2] == gene and p[3] == alt for p in pred):
        return "class_vs_named_or_other_drug"
    if any(p[0] == doc and p[1] == drugs for p in pred):
        return "missed_alteration"
    return "missed_entirely_or_cross_sentence"


def evaluate(gold_rows: list[dict[str, Any]], pred_rows: list[dict[str, Any]], docs: set[str]) -> Evaluation:
    """Score predictions against gold (only documents in ``docs``) and categorize every error."""
    gold_rows = [r for r in gold_rows if r["doc_id"] in docs]
    pred_rows = [r for r in pred_rows if r.get("doc_id") in docs]
    views = []
    for name, keep, keyf in (
        ("named", lambda r: not r.get("drug_class"), key),
        ("class", lambda r: bool(r.get("drug_class")), key),
        ("pairs", lambda r: True, lambda r: key(r)[:4]),
        ("all", lambda r: True, key),
    ):
        G = {keyf(r) for r in gold_rows if keep(r)}
        P = {keyf(r) for r in pred_rows if keep(r)}
        views.append(ViewScore(name, len(G), len(P), len(G & P)))
    G = {key(r) for r in gold_rows}
    P = {key(r) for r in pred_rows}
    gold_by_key = {key(r): r for r in gold_rows}
    pred_by_key: dict[Key, dict] = {}
    for r in pred_rows:
        k = key(r)
        if k not in pred_by_key or r.get("confidence", 0) > pred_by_key[k].get("confidence", 0):
            pred_by_key[k] = r
    errors = []
    for k in sorted(P - G):
        errors.append({"kind": "FP", "category": _category_fp(k, G, gold_by_key), "key": k, "evidence": pred_by_key[k].get("evidence", "")})
    for k in sorted(G - P):
        errors.append({"kind": "FN", "category": _category_fn(k, P), "key": k, "evidence": gold_by_key[k].get("evidence", "")})
    reliability = []
    for lo in (0.0, 0.2, 0.4, 0.6, 0.8):
        hi = lo + 0.2
        bucket = [k for k, r in pred_by_key.items() if lo <= float(r.get("confidence", 0.0)) < hi or (hi >= 1.0 and float(r.get("confidence", 0.0)) == 1.0)]
        if bucket:
            correct = sum(1 for k in bucket if k in G)
            reliability.append({"bucket": f"[{lo:.1f},{hi:.1f})", "n": len(bucket), "precision": round(correct / len(bucket), 3)})
    return Evaluation(views, errors, reliability)


def evaluate_paths(gold: Path, pred: Path, docs: list[str] | None = None) -> Evaluation:
    gold_files = sorted(gold.glob("*.jsonl")) if gold.is_dir() else [gold]
    if not gold_files:
        raise InputError(f"{gold}: no gold .jsonl files")
    doc_set = {f.stem for f in gold_files}
    if docs:
        doc_set &= set(docs)
    return evaluate(load_jsonl(gold_files), load_jsonl([pred]), doc_set)


def render(ev: Evaluation, *, show: int = 0) -> str:
    lines = [v.line() for v in ev.views]
    lines.append(f"F1 {ev.views[-1].f1:.3f}")
    lines.append("")
    lines.append("errors by category:")
    for cat, n in ev.categories().most_common():
        lines.append(f"  {n:4d}  {cat}")
    if ev.reliability:
        lines.append("")
        lines.append("reliability (precision by confidence bucket):")
        for b in ev.reliability:
            lines.append(f"  {b['bucket']:10s} n={b['n']:4d} precision={b['precision']:.3f}")
    if show:
        lines.append("")
        for e in ev.errors[:show] if show > 0 else ev.errors:
            lines.append(f"  {e['kind']} {e['category']:34s} {e['key'][1:]} :: {e['evidence'][:140]}")
    return "\n".join(lines)
