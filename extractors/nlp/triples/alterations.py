"""The alterations of a sentence that are not asserted: background populations and absent alterations."""

from __future__ import annotations

import re

from extractors.nlp.triples.facts import AltHit, SentenceFacts
from schemas.vocab import GENERIC_ALTERATIONS

_CARRIER = re.compile(r"^\s*$|^[^,;.]{0,40}?\b(?:with|containing|harbou?ring|carrying|bearing)\b[^,;.]{0,20}$", re.IGNORECASE)


def drop_background_alterations(alts: list[AltHit], text: str = "") -> list[AltHit]:
    """A generic fusion/mutation of a gene is background when the sentence names a specific change in it,
    and so is a named fusion that only carries the change (``EML4-ALK variant 1 containing G1202R/L1196M``)."""
    specific = [a for a in alts if a.specific]
    specific_genes = {a.gene for a in specific}
    out = []
    for a in alts:
        if not a.specific and a.gene in specific_genes and a.alteration in GENERIC_ALTERATIONS:
            continue
        if text and a.alteration.startswith("fusion ") and any(s.gene == a.gene and s.start >= a.end and _CARRIER.match(text[a.end : s.start]) for s in specific):
            continue
        out.append(a)
    return out


_ABSENT_BEFORE = re.compile(r"(?:\black(?:ing|s)?|\bwithout|\bnegative for|\babsence of|\bno|\bfree of|\bexcluding)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


def alteration_absent(text: str, alt: AltHit, f: SentenceFacts) -> bool:
    """``patients lacking ALK resistant mutations``: the population is defined by the alteration's absence."""
    return bool(_ABSENT_BEFORE.search(text[max(f.start, alt.start - 30) : alt.start]))
