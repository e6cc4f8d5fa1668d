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
