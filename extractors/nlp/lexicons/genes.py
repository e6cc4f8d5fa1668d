"""The gene lexicon: HGNC symbols, aliases, previous symbols and names (``genes.tsv``) → approved symbol.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from extractors.nlp.datafiles import gene_stoplist, read_tsv
from extractors.nlp.lexicons.phrases import PhraseHit, PhraseIndex, phrase_key

_CODE_NAME_TAIL = re.compile(r"[-\u2010\u2011 ]?\d{3,}(?!\w)")


def starts_drug_code(text: str, end: int) -> bool:
    """True when three or more digits follow a symbol ending at ``end``: a sponsor code (``NVL-655``, ``TAK-788``), not a gene."""
    return _CODE_NAME_TAIL.match(text, end) is not None


@dataclass(frozen=True, slots=True)
class GeneEntry:
    """One row of ``genes.tsv``."""

    symbol: str
    """The HGNC approved symbol, what every synonym resolves to."""
    synonym: str
    """The surface form matched in text (the symbol itself, an alias, a previous symbol or a name)."""
    kind: str
    """Which sort of form ``synonym`` is: ``approved``, ``alias``, ``previous`` or ``name``.

    It decides how the form is matched: a name in any case, a symbol as written unless it is long and has a
    digit (``PIK3CA``, ``ERBB2``: unambiguous in any case)."""
    hgnc_id: str = ""
    """The HGNC identifier (``HGNC:3236``)."""
    source: str = ""
    """Where the form comes from (``HGNC alias / literature usage`` ...), for provenance only."""


def _gene_case_sensitive(entry: GeneEntry) -> bool:
    if entry.kind == "name":
        return False
    key = phrase_key(entry.synonym, case_sensitive=True)
    # long symbols with a digit (PIK3CA, ERBB2, SMARCA4) are unambiguous in any case
    return not (len(key) >= 5 and any(c.isdigit() for c in key))


class GeneLexicon:
    """Gene symbols, aliases, previous symbols and names → HGNC approved symbol."""

    def __init__(
        self, entries: Iterable[GeneEntry], stoplist: Iterable[str] | None = None
    ) -> None:
        """``stoplist`` defaults to ``data/lexicons/gene_stoplist.txt``."""
        self.stoplist = gene_stoplist() if stoplist is None else frozenset(stoplist)
        self.index: PhraseIndex[GeneEntry] = PhraseIndex()
        self.entries: list[GeneEntry] = []
        self.symbols: set[str] = set()
        # approved symbols first so an alias never shadows another gene's symbol
        ordered = sorted(entries, key=lambda e: e.kind != "approved")
        for e in ordered:
            if e.synonym in self.stoplist:
                continue
            self.entries.append(e)
            self.symbols.add(e.symbol)
            self.index.add(e.synonym, e, case_sensitive=_gene_case_sensitive(e))

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, text: str) -> GeneEntry | None:
        """The lexicon entry for ``text``, or None (stoplisted forms are never genes)."""
        if text.strip() in self.stoplist:
            return None
        return self.index.get(text)

    def lookup(self, text: str) -> str | None:
        """HGNC symbol for ``text`` (``HER2`` → ``ERBB2``, ``c-Met`` → ``MET``), or None; case-sensitive for short symbols."""
        e = self.entry(text)
        return e.symbol if e else None

    def scan(self, text: str) -> list[PhraseHit[GeneEntry]]:
        """Gene mentions in ``text`` as (start, end, entry) hits; a symbol that starts a drug code is not one."""
        return [
            h
            for h in self.index.scan(text)
            if text[h.start : h.end] not in self.stoplist and not starts_drug_code(text, h.end)
        ]


@cache
def load_gene_lexicon() -> GeneLexicon:
    """The bundled gene lexicon (``data/lexicons/genes.tsv``), loaded once.

    Rows the ``grammar`` column marks ``only`` belong to the variant grammar's own table and are not matched.
    """
    return GeneLexicon(
        GeneEntry(
            r["symbol"], r["synonym"], r.get("kind", ""), r.get("hgnc_id", ""), r.get("source", "")
        )
        for r in read_tsv("genes.tsv")
        if r.get("symbol") and r.get("synonym") and r.get("grammar") != "only"
    )
