"""What the triple assembly reads from a document: drug, gene and alteration hits, and per-sentence facts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from extractors.nlp.datafiles import gene_set
from extractors.nlp.extensions import doc_text
from extractors.nlp.lexicons.drugs import fallback_drug_name, load_drug_lexicon
from extractors.nlp.therapies import DrugHit
from schemas.vocab import NCT_IN_TEXT_RE

_CODE_NAME = re.compile(r"^(?!NCT\d)[A-Z][A-Za-z]{0,6}-?\d{2,7}[A-Za-z]?(?:-\d+)?$")
_INN_STEM = re.compile(
    r"\b[A-Za-z][a-z]{2,}(?:tinib|rafenib|metinib|ciclib|lisib|parib|zomib|degib|sertib|tecan|platin|taxel|rubicin|limus|mab|vedotin|deruxtecan|trexed|citabine)\b"
)

_PLAUSIBLE_CHEMICAL = re.compile(r"[A-Za-z]{3}")
"""A model-found chemical needs three letters in a row (not ``1,2`` or ``Ca2+``)."""

SPECIFIC_TYPES = frozenset(
    {"substitution", "residue_class", "nonsense", "deletion", "insertion", "duplication", "delins", "frameshift",
     "splice", "dna_substitution", "snp_id", "compound", "exon_deletion", "exon_insertion", "exon_skipping"}
)
POPULATION_TYPES = frozenset({"fusion", "rearrangement", "mutation", "wild_type"})


@dataclass(frozen=True)
class AltHit:
    """One alteration (already split: ``L718Q/V`` gives two hits) with its gene."""

    start: int
    end: int
    text: str
    gene: str
    alteration: str
    vtype: str
    hgvs: str = ""
    rule_id: str = ""

    @property
    def specific(self) -> bool:
        """A concrete change (``C797S``, ``exon 19 deletion``), not a population (``ALK fusion``, ``EGFR mutation``)."""
        return self.vtype in SPECIFIC_TYPES and not self.alteration.startswith("fusion ")


@dataclass
class SentenceFacts:
    start: int
    end: int
    section: str
    drugs: list[DrugHit] = field(default_factory=list)
    alts: list[AltHit] = field(default_factory=list)
    context_drugs: list[DrugHit] = field(default_factory=list)

    @property
    def known_drugs(self) -> list[DrugHit]:
        """Drugs named here, or resolved from context (``this compound``) so a next sentence can chain on."""
        return self.drugs or self.context_drugs


def drug_hits(doc: Doc, *, model_chemicals: bool = False) -> list[DrugHit]:
    """Drug and class mentions from the lexicon rulers, plus model/stem finds the lexicon missed.

    With ``model_chemicals`` every Chemical the NER model finds is a candidate (source
    ``model_chemical`` when it has neither a code shape nor an INN stem), so a learned
    relation model can decide on names no rule recognises (``GW-2580``, ``AS602868``).
    """
    text = doc_text(doc)
    hits: list[DrugHit] = []
    for key, is_class in (("drugs", False), ("drug_classes", True)):
        for span in doc.spans.get(key, []):
            start, end = exact_offsets(span)
            name = span._.norm_id if span.has_extension("norm_id") and span._.norm_id else span.text
            hits.append(DrugHit(start, end, text[start:end], name, is_class, "lexicon"))
    covered = [(h.start, h.end) for h in hits]
    extra: list[DrugHit] = []
    for span in doc.spans.get("ner", []):
        if span.label_ != "Chemical":
            continue
        s, e = span.start_char, span.end_char
        if any(s < ce and cs < e for cs, ce in covered):
            continue
        ent = span.text
        if _CODE_NAME.match(ent):
            extra.append(DrugHit(s, e, ent, ent.upper(), False, "model"))
        elif _INN_STEM.fullmatch(ent.lower()):
            extra.append(DrugHit(s, e, ent, ent.lower(), False, "model"))
        elif model_chemicals and _PLAUSIBLE_CHEMICAL.search(ent) and not NCT_IN_TEXT_RE.match(ent):
            extra.append(DrugHit(s, e, ent, fallback_drug_name(ent), False, "model_chemical"))
    for m in _INN_STEM.finditer(text):
        s, e = m.start(), m.end()
        if any(s < ce and cs < e for cs, ce in covered) or any(s < x.end and x.start < e for x in extra):
            continue
        extra.append(DrugHit(s, e, m.group(0), m.group(0).lower(), False, "inn_stem"))
    return sorted(hits + [_spelled(h) for h in extra], key=lambda h: (h.start, -h.end))


def _spelled(hit: DrugHit) -> DrugHit:
    """A model or stem find that misspells a lexicon INN takes that INN (source ``lexicon_fuzzy``)."""
    entry = load_drug_lexicon().nearest_inn(hit.text)
    return DrugHit(hit.start, hit.end, hit.text, entry.canonical, False, "lexicon_fuzzy") if entry else hit


def gene_hits(doc: Doc) -> list[tuple[int, int, str]]:
    """Gene mentions (exact offsets, HGNC symbol) from the gene ruler."""
    out = []
    for span in doc.spans.get("genes", []):
        start, end = exact_offsets(span)
        symbol = span._.norm_id if span.has_extension("norm_id") and span._.norm_id else span.text
        out.append((start, end, symbol))
    return out


def caption_population(genes: list[tuple[int, int, str]], f: SentenceFacts) -> list[AltHit]:
    """A table caption naming a gene without an alteration names the population (``trials for ALK + NSCLC``)."""
    out = []
    for start, end, symbol in genes:
        if f.start <= start < f.end:
            alteration = "fusion" if symbol in gene_set("fusion_positive") else "mutation"
            out.append(AltHit(start, end, symbol, symbol, alteration, alteration, "", "ctx_caption_gene_population"))
    return out


def exact_offsets(span: Span) -> tuple[int, int]:
    """Exact character offsets of a ruler span (the span itself may be widened to whole tokens)."""
    if span.has_extension("char_start") and span._.char_start is not None:
        return span._.char_start, span._.char_end
    return span.start_char, span.end_char


def alteration_hits(doc: Doc) -> list[AltHit]:
    """Alterations from the variant grammar, one hit per alternative.

    A variant the grammar could not attach to a gene takes the gene that the same
    change (or one of its components) has elsewhere in the document (``ALK G1202R``
    earlier makes a later bare ``G1202R/L1196M`` an ALK variant).
    """
    out: list[AltHit] = []
    variants = getattr(doc._, "variants", None) or []
    known: dict[str, str] = {}
    for v in variants:
        gene = getattr(v, "gene", None)
        if gene:
            for name in (v.normalized, *(getattr(v, "components", None) or ())):
                known.setdefault(name, gene)
    for v in variants:
        gene = getattr(v, "gene", None)
        if not gene:
            names = [v.normalized, *(getattr(v, "components", None) or ())]
            gene = next((known[n] for n in names if n in known), None)
        if not gene:
            continue
        alternatives = getattr(v, "alternatives", None) or (v.normalized,)
        for alt in alternatives:
            out.append(AltHit(v.start, v.end, v.text, gene, alt, getattr(v, "vtype", "") or "", getattr(v, "hgvs", "") or "", getattr(v, "rule_id", "") or ""))
    return out


def section_of(pos: int, sections: list[tuple[int, int, str]]) -> str:
    """The section label of offset ``pos`` (``body`` outside every section)."""
    for start, end, label in sections:
        if start <= pos < end:
            return label
    return "body"
