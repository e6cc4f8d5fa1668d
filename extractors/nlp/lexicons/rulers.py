"""The spaCy side of the lexicons: the ``oncotriples_drug_ruler`` and ``oncotriples_gene_ruler`` components.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.nlp.extensions import doc_text, register_extensions
from extractors.nlp.lexicons.classes import load_drug_class_lexicon
from extractors.nlp.lexicons.drugs import load_drug_lexicon
from extractors.nlp.lexicons.genes import GeneLexicon, load_gene_lexicon
from extractors.nlp.lexicons.phrases import phrase_key


@dataclass(frozen=True, slots=True)
class LexiconMention:
    """A lexicon match with exact character offsets into ``doc.text``."""

    start: int
    end: int
    text: str
    norm_id: str
    label: str
    kind: str = ""
    """Synonym kind: inn|brand|code|alias (drugs), approved|alias|previous|name (genes), class head (classes)."""
    target: str | None = None


def _make_spans(doc: Doc, mentions: list[LexiconMention]) -> list[Span]:
    spans: list[Span] = []
    for m in mentions:
        span = doc.char_span(
            m.start, m.end, label=m.label, kb_id=m.norm_id, alignment_mode="expand"
        )
        if span is None:
            continue
        span._.norm_id = m.norm_id
        span._.ent_source = "lexicon"
        span._.char_start = m.start
        span._.char_end = m.end
        spans.append(span)
    return spans


MapCodes = Literal["always", "document", "never"]


class DrugRuler:
    """Find drug and drug-class mentions; see the module docstring.

    ``map_codes`` decides how a sponsor code with a known INN is normalized:
    ``always`` (``AZD9291`` → ``osimertinib``), ``never`` (→ ``AZD9291``) or
    ``document`` (the guideline's rule: the INN only when the document itself
    names the drug by a non-code name too, else the code uppercased).
    """

    def __init__(
        self,
        name: str = "oncotriples_drug_ruler",
        *,
        drugs_key: str = "drugs",
        classes_key: str = "drug_classes",
        map_codes: MapCodes = "document",
        match_classes: bool = True,
    ) -> None:
        if map_codes not in ("always", "document", "never"):
            raise ValueError(
                f"oncotriples_drug_ruler: map_codes must be always|document|never, not {map_codes!r}"
            )
        self.name = name
        self.drugs_key = drugs_key
        self.classes_key = classes_key
        self.map_codes = map_codes
        self.match_classes = match_classes
        self.drugs = load_drug_lexicon()
        self.classes = load_drug_class_lexicon()
        register_extensions()

    def find_drugs(self, text: str) -> list[LexiconMention]:
        """Drug mentions in ``text`` with normalized names."""
        hits = self.drugs.scan(text)
        named = {h.value.canonical for h in hits if not h.value.is_code}
        out = []
        for h in hits:
            e = h.value
            norm = e.canonical
            if (
                e.is_code
                and self.map_codes != "always"
                and phrase_key(e.canonical) != phrase_key(e.synonym)
            ):
                if self.map_codes == "never" or e.canonical not in named:
                    norm = self.drugs.preferred_code(e)
            out.append(
                LexiconMention(
                    h.start, h.end, text[h.start : h.end], norm, "DRUG", e.kind, e.target or None
                )
            )
        return out

    def find_classes(self, text: str) -> list[LexiconMention]:
        """Drug-class mentions in ``text`` with normalized class names."""
        return [
            LexiconMention(
                h.start,
                h.end,
                text[h.start : h.end],
                h.value.canonical,
                "DRUG_CLASS",
                h.value.head or "",
                h.value.target,
            )
            for h in self.classes.scan(text)
        ]

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        drugs = self.find_drugs(text)
        doc._.drug_mentions = drugs
        doc.spans[self.drugs_key] = _make_spans(doc, drugs)
        if self.match_classes:
            classes = self.find_classes(text)
            doc._.drug_class_mentions = classes
            doc.spans[self.classes_key] = _make_spans(doc, classes)
        return doc


class GeneRuler:
    """Find gene mentions (HGNC-normalized); matches inside drug names (``HER3-DXd``) are dropped."""

    def __init__(
        self,
        name: str = "oncotriples_gene_ruler",
        *,
        spans_key: str = "genes",
        extra_stoplist: Iterable[str] = (),
        exclude_keys: Iterable[str] = ("drugs",),
    ) -> None:
        self.name = name
        self.spans_key = spans_key
        self.exclude_keys = tuple(exclude_keys)
        base = load_gene_lexicon()
        extra = frozenset(extra_stoplist)
        self.genes = base if not extra else GeneLexicon(base.entries, base.stoplist | extra)
        register_extensions()

    def find_genes(
        self, text: str, exclude: Iterable[tuple[int, int]] = ()
    ) -> list[LexiconMention]:
        """Gene mentions in ``text``, skipping any overlapping an ``exclude`` range."""
        ranges = sorted(exclude)
        out = []
        for h in self.genes.scan(text):
            if any(s < h.end and h.start < e for s, e in ranges):
                continue
            out.append(
                LexiconMention(
                    h.start, h.end, text[h.start : h.end], h.value.symbol, "GENE", h.value.kind
                )
            )
        return out

    def __call__(self, doc: Doc) -> Doc:
        exclude: list[tuple[int, int]] = []
        for key in self.exclude_keys:
            for span in doc.spans.get(key, []):
                s = span._.char_start if span._.char_start is not None else span.start_char
                e = span._.char_end if span._.char_end is not None else span.end_char
                exclude.append((s, e))
        genes = self.find_genes(doc_text(doc), exclude)
        doc._.gene_mentions = genes
        doc.spans[self.spans_key] = _make_spans(doc, genes)
        return doc


@Language.factory(
    "oncotriples_drug_ruler",
    default_config={
        "drugs_key": "drugs",
        "classes_key": "drug_classes",
        "map_codes": "document",
        "match_classes": True,
    },
)
def make_drug_ruler(
    nlp: Language, name: str, drugs_key: str, classes_key: str, map_codes: str, match_classes: bool
) -> DrugRuler:
    """Factory of the drug / drug-class ruler."""
    return DrugRuler(
        name,
        drugs_key=drugs_key,
        classes_key=classes_key,
        map_codes=map_codes,  # type: ignore[arg-type]
        match_classes=match_classes,
    )


@Language.factory(
    "oncotriples_gene_ruler",
    default_config={"spans_key": "genes", "extra_stoplist": [], "exclude_keys": ["drugs"]},
)
def make_gene_ruler(
    nlp: Language, name: str, spans_key: str, extra_stoplist: list[str], exclude_keys: list[str]
) -> GeneRuler:
    """Factory of the gene ruler."""
    return GeneRuler(
        name, spans_key=spans_key, extra_stoplist=extra_stoplist, exclude_keys=exclude_keys
    )
