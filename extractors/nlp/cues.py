"""Outcome, negation, hedging and evidence-level cue patterns (versioned as one rule set).

Cues are regular expressions over sentence text; each has a rule id so a
triple records which cues produced its outcome. They are general English
phrasings of resistance / sensitivity / investigation, never sentences of a
particular document. The patterns are data (``data/lexicons/cues.toml``),
compiled once per process.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from schemas.resources import data_path

CUE_KINDS = ("resistance", "sensitivity", "investigation", "negation", "hedge")
"""The cue sets of ``cues.toml``, one per kind."""


@dataclass(frozen=True)
class Cue:
    """One cue: its rule id, its kind (one of :data:`CUE_KINDS`), its compiled pattern and its weight.

    ``weight`` is what one match adds to its outcome's score (2.0 for the direct outcome words).
    """

    rule_id: str
    kind: str
    pattern: re.Pattern[str]
    weight: float = 1.0


@cache
def _cue_file() -> dict[str, Any]:
    with data_path("lexicons", "cues.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def cue_set(kind: str) -> tuple[Cue, ...]:
    """The cues of one kind, in file order (``resistance``, ``sensitivity``, ``investigation``, ``negation``, ``hedge``)."""
    if kind not in CUE_KINDS:
        raise ValueError(f"cue kind must be one of {', '.join(CUE_KINDS)}, not {kind!r}")
    return tuple(
        Cue(c["rule_id"], kind, re.compile(c["pattern"], re.IGNORECASE), float(c.get("weight", 1.0)))
        for c in _cue_file()["cue"]
        if c["kind"] == kind
    )


@cache
def cue_pattern(name: str) -> re.Pattern[str]:
    """A named pattern of ``cues.toml`` (drug roles ``resistance_role``, ``resistance_role_after``,
    ``prior_role``, ``weak_resistance``; evidence levels ``level_preclinical``, ``level_case``,
    ``level_trial``, ``level_retro``)."""
    p = _cue_file()["pattern"][name]
    return re.compile(p["pattern"], re.IGNORECASE if p.get("ignore_case", True) else 0)


def find_cues(text: str, cues: tuple[Cue, ...]) -> list[tuple[int, int, Cue]]:
    """All matches of the given cues as (start, end, cue), in text order."""
    found = [(m.start(), m.end(), cue) for cue in cues for m in cue.pattern.finditer(text)]
    found.sort(key=lambda x: x[0])
    return found


_COMPOSE_GAP_BEFORE = re.compile(r"^(?:\s+[\w-]+){0,3}\s+$")
"""Up to three words between a direction and the quantity it moves (``shorter overall survival``)."""
_COMPOSE_GAP_AFTER = re.compile(r"^\s+(?:was|were|is|are|been|being|remained|became)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
"""A quantity followed by its direction (``PFS was significantly longer``)."""
_NEGATED_BEFORE = re.compile(r"(?:\bnot|\bn't|\bnever|\bnor)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


def composed_polarity(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ``sens`` | ``res``) for each quantity a direction word moves.

    Outcome words carry no polarity alone (``survival``), nor do direction words (``shorter``):
    the pair does. A raised good outcome or a lowered bad one is ``sens`` (``longer PFS``, ``lower
    IC50``), the reverse ``res`` (``shorter overall survival``, ``higher risk of progression``); a
    negation just before the pair flips it (``did not show longer survival``). Both vocabularies
    are named patterns of ``cues.toml``.
    """
    directions = [(m.start(), m.end(), 1) for m in cue_pattern("direction_up").finditer(text)]
    directions += [(m.start(), m.end(), -1) for m in cue_pattern("direction_down").finditer(text)]
    quantities = [(m.start(), m.end(), 1) for m in cue_pattern("outcome_good").finditer(text)]
    quantities += [(m.start(), m.end(), -1) for m in cue_pattern("outcome_bad").finditer(text)]
    kept: list[tuple[int, int, int]] = []
    for qs, qe, q in sorted(quantities, key=lambda x: (x[0], x[0] - x[1])):
        if not any(ks < qe and qs < ke for ks, ke, _ in kept):  # the longest reading: "progression-free" over "progression"
            kept.append((qs, qe, q))
    out: list[tuple[int, int, str]] = []
    for qs, qe, q in kept:
        before = [d for d in directions if d[1] <= qs and _COMPOSE_GAP_BEFORE.match(text[d[1] : qs] or " ")]
        after = [d for d in directions if d[0] >= qe and _COMPOSE_GAP_AFTER.match(text[qe : d[0]])]
        pick = max(before, key=lambda d: d[1]) if before else min(after, key=lambda d: d[0]) if after else None
        if pick is None:
            continue
        polarity = pick[2] * q
        start, end = min(pick[0], qs), max(pick[1], qe)
        if _NEGATED_BEFORE.search(text[max(0, start - 30) : start]):
            polarity = -polarity
        out.append((start, end, "sens" if polarity > 0 else "res"))
    return out


_LEVELS = (
    ("level_preclinical", "preclinical"),
    ("level_case", "case_report"),
    ("level_trial", "clinical_trial"),
    ("level_retro", "retrospective"),
)


def evidence_level(sentence: str, nct_ids: list[str], default: str) -> str:
    """Evidence level from cue words in the sentence (first level that matches; a trial id means a trial), else the document's default."""
    for name, level in _LEVELS:
        if cue_pattern(name).search(sentence) or (level == "clinical_trial" and nct_ids):
            return level
    return default
