"""Confidence, evidence window, measures and trial ids of one triple."""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc

from extractors.nlp.measures import MeasureHit
from extractors.nlp.therapies import Therapy
from extractors.nlp.triples.facts import AltHit, SentenceFacts


def score_confidence(strength: float, therapy: Therapy, alt: AltHit, f: SentenceFacts, context_used: bool, hedged: bool, n_therapies: int, n_alts: int, text: str) -> float:
    """Confidence in [0, 1] from the outcome strength, specificity, drug-alteration distance, context use, hedging and crowding."""
    conf = 0.25 + 0.45 * strength
    if alt.specific:
        conf += 0.1
    if f.start <= therapy.start < f.end:
        distance = abs(therapy.start - alt.start)
        conf += 0.1 if distance < 80 else (0.0 if distance < 200 else -0.1)
    if context_used:
        conf -= 0.15
    if hedged:
        conf -= 0.05
    if n_therapies * n_alts > 4:
        conf -= 0.1
    if therapy.is_class:
        conf -= 0.05
    return max(0.0, min(1.0, conf))


def evidence_window(text: str, f: SentenceFacts, therapy: Therapy, alt: AltHit, limit: int) -> tuple[int, int]:
    """The sentence, or a window of it around the drug and alteration when it is too long."""
    points = [alt.start, alt.end]
    if f.start <= therapy.start < f.end:
        points += [therapy.start, therapy.end]
    return window_around(text, f.start, f.end, points, limit)


def window_around(text: str, start: int, end: int, points: list[int], limit: int) -> tuple[int, int]:
    """``text[start:end]`` without trailing space, or at most ``limit`` characters of it centred on ``points``."""
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start <= limit:
        return start, end
    lo, hi = min(points), max(points)
    if hi - lo >= limit:
        return lo, lo + limit
    lo = max(start, lo - (limit - (hi - lo)) // 2)
    return lo, min(end, lo + limit)


def measures_for(alt: AltHit, alts: list[AltHit], measures: list[MeasureHit], offset: int) -> list[MeasureHit]:
    """Measures of the sentence; IC50s belong to the alteration named just before them."""
    keep = []
    distinct = {(a.start, a.alteration) for a in alts}
    for m in measures:
        if m.measure.metric == "IC50" and len(distinct) > 1:
            before = [a for a in alts if a.start <= m.start + offset]
            if not before or max(before, key=lambda a: a.start).start != alt.start:
                continue
        keep.append(m)
    return keep


def ncts_for(therapy: Therapy, ncts: list[tuple[int, str]]) -> list[str]:
    """The trial ids of a therapy: all when at most one, else the first after it (or the last before it)."""
    if len(ncts) <= 1:
        return [n for _, n in ncts]
    after = [(pos, n) for pos, n in ncts if pos >= therapy.end]
    if after:
        return [min(after)[1]]
    return [max(ncts)[1]]


def evidence_fields(doc: Doc, text: str, section: str, start: int, end: int, ev_start: int, ev_end: int) -> dict[str, Any]:
    """The provenance every triple carries: document and source ids, section, sentence and evidence offsets."""
    return {
        "doc_id": doc._.doc_id,
        "evidence": text[ev_start:ev_end],
        "source": doc._.source,
        "source_id": doc._.source_id,
        "section": section,
        "sentence_start": start,
        "sentence_end": end,
        "evidence_start": ev_start,
        "evidence_end": ev_end,
        "sentence": text[start:end],
    }
