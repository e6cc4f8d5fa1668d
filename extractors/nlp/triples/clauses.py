"""Clauses of a sentence: the asserted main clause, clause segments, which therapy pairs with which alteration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.nlp import cues as C
from extractors.nlp.therapies import Therapy
from extractors.nlp.triples.facts import AltHit, SentenceFacts


def distributive_pairs(text: str, therapies: list[Therapy], alts: list[AltHit]) -> dict[int, list[AltHit]] | None:
    """``A for X, B for Y, C for Z``: each therapy goes with the alteration right after it."""
    named = [t for t in therapies if not t.is_class]
    starts = sorted({a.start for a in alts})
    if len(named) < 2 or len(starts) < 2:
        return None
    pairs: dict[int, list[AltHit]] = {}
    for t in named:
        following = [s for s in starts if s >= t.end and s - t.end <= 30 and not re.search(r"[;.]", text[t.end : s])]
        if not following:
            return None
        nxt = min(following)
        if any(o is not t and t.end <= o.start < nxt for o in named):
            return None
        pairs[id(t)] = [a for a in alts if a.start == nxt]
    used = [a.start for v in pairs.values() for a in v]
    if len(set(used)) != len(used):
        return None
    for t in therapies:
        if t.is_class:
            pairs[id(t)] = []
    return pairs


_CONTRAST_LEAD = re.compile(r"^\s*(?:despite|although|though|even though|while|whereas|notwithstanding)\b[^,]{3,200},\s*", re.IGNORECASE)
_CONTRAST_MID = re.compile(r"[,;]\s*(?:but|however|yet|nevertheless|nonetheless)\b,?\s*|\.\s*However,\s*", re.IGNORECASE)


def main_clause_start(sent: str) -> int:
    """Offset where the asserted (main) clause starts after a concessive lead or a ``but``."""
    m = _CONTRAST_LEAD.match(sent)
    if m:
        return m.end()
    m = _CONTRAST_MID.search(sent)
    return m.end() if m else 0


def overcome_before(sent: str, pos: int) -> bool:
    """An overcoming verb just before ``pos`` (``to overcome resistance``): the resistance cue is the problem, not the outcome."""
    window = sent[max(0, pos - 45) : pos]
    return bool(re.search(r"\b(?:overc[oa]m\w*|circumvent\w*|address\w*|combat\w*|delay\w*|prevent\w*|revers\w*|tackl\w*|target\w*|manag\w*)\b", window, re.IGNORECASE))


def negated_at(sent: str, pos: int) -> bool:
    """A negation cue within 30 characters before ``pos``."""
    window = sent[max(0, pos - 30) : pos]
    return any(m.end() >= len(window) - 30 for m in C.cue_set("negation")[0].pattern.finditer(window))


_SEGMENT_BREAK = re.compile(r";|,\s*(?:providing|suggesting|indicating|supporting|highlighting|making|raising)\b|\bwhereas\b|(?<=[,\w] )while\b|\bcompared (?:to|with)\b|\bin contrast (?:to|with)\b|,\s*but\b|\bunlike\b", re.IGNORECASE)


@dataclass
class Segments:
    """Clause segments of a sentence and which hold therapies / alterations."""

    bounds: list[int]
    with_therapy: set[int]
    with_alt: set[int]

    def index(self, pos: int) -> int:
        """The segment holding offset ``pos``."""
        i = 0
        while i + 1 < len(self.bounds) and pos >= self.bounds[i + 1]:
            i += 1
        return i


def clause_segments(text: str, f: SentenceFacts, therapies: list[Therapy], alts: list[AltHit]) -> Segments:
    """The sentence cut at clause breaks (``;``, ``whereas``, ``, but`` ...), with the segments holding therapies / alterations."""
    sent = text[f.start : f.end]
    bounds = [f.start] + [f.start + m.start() for m in _SEGMENT_BREAK.finditer(sent)]
    seg = Segments(bounds, set(), set())
    for t in therapies:
        for m in t.members:
            if f.start <= m.start < f.end:
                seg.with_therapy.add(seg.index(m.start))
    for a in alts:
        seg.with_alt.add(seg.index(a.start))
    return seg


def same_clause(text: str, therapy: Therapy, alt: AltHit, f: SentenceFacts, seg: Segments | None = None) -> bool:
    """Pair within a clause; a clause with only drugs (or only alterations) links to the orphan clauses of the other kind.

    ``L1195M ... in crizotinib-resistant tumors compared to G1202R ..., which ... resistance to 2nd generation
    ALK TKIs`` pairs crizotinib with L1195M and the TKIs with G1202R; ``for ALK-positive NSCLC, including
    crizotinib; ceritinib; alectinib`` pairs every drug with the one population.
    """
    if therapy.start < f.start or therapy.start >= f.end or seg is None or len(seg.bounds) == 1:
        return True  # therapy came from context, or a single clause
    t_segs = {seg.index(m.start) for m in therapy.members if f.start <= m.start < f.end}
    a_seg = seg.index(alt.start)
    if a_seg in t_segs:
        return True
    orphan_alt_segs = seg.with_alt - seg.with_therapy
    orphan_therapy_segs = seg.with_therapy - seg.with_alt
    t_orphan = bool(t_segs & orphan_therapy_segs)
    a_orphan = a_seg in orphan_alt_segs
    if t_orphan and a_orphan:
        return True
    if t_orphan and not orphan_alt_segs:
        return True
    return a_orphan and not orphan_therapy_segs
