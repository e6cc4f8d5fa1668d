"""The disease lexicon (``diseases.tsv``: MONDO / Disease Ontology neoplasms) and the choice of a triple's cancer type.

A triple is stated for a cancer type: the one its sentence names, else the one
its paragraph names most (a type named there only once yields to the document's
dominant type), else the document's dominant one (at least half of its
disease mentions, title and abstract counted twice; a multi-cancer paper has none). Names are matched
like the drug and gene lexicons (:class:`~extractors.nlp.lexicons.phrases.PhraseIndex`:
hyphens and spaces ignored, longest match), names in any case, abbreviations as
written. Abbreviations come in two kinds (see ``scripts/build_lexicons.py``):
``known_abbreviation`` (``NSCLC``, ``CRC``, ``GIST``) match wherever they stand;
``abbreviation`` counts only in a text that also names the same disease in words,
so an ontology's rare short form cannot give a document a disease on its own.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from extractors.nlp.datafiles import read_tsv
from extractors.nlp.lexicons.phrases import PhraseIndex
from schemas.vocab import DiseaseSource

ABBREVIATION_KINDS = frozenset({"abbreviation", "known_abbreviation"})
_CELL_LINE_TAIL = re.compile(r"[-\u2010\u2011]?\d")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_GENE_NAME_TAIL = re.compile(r"[\s\u2010\u2011-]*(?:kinase|receptor|gene|protein|oncogene|antigen)s?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DiseaseConcept:
    """One cancer type: its primary id, ontology label and every id (MONDO first, then DOID)."""

    disease_id: str
    label: str
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiseaseEntry:
    """One name of a concept (a row of ``diseases.tsv``)."""

    concept: DiseaseConcept
    synonym: str
    kind: str
    """``label``, ``synonym``, ``abbreviation`` (needs the disease named in words too) or ``known_abbreviation``."""


@dataclass(frozen=True, slots=True)
class DiseaseMention:
    """A disease named in a text: exact offsets, the surface and its concept."""

    start: int
    end: int
    text: str
    concept: DiseaseConcept


class DiseaseLexicon:
    """Cancer-type names → concepts, with the abbreviation guard of the module docstring."""

    def __init__(self, entries: Iterable[DiseaseEntry]) -> None:
        self.index: PhraseIndex[DiseaseEntry] = PhraseIndex()
        self.concepts: dict[str, DiseaseConcept] = {}
        for e in entries:
            self.concepts.setdefault(e.concept.disease_id, e.concept)
            self.index.add(e.synonym, e, case_sensitive=e.kind in ABBREVIATION_KINDS)

    def __len__(self) -> int:
        return len(self.index)

    def scan(self, text: str, genes: Sequence[tuple[int, int]] = ()) -> list[DiseaseMention]:
        """Disease mentions of ``text`` in order.

        A name inside a gene mention (``genes``: character spans) or followed by a gene word
        (``anaplastic lymphoma kinase``, ``breast cancer gene``) names a gene, not a disease; an
        abbreviation followed by a digit is a cell line or a code (``HCC-827``, ``GIST-T1``); a
        plain ``abbreviation`` counts only when the text names its disease in words.
        """
        spans = sorted(genes)
        starts = [a for a, _ in spans]

        def in_gene(start: int, end: int) -> bool:
            i = bisect.bisect_right(starts, end) - 1
            return any(a < end and start < b for a, b in spans[max(0, i - 3) : i + 1])

        hits = [
            h
            for h in self.index.scan(text)
            if not (h.value.kind in ABBREVIATION_KINDS and _CELL_LINE_TAIL.match(text, h.end))
            and not _GENE_NAME_TAIL.match(text, h.end)
            and not (spans and in_gene(h.start, h.end))
        ]
        worded = {h.value.concept.disease_id for h in hits if h.value.kind not in ABBREVIATION_KINDS}
        return [
            DiseaseMention(h.start, h.end, text[h.start : h.end], h.value.concept)
            for h in hits
            if h.value.kind != "abbreviation" or h.value.concept.disease_id in worded
        ]


@cache
def load_disease_lexicon() -> DiseaseLexicon:
    """The bundled disease lexicon (``data/lexicons/diseases.tsv``), loaded once."""
    concepts: dict[str, DiseaseConcept] = {}
    entries = []
    for r in read_tsv("diseases.tsv"):
        cid = r["disease_id"]
        concept = concepts.get(cid)
        if concept is None:
            ids = [*(x for x in r["mondo"].split(";") if x), *(x for x in r["doid"].split(";") if x)]
            concept = concepts[cid] = DiseaseConcept(cid, r["label"], tuple(ids))
        entries.append(DiseaseEntry(concept, r["synonym"], r["kind"]))
    return DiseaseLexicon(entries)


DOCUMENT_MIN_SHARE = 0.5
"""A document's dominant cancer type must have at least this share of its (weighted) disease mentions:
a pan-cancer or multi-cancer paper has none, and its triples get no document-level disease."""
HEAD_WEIGHT = 2
"""A mention in the title or abstract counts this many times toward the document's dominant type."""
HEAD_SECTIONS = frozenset({"title", "abstract"})
PARAGRAPH_MIN_MENTIONS = 2
"""A type the paragraph names only once, in passing (``T-DXd, approved in breast cancer, …`` in a lung
cancer review), gives way to the document's dominant type when the document has one."""


