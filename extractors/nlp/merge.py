"""Merging extracted rows that share a ``triple_id`` (spaCy-free, so stages can import it cheaply)."""

from __future__ import annotations

from schemas.models import Triple


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
