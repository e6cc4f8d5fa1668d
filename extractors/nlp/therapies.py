"""Group the drug mentions of a sentence into therapies (single drugs and combinations).

``A plus B``, ``A + B``, ``A combined with B``, ``A/B`` and (in a sentence
about a combination) ``A and B`` are one therapy; ``A plus B or C`` is two
therapies sharing A; ``A versus B`` and ``A or B`` are separate therapies,
and the comparator arm (after ``versus``) is dropped because the outcome
stated is the experimental arm's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_JOIN = re.compile(
    r"^\s*,?\s*(?:\+|plus|with(?: the)?|combined with|in combination with|in combination|/|&|together with|added to|followed by)\s*,?\s*$",
    re.IGNORECASE,
)
_AND = re.compile(r"^\s*(?:,\s*)?and\s*$", re.IGNORECASE)
_OR = re.compile(r"^\s*(?:,\s*)?(?:or|and/or)\s*$", re.IGNORECASE)
_COMPARATOR = re.compile(r"^\s*(?:\(\s*)?(?:vs\.?|versus|compared (?:with|to)|over|than|rather than)\s*(?:the\s+)?$", re.IGNORECASE)
_COMBO_CONTEXT = re.compile(r"\bcombin\w*|\bdual\b|\bplus\b|\btogether\b|\bdoublet\b|\bregimen\b|\bevaluating\b|\bstudy of\b", re.IGNORECASE)
_PAREN_GAP = re.compile(r"^\s*(?:\([^()]{0,40}\)\s*)?$")
"""A parenthetical between two drugs (``tepotinib (MET TKI) plus osimertinib``) does not break them apart."""


@dataclass(frozen=True)
class DrugHit:
    """One drug or drug-class mention with exact character offsets in the document."""

    start: int
    end: int
    text: str
    name: str
    is_class: bool
    source: str = "lexicon"


@dataclass
class Therapy:
    members: list[DrugHit] = field(default_factory=list)
    comparator: bool = False
    grouping: str = "written"
    """``written`` as grouped from the words between the drugs; ``and_combined`` / ``and_split``: the
    other reading of ``A and B`` (a combination, or two therapies), offered to a model to decide."""

    @property
    def drugs(self) -> list[str]:
        return sorted({m.name for m in self.members})

    @property
    def is_class(self) -> bool:
        return all(m.is_class for m in self.members)

    @property
    def start(self) -> int:
        return min(m.start for m in self.members)

    @property
    def end(self) -> int:
        return max(m.end for m in self.members)


def _gap_text(text: str, start: int, end: int, ignore: list[tuple[int, int]]) -> str:
    """Text between two hits with ignored spans (e.g. ``the EGFR TKI,``) cut out."""
    pieces, pos = [], start
    for s, e in ignore:
        if e <= pos or s >= end:
            continue
        pieces.append(text[pos:s])
        pos = max(pos, e)
    pieces.append(text[pos:end])
    gap = "".join(pieces)
    return re.sub(r"\b(?:the|a|an)\s*,?\s*$", "", gap)


def _strip_parenthetical(gap: str) -> str:
    return re.sub(r"\([^()]{0,40}\)", " ", gap)


def group_therapies(
    hits: list[DrugHit],
    text: str,
    *,
    table_row: bool = False,
    context: str = "",
    ignore: list[tuple[int, int]] | None = None,
) -> list[Therapy]:
    """Group drug hits (in text order) into therapies using the words between them.

    ``text`` is the whole document text (hits carry document offsets);
    ``context`` the sentence (decides whether ``A and B`` is a combination);
    ``ignore`` spans (dropped appositive classes) are removed from the gaps.
    """
    hits = sorted(hits, key=lambda h: h.start)
    if not hits:
        return []
    sentence_text = context or text[hits[0].start : hits[-1].end]
    combo_context = table_row or bool(_COMBO_CONTEXT.search(sentence_text))
    ignore = sorted(ignore or [])
    therapies: list[Therapy] = [Therapy([hits[0]])]
    prev_join_was_combo = False
    for prev, cur in zip(hits, hits[1:], strict=False):
        gap = _strip_parenthetical(_gap_text(text, prev.end, cur.start, ignore))
        current = therapies[-1]
        if _COMPARATOR.match(gap):
            therapies.append(Therapy([cur], comparator=True))
            prev_join_was_combo = False
        elif _OR.match(gap) and prev_join_was_combo and len(current.members) >= 2:
            # "A plus B or C": C replaces B in a second combination
            therapies.append(Therapy([*current.members[:-1], cur], comparator=current.comparator))
        elif _AND.match(gap):
            if combo_context and len(current.members) == 1 and not _in_list(text, prev, hits):
                current.members.append(cur)
                prev_join_was_combo = True
            else:
                therapies.append(Therapy([cur]))
                prev_join_was_combo = False
        elif _JOIN.match(gap):
            current.members.append(cur)
            prev_join_was_combo = True
        else:
            therapies.append(Therapy([cur]))
            prev_join_was_combo = False
    return [t for t in therapies if not t.comparator]


def alternative_groupings(therapies: list[Therapy], text: str) -> list[Therapy]:
    """The other reading of every ``A and B`` in a sentence's therapies.

    Whether ``A and B`` is one combination or two therapies depends on more than the words
    between them (``treated with dabrafenib and trametinib`` is a combination, ``sensitive to
    erlotinib and gefitinib`` two alternatives); the grouping rules pick one reading and a
    learned model may weigh the other.
    """
    out: list[Therapy] = []
    for t in therapies:
        if len(t.members) == 2 and _AND.match(_strip_parenthetical(text[t.members[0].end : t.members[1].start])):
            out.extend(Therapy([m], t.comparator, "and_split") for m in t.members)
    for a, b in zip(therapies, therapies[1:], strict=False):
        if len(a.members) == 1 and len(b.members) == 1 and a.members[0].name != b.members[0].name:
            if _AND.match(_strip_parenthetical(text[a.members[0].end : b.members[0].start])):
                out.append(Therapy([a.members[0], b.members[0]], a.comparator, "and_combined"))
    return out


def _in_list(text: str, hit: DrugHit, hits: list[DrugHit]) -> bool:
    """True when ``hit`` is preceded by a comma-separated drug (``A, B and C`` is a list)."""
    idx = hits.index(hit)
    if idx == 0:
        return False
    gap = text[hits[idx - 1].end : hit.start]
    return gap.strip().startswith(",") or gap.strip() == ","