def _dominant(mentions: Sequence[DiseaseMention], weights: Sequence[int] | None = None, min_share: float = 0.0) -> DiseaseMention | None:
    """The mention of the most often named concept (ties: the concept named first), if its share reaches ``min_share``."""
    if not mentions:
        return None
    counts: Counter[str] = Counter()
    for i, m in enumerate(mentions):
        counts[m.concept.disease_id] += weights[i] if weights else 1
    best = max(counts.values())
    if best < min_share * sum(counts.values()):
        return None
    return next(m for m in mentions if counts[m.concept.disease_id] == best)


class DiseaseContext:
    """The disease mentions of one text, with the sentence → paragraph → document choice."""

    def __init__(self, text: str, mentions: list[DiseaseMention], sections: Sequence[tuple[int, int, str]] | None = None) -> None:
        self.text = text
        self.mentions = mentions
        self.starts = [m.start for m in mentions]
        self.breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(text)]
        self.sections = sorted(sections or [])
        head = [(a, b) for a, b, label in self.sections if label in HEAD_SECTIONS]
        weights = [HEAD_WEIGHT if any(a <= m.start < b for a, b in head) else 1 for m in mentions]
        self.document = _dominant(mentions, weights, DOCUMENT_MIN_SHARE)

    def _within(self, start: int, end: int) -> list[DiseaseMention]:
        i = bisect.bisect_left(self.starts, start)
        j = bisect.bisect_left(self.starts, end)
        return [m for m in self.mentions[i:j] if m.end <= end]

    def paragraph(self, start: int, end: int) -> tuple[int, int]:
        """Bounds of the paragraph holding [start, end): between blank lines, inside the sentence's section."""
        i = bisect.bisect_left(self.breaks, start)
        p_start = self.breaks[i - 1] if i > 0 else 0
        j = bisect.bisect_left(self.breaks, end)
        p_end = self.breaks[j] if j < len(self.breaks) else len(self.text)
        for s_start, s_end, _label in self.sections:
            if s_start <= start < s_end:
                p_start, p_end = max(p_start, s_start), min(p_end, s_end)
                break
        return p_start, p_end

    def choose(self, start: int, end: int) -> tuple[DiseaseMention | None, DiseaseSource]:
        """The disease of a sentence at [start, end) and where it was read."""
        in_sentence = self._within(start, end)
        if in_sentence:
            return in_sentence[0], "sentence"
        in_paragraph = self._within(*self.paragraph(start, end))
        found = _dominant(in_paragraph)
        if found is not None:
            named = sum(1 for m in in_paragraph if m.concept is found.concept)
            document = self.document
            if named >= PARAGRAPH_MIN_MENTIONS or document is None or document.concept is found.concept:
                return found, "paragraph"
        if self.document is not None:
            return self.document, "document"
        return None, ""
