"""The project's one vocabulary: identifier patterns, the alteration key and the triple id.

Every enum, id pattern and shared rule is defined here and imported everywhere
else, so the JSON/Table Schemas, the SQL checks and the code cannot drift apart.

NCT ids: reviews write trial ids loosely (``nct 04291196``, ``NCT-04291196``) and
sometimes wrongly (``NCT0429119`` with seven digits). A well-formed id is ``NCT``
followed by exactly eight digits. Malformed ids are reported as such and never
"fixed": guessing a missing digit would link the wrong trial.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# ------------------------------------------------------------------ identifiers

NCT_RE = re.compile(r"^NCT\d{8}$")
"""A canonical, well-formed NCT id."""

# "NCT" then an optional separator (space, hyphen, colon, NBSP) then a run of digits.
# Letters/digits around the match are excluded so "FNCT12345678" or "NCT123456789012"
# are reported whole instead of being cut into a plausible id.
_CANDIDATE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?P<raw>[Nn][Cc][Tt][\s\u00a0:_-]{0,2}(?P<digits>\d+))(?![A-Za-z0-9])"
)


@dataclass(frozen=True)
class NctMention:
    """One NCT id as written in a text, with its canonical form (if well formed)."""

    as_written: str
    nct_id: str
    start: int
    end: int
    status: Literal["ok", "malformed"]
    reason: str = ""


def normalize_nct_id(value: str) -> str | None:
    """Canonical ``NCT########`` for an id written loosely, or None if it is malformed.

    Accepts lowercase and spaces/hyphens between prefix and digits; refuses any
    other digit count (no zero padding, no truncation).
    """
    cleaned = re.sub(r"[\s\u00a0:_-]+", "", value.strip()).upper()
    return cleaned if NCT_RE.match(cleaned) else None


def malformed_reason(value: str) -> str:
    """Why ``value`` is not a well-formed NCT id (empty string if it is)."""
    cleaned = re.sub(r"[\s\u00a0:_-]+", "", value.strip()).upper()
    if NCT_RE.match(cleaned):
        return ""
    if not cleaned.startswith("NCT"):
        return "does not start with NCT"
    digits = cleaned[3:]
    if not digits.isdigit():
        return "expected NCT followed by 8 digits, found non-digits"
    return f"expected NCT followed by 8 digits, found {len(digits)}"


def find_nct_ids(text: str) -> list[NctMention]:
    """Every NCT id candidate in ``text`` in order, well-formed or malformed."""
    out: list[NctMention] = []
    for m in _CANDIDATE_RE.finditer(text):
        raw = m.group("raw")
        canonical = normalize_nct_id(raw)
        if canonical:
            out.append(NctMention(raw, canonical, m.start("raw"), m.end("raw"), "ok"))
        else:
            digits = re.sub(r"\D", "", m.group("digits"))
            out.append(
                NctMention(raw, "NCT" + digits, m.start("raw"), m.end("raw"), "malformed", malformed_reason(raw))
            )
    return out


def unique_nct_ids(text: str) -> tuple[list[str], list[str]]:
    """(well-formed canonical ids, malformed ids as written), each de-duplicated in order."""
    good: list[str] = []
    bad: list[str] = []
    for mention in find_nct_ids(text):
        target = good if mention.status == "ok" else bad
        value = mention.nct_id if mention.status == "ok" else mention.as_written
        if value not in target:
            target.append(value)
    return good, bad


# ------------------------------------------------------------------ triple identity


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
