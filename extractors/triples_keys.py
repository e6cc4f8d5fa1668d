"""Triple identity: the scoring key, its deterministic ``triple_id``, and merging rows that share it (spaCy-free)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from schemas.models import Triple

GENERIC_ALTERATIONS = frozenset({"fusion", "mutation", "wild-type"})
"""Alterations that name no specific change (a population rather than a variant)."""


def norm_alteration_key(alteration: str) -> str:
    """Compound order and dash style do not change identity (``T790M+C797S`` = ``C797S+T790M``)."""
    parts = [p.strip().lower() for p in alteration.replace("–", "-").split("+")]
    return "+".join(sorted(parts))


def triple_key_id(doc_id: str, drugs: Iterable[str], gene: str, alteration: str, outcome: str) -> str:
    """Deterministic id from the scoring key, so it survives re-runs and evidence changes."""
    key = "\x1f".join(
        [doc_id, "|".join(sorted(d.strip().lower() for d in drugs)), gene.upper(), norm_alteration_key(alteration), outcome]
    )
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def merge_by_key(triples: list[Triple]) -> list[Triple]:
    """One triple per key per document: keep the most confident evidence, union the trial ids."""
    best: dict[str, Triple] = {}
    for t in triples:
        cur = best.get(t.triple_id)
        if cur is None:
            best[t.triple_id] = t
            continue
        winner, other = (t, cur) if t.confidence > cur.confidence else (cur, t)
        merged = winner.model_copy(
            update={
                "nct_ids": sorted({*winner.nct_ids, *other.nct_ids}),
                # every figure stated for this triple, from whichever sentence stated it
                "measures": list(dict.fromkeys([*winner.measures, *other.measures])),
                "measures_structured": [*winner.measures_structured, *(m for m in other.measures_structured if m.as_string() not in winner.measures)],
            }
        )
        best[t.triple_id] = merged
    return sorted(best.values(), key=lambda t: (t.sentence_start, t.triple_id))
