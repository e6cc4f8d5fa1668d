"""The drug lexicon: INN, brand, code and alias names (``drugs.tsv``) → canonical drug name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from extractors.nlp.datafiles import read_tsv
from extractors.nlp.lexicons.phrases import PhraseHit, PhraseIndex, phrase_key

DrugKind = Literal["inn", "brand", "code", "alias"]


@dataclass(frozen=True, slots=True)
class DrugEntry:
    """One row of ``drugs.tsv``: a surface form and the drug it names."""

    canonical: str
    """The drug's canonical (INN) name, what every synonym resolves to."""
    synonym: str
    """The surface form matched in text (the INN itself, a brand, a code or an alias)."""
    kind: str
    """Which sort of name ``synonym`` is: one of :data:`DrugKind`."""
    target: str = ""
    """Target genes as HGNC symbols joined by ``;`` (empty when unknown); see :attr:`targets`."""
    source: str = ""
    """Where the name comes from (``WHO INN list``, ``FDA/EMA/NMPA label`` ...), for provenance only."""

    @property
    def targets(self) -> tuple[str, ...]:
        """Target genes (HGNC symbols) as a tuple."""
        return tuple(t for t in self.target.split(";") if t)

    @property
    def is_code(self) -> bool:
        """True for a sponsor code name (``AZD9291``), whose INN mapping may be conditional."""
        return self.kind == "code"


_HAS_DIGIT = re.compile(r"\d")
_SPELLABLE = re.compile(r"[a-z]{7,}")


def drug_case_sensitive(synonym: str) -> bool:
    """Short names with upper case (``TKI``, ``T-DXd``) match case-sensitively; long or lower-case ones in any case."""
    key = phrase_key(synonym, case_sensitive=True)
    return len(key) <= 4 and not key.islower()


def fallback_drug_name(text: str) -> str:
    """Normalize an unknown drug name: code-like names uppercased, words lowercased."""
    text = " ".join(text.split())
    return text.upper() if _HAS_DIGIT.search(text) else text.lower()


class DrugLexicon:
    """Drug names (INN, brand, code, alias) → canonical name."""

    def __init__(self, entries: Iterable[DrugEntry]) -> None:
        self.index: PhraseIndex[DrugEntry] = PhraseIndex()
        self.entries: list[DrugEntry] = []
        self.by_canonical: dict[str, list[DrugEntry]] = {}
        for e in entries:
            self.entries.append(e)
            self.by_canonical.setdefault(e.canonical, []).append(e)
            self.index.add(e.synonym, e, case_sensitive=drug_case_sensitive(e.synonym))
        targets: dict[str, dict[str, None]] = {}
        for e in self.entries:
            for t in e.targets:
                targets.setdefault(e.canonical, {})[t] = None
        self.targets: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in targets.items()}
        """Canonical drug name → target genes in the lexicon's order (primary target first)."""
        self._spelled: list[str] = sorted({e.synonym.lower() for e in self.entries if e.kind == "inn" and _SPELLABLE.fullmatch(e.synonym.lower())})

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, text: str) -> DrugEntry | None:
        """The entry naming ``text`` (case, hyphen and space variants tolerated), or None."""
        return self.index.get(text)

    def canonical(self, text: str) -> str:
        """Canonical name of ``text``; unknown names are normalized by :func:`fallback_drug_name`."""
        entry = self.lookup(text)
        return entry.canonical if entry else fallback_drug_name(text)

    def nearest_inn(self, text: str) -> DrugEntry | None:
        """The INN ``text`` misspells (``Gefinitib``, ``ironotecan``), or None.

        Only a single alphabetic word of seven letters or more is tried, within one edit
        (Damerau–Levenshtein: a swap of neighbours is one edit); the nearest INN must be the only
        one at that distance. Two edits would turn new stem-shaped INNs into old ones
        (``zorbatinib`` is two edits from lorlatinib), so a name that far stays unknown.
        """
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        word = text.lower()
        if not _SPELLABLE.fullmatch(word) or self.lookup(text) is not None:
            return None
        best = process.extract(word, self._spelled, scorer=DamerauLevenshtein.distance, score_cutoff=1, limit=2)
        if not best or (len(best) > 1 and best[1][1] == best[0][1]):
            return None
        return self.lookup(best[0][0])

    def preferred_code(self, entry: DrugEntry) -> str:
        """The preferred spelling of a code name (the first code row of its drug with the same key)."""
        key = phrase_key(entry.synonym)
        for e in self.by_canonical.get(entry.canonical, []):
            if e.kind == "code" and phrase_key(e.synonym) == key:
                return e.synonym.upper()
        return entry.synonym.upper()

    def scan(self, text: str) -> list[PhraseHit[DrugEntry]]:
        """Drug mentions in ``text`` as (start, end, entry) hits."""
        return self.index.scan(text)


@cache
def load_drug_lexicon() -> DrugLexicon:
    """The bundled drug lexicon (``data/lexicons/drugs.tsv``), loaded once."""
    return DrugLexicon(
        DrugEntry(r["canonical"], r["synonym"], r["kind"], r.get("target", ""), r.get("source", ""))
        for r in read_tsv("drugs.tsv")
        if r.get("canonical") and r.get("synonym")
    )
