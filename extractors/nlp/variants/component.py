"""The spaCy side of the variant grammar: the ``oncotriples_variants`` component."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from extractors.nlp.extensions import doc_text, register_extensions
from extractors.nlp.variants.genes import normalize_gene
from extractors.nlp.variants.grammar import find_variants
from extractors.nlp.variants.mention import GeneHit


class VariantComponent:
    """spaCy component writing ``doc._.variants`` and ``doc.spans[spans_key]`` (genes read from ``genes_key``)."""

    def __init__(self, name: str, spans_key: str, genes_key: str) -> None:
        self.name = name
        self.spans_key = spans_key
        self.genes_key = genes_key
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        genes: list[GeneHit] = []
        gspans = doc.spans.get(self.genes_key) if self.genes_key else None
        if gspans is not None:
            for sp in gspans:
                # exact offsets: the ruler widens spans to whole tokens ("EML4-ALK", "ALK-TKIs")
                s = sp._.char_start if sp.has_extension("char_start") and sp._.char_start is not None else sp.start_char
                e = sp._.char_end if sp.has_extension("char_end") and sp._.char_end is not None else sp.end_char
                sym = getattr(sp._, "norm_id", None) if sp.has_extension("norm_id") else None
                sym = sym or normalize_gene(text[s:e], strict=False) or text[s:e]
                if 0 <= s < e <= len(text):
                    genes.append(GeneHit(s, e, str(sym)))
        ms = find_variants(text, genes)
        doc._.variants = ms
        spans = []
        for v in ms:
            sp = doc.char_span(v.start, v.end, label=v.vtype, alignment_mode="expand")
            if sp is not None:
                sp._.variant = v
                spans.append(sp)
        doc.spans[self.spans_key] = spans
        return doc


@Language.factory("oncotriples_variants", default_config={"spans_key": "variants", "genes_key": "genes"})
def make_variant_component(nlp: Language, name: str, spans_key: str, genes_key: str) -> VariantComponent:
    """Factory of the variant grammar component."""
    return VariantComponent(name, spans_key, genes_key)
