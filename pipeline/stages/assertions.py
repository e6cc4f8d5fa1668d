"""The release's ``assertions`` table: the released triples rolled up across documents, INDRA style.

A triple is one extracted statement in one document; an assertion is what several
documents say together: one row per drug · gene · alteration · outcome (· disease
when the triple records carry one), with how much supports it (documents,
sentences, the best evidence level, mean confidence) and how much contradicts it
(released triples of the same drugs · gene · alteration with another outcome).

Only released triples feed it: the release hands over the triples curation kept
(rejected ones go to ``rejected.jsonl``), edited ones with their corrected fields.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from schemas.models import Assertion, Triple
from schemas.vocab import EVIDENCE_STRENGTH, assertion_key, assertion_key_id

CURATED_STATUSES = frozenset({"accepted", "edited"})
"""Curation statuses that count as a curator's confirmation of a supporting triple."""


def triple_disease(t: Triple) -> str:
    """The triple's disease label; empty when none was read."""
    return t.disease


def disease_key(t: Triple) -> str:
    """What groups triples by disease: its first ontology id, which two spellings of one label share
    (``NSCLC`` and ``non-small cell lung carcinoma``); the label when the disease has no id."""
    return t.disease_ids[0] if t.disease_ids else t.disease


def _key(t: Triple) -> tuple[str, ...]:
    return assertion_key(t.drugs, t.gene, t.alteration, t.outcome, disease_key(t))


def roll_up(triples: Iterable[Triple]) -> list[Assertion]:
    """One ``Assertion`` per assertion key of ``triples``, sorted by gene, alteration, drugs, outcome, disease.

    Display values (drug spelling, alteration as written) come from the group's first triple
    in (doc_id, triple_id) order, so the same triples always give the same rows.
    """
    ordered = sorted(triples, key=lambda t: (t.doc_id, t.triple_id))
    groups: dict[tuple[str, ...], list[Triple]] = defaultdict(list)
    for t in ordered:
        groups[_key(t)].append(t)
    by_outcome: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for key, members in groups.items():
        by_outcome[key[:3]][key[3]] += len(members)
    rows = []
    for key, members in groups.items():
        first = members[0]
        rank = min(EVIDENCE_STRENGTH.index(t.evidence_level) for t in members)
        rows.append(
            Assertion(
                assertion_id=assertion_key_id(key),
                drugs=sorted(dict.fromkeys(first.drugs), key=str.lower),
                gene=first.gene.upper(),
                alteration=first.alteration,
                outcome=first.outcome,
                disease=triple_disease(first),
                disease_ids=list(first.disease_ids),
                n_documents=len({t.doc_id for t in members}),
                n_sentences=len({(t.doc_id, t.sentence_start, t.sentence_end, t.sentence or t.evidence) for t in members}),
                n_triples=len(members),
                best_evidence_level=EVIDENCE_STRENGTH[rank],
                n_conflicting=sum(n for outcome, n in by_outcome[key[:3]].items() if outcome != key[3]),
                mean_confidence=round(sum(t.confidence for t in members) / len(members), 4),
                n_curated=sum(1 for t in members if t.curation_status in CURATED_STATUSES),
                doc_ids=sorted({t.doc_id for t in members}),
                nct_ids=sorted({n for t in members for n in t.nct_ids}),
                triple_ids=sorted(t.triple_id for t in members),
            )
        )
    return sorted(rows, key=lambda a: (a.gene, a.alteration.lower(), [d.lower() for d in a.drugs], a.outcome, a.disease, a.assertion_id))
