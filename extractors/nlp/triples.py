"""Triple assembly: therapy × alteration × outcome per sentence or table row, with evidence.

Runs after the sentence splitter, the lexicon rulers, the NER and the variant
grammar. For each extractable sentence it pairs the therapies and the
alterations the sentence names (or licenses by context: a table row inherits
its caption's population, ``these mutations`` / ``this compound`` refer to
the previous sentence), decides the outcome from cue words with each drug's
own role (``resistance to X``, ``X-resistant``), records negation and
hedging, attaches measures and trial ids, and scores a confidence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.nlp import cues as C
from extractors.nlp.datafiles import gene_set
from extractors.nlp.extensions import register_extensions
from extractors.nlp.lexicons import load_drug_lexicon
from extractors.nlp.measures import MeasureHit, find_measures
from extractors.nlp.merge import merge_by_key
from extractors.nlp.therapies import DrugHit, Therapy, group_therapies
from schemas.models import EXTRACTABLE_SECTIONS, Triple
from schemas.versions import CUE_RULESET_VERSION, MEASURE_RULES_VERSION, TRIPLE_RULESET_VERSION
from schemas.vocab import GENERIC_ALTERATIONS, nct_ids_written, triple_key_id

_BACKREF_ALT = re.compile(r"\b(?:these|such|this|those|both|the same|the above|the two|the compound) (?:\w+ )?(?:mutations?|alterations?|variants?|patients|tumou?rs|mechanisms?|cases)\b", re.IGNORECASE)
_BACKREF_DRUG = re.compile(r"\b(?:this|the|these|such) (?:\w+ )?(?:compound|drug|agent|inhibitor|molecule|combination|regimen|strategy|study|trial|therapy|treatment)s?\b|^\s*(?:It|They)\b", re.IGNORECASE)
_OTHER_MECHANISMS = re.compile(r"\b(?:other|additional|further|remaining|alternative)\s+(?:\w+\s+){0,2}(?:mechanisms?|causes?|drivers?)\s+of\s+(?:acquired\s+)?resistance\b", re.IGNORECASE)
_RESULT_METRICS = frozenset({"ORR", "DCR", "iORR", "PFS", "OS", "DOR", "mDOR", "TTF", "HR"})


def _is_result_sentence(sent: str) -> bool:
    """A sentence reporting an efficacy figure (``the ORR was 35%``) continues the study the previous sentence named."""
    return any(h.measure.metric in _RESULT_METRICS for h in find_measures(sent))


_RESULT_VERB = re.compile(r"\b(?:showed|shown|demonstrated|resulted|achieved|reported|observed|yielded|led to|induced|produced|found|revealed|exhibited|was|were)\b", re.IGNORECASE)
_CODE_NAME = re.compile(r"^(?!NCT\d)[A-Z][A-Za-z]{0,6}-?\d{2,7}[A-Za-z]?(?:-\d+)?$")
_INN_STEM = re.compile(
    r"\b[a-z]{3,}(?:tinib|rafenib|metinib|ciclib|lisib|parib|zomib|degib|sertib|tecan|platin|taxel|rubicin|limus|mab|vedotin|deruxtecan|trexed|citabine)\b"
)
_ABBREV_OK = re.compile(r"^[A-Z]")

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


# ---------------------------------------------------------------- adapters


def drug_hits(doc: Doc, text: str | None = None) -> list[DrugHit]:
    """Drug and class mentions from the lexicon rulers, plus model/stem finds the lexicon missed."""
    text = doc.text if text is None else text  # Doc.text rebuilds the string on every access
    hits: list[DrugHit] = []
    for key, is_class in (("drugs", False), ("drug_classes", True)):
        for span in doc.spans.get(key, []):
            start, end = _exact(span)
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
        text = span.text
        if _CODE_NAME.match(text):
            extra.append(DrugHit(s, e, text, text.upper(), False, "model"))
        elif _INN_STEM.fullmatch(text.lower()):
            extra.append(DrugHit(s, e, text, text.lower(), False, "model"))
    for m in _INN_STEM.finditer(text):
        s, e = m.start(), m.end()
        if any(s < ce and cs < e for cs, ce in covered) or any(s < x.end and x.start < e for x in extra):
            continue
        extra.append(DrugHit(s, e, m.group(0), m.group(0).lower(), False, "inn_stem"))
    return sorted(hits + extra, key=lambda h: (h.start, -h.end))


def gene_hits(doc: Doc) -> list[tuple[int, int, str]]:
    """Gene mentions (exact offsets, HGNC symbol) from the gene ruler."""
    out = []
    for span in doc.spans.get("genes", []):
        start, end = _exact(span)
        symbol = span._.norm_id if span.has_extension("norm_id") and span._.norm_id else span.text
        out.append((start, end, symbol))
    return out


def _caption_population(genes: list[tuple[int, int, str]], f: SentenceFacts) -> list[AltHit]:
    """A table caption naming a gene without an alteration names the population (``trials for ALK + NSCLC``)."""
    out = []
    for start, end, symbol in genes:
        if f.start <= start < f.end:
            alteration = "fusion" if symbol in gene_set("fusion_positive") else "mutation"
            out.append(AltHit(start, end, symbol, symbol, alteration, alteration, "", "ctx_caption_gene_population"))
    return out


def _exact(span: Span) -> tuple[int, int]:
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


# ---------------------------------------------------------------- component


@Language.factory(
    "oncotriples_triples",
    default_config={"max_evidence_chars": 300, "min_confidence": 0.0, "use_context": True},
)
def make_triple_assembler(nlp: Language, name: str, max_evidence_chars: int, min_confidence: float, use_context: bool) -> TripleAssembler:
    return TripleAssembler(max_evidence_chars=max_evidence_chars, min_confidence=min_confidence, use_context=use_context)


class TripleAssembler:
    """spaCy component writing ``doc._.triples`` (list of :class:`schemas.models.Triple`)."""

    version = TRIPLE_RULESET_VERSION

    def __init__(self, *, max_evidence_chars: int = 300, min_confidence: float = 0.0, use_context: bool = True) -> None:
        register_extensions()
        self.max_evidence_chars = max_evidence_chars
        self.min_confidence = min_confidence
        self.use_context = use_context

    def __call__(self, doc: Doc) -> Doc:
        doc._.triples = self.assemble(doc)
        return doc

    # -- per document -------------------------------------------------
    def assemble(self, doc: Doc) -> list[Triple]:
        text = doc.text
        sections = doc._.sections or [(0, len(text), "body")]
        drugs = drug_hits(doc, text)
        alts = alteration_hits(doc)
        target = _dominant_target(alts, drugs)
        drugs = _resolve_short_names(_drop_modifier_drugs([_qualify_class(d, target) for d in drugs], text))
        facts: list[SentenceFacts] = []
        for sent in doc.sents:
            label = _section_of(sent.start_char, sections)
            if label not in EXTRACTABLE_SECTIONS or not sent.text.strip():
                continue
            f = SentenceFacts(sent.start_char, sent.end_char, label)
            f.drugs = [d for d in drugs if sent.start_char <= d.start < sent.end_char]
            f.alts = [a for a in alts if sent.start_char <= a.start < sent.end_char]
            facts.append(f)
        triples: list[Triple] = []
        caption_alts: list[AltHit] = []
        genes = gene_hits(doc)
        for i, f in enumerate(facts):
            if f.section == "caption":
                caption_alts = f.alts or _caption_population(genes, f) or caption_alts
            triples.extend(self._sentence_triples(doc, text, f, facts[i - 1] if i else None, caption_alts))
        return merge_by_key(triples)

    # -- per sentence -------------------------------------------------
    def _sentence_triples(self, doc: Doc, text: str, f: SentenceFacts, prev: SentenceFacts | None, caption_alts: list[AltHit]) -> list[Triple]:
        sent_text = text[f.start : f.end]
        rule_ids: list[str] = []
        drugs, alts = list(f.drugs), list(f.alts)
        context_used = False
        if self.use_context and not alts:
            if f.section == "table" and caption_alts:
                alts, context_used = list(caption_alts), True
                rule_ids.append("ctx_table_caption")
            elif prev is not None and prev.alts and _BACKREF_ALT.search(sent_text):
                alts, context_used = list(prev.alts), True
                rule_ids.append("ctx_backref_alteration")
        forced_outcome = None
        same_paragraph = prev is not None and "\n\n" not in text[prev.end : f.start] and "\n\n" not in text[prev.start : prev.end].rstrip()
        if self.use_context and not drugs and prev is not None and prev.known_drugs and same_paragraph:
            prev_drugs = prev.known_drugs
            if _OTHER_MECHANISMS.search(sent_text):
                # "Other mechanisms of resistance include X": resistance to the drugs the previous sentence failed
                drugs = [d for d in prev_drugs if _has_resistance_role(text, d, prev, prev_drugs)] or list(prev_drugs)
                forced_outcome, context_used = "resistance", True
                rule_ids.append("ctx_other_mechanisms")
            elif _BACKREF_DRUG.search(sent_text) or _is_result_sentence(sent_text):
                drugs = [d for d in prev_drugs if not _has_resistance_role(text, d, prev, prev_drugs)] or list(prev_drugs)
                context_used = True
                rule_ids.append("ctx_backref_drug")
            f.context_drugs = list(drugs)
        if not drugs or not alts:
            return []
        drugs = [d for d in drugs if not (f.start <= d.start < f.end and _prior_treatment(text, d, f))]
        alts = [a for a in alts if not (f.start <= a.start < f.end and _alteration_absent(text, a, f))]
        if not drugs or not alts:
            return []
        kept_drugs = _drop_appositive_classes(drugs, text, table_row=f.section == "table")
        dropped = [(d.start, d.end) for d in drugs if d not in kept_drugs]
        drugs = kept_drugs
        alts = _drop_background_alterations(alts, text)
        in_sentence = [d for d in drugs if f.start <= d.start < f.end]
        if in_sentence:
            therapies = group_therapies(in_sentence, text, table_row=f.section == "table", context=sent_text, ignore=dropped)
        else:  # drugs from the previous sentence: keep its grouping
            therapies = group_therapies(drugs, text, context=text[prev.start : prev.end] if prev else "")
        pairing = _distributive_pairs(text, therapies, alts)
        seg = _segments(text, f, therapies, alts)
        ncts = [(start + f.start, nct_id) for start, nct_id in nct_ids_written(sent_text)]
        measures = find_measures(sent_text)
        hedged = bool(C.find_cues(sent_text, C.cue_set("hedge")))
        out: list[Triple] = []
        for therapy in therapies:
            if forced_outcome:
                outcome, negated, cue_ids, strength = forced_outcome, False, [], 0.6
            else:
                outcome, negated, cue_ids, strength = self._outcome(text, f, therapy, drugs, ncts, measures, seg)
            if outcome is None:
                continue
            mine = pairing.get(id(therapy)) if pairing else None
            for alt in alts:
                if "ctx_table_caption" in rule_ids and _targets_other_driver(therapy, alt.gene):
                    continue  # a HER2 drug in a table of ALK trials is not tested in the ALK population
                if mine is not None and alt not in mine:
                    continue
                if not _same_clause(text, therapy, alt, f, seg):
                    continue
                if "role_resistance_to_drug" in cue_ids and alt.vtype in POPULATION_TYPES and (
                    alt.alteration in ("fusion", "wild-type") or any(a.vtype not in POPULATION_TYPES for a in alts)
                ):
                    continue  # the failed drug's own population (ALK-positive, EGFR-mutant) is not what it failed against
                conf = _confidence(strength, therapy, alt, f, context_used, hedged, len(therapies), len(alts), text)
                if conf < self.min_confidence:
                    continue
                out.append(self._triple(doc, text, f, therapy, alt, outcome, negated, hedged, conf, [*rule_ids, *cue_ids], ncts, measures, alts))
        return out

    def _outcome(self, text: str, f: SentenceFacts, therapy: Therapy, all_drugs: list[DrugHit], ncts: list[tuple[int, str]], measures: list[MeasureHit], seg: Segments | None = None) -> tuple[str | None, bool, list[str], float]:
        """Outcome for one therapy in one sentence, with negation flag, cue ids and a strength in [0, 1]."""
        sent = text[f.start : f.end]
        role_res = [m for m in therapy.members if _has_resistance_role(text, m, f, all_drugs)]
        if role_res and len(role_res) == len(therapy.members):
            return "resistance", False, ["role_resistance_to_drug"], 0.9
        others_roles = [(d.start, d.end) for d in all_drugs if d not in therapy.members and _has_resistance_role(text, d, f, all_drugs)]

        def near_other_role(pos: int) -> bool:
            return any(s - 40 <= pos + f.start <= e + 25 for s, e in others_roles)

        main_from = _main_clause_start(sent)
        res = [c for c in C.find_cues(sent, C.cue_set("resistance")) if c[0] >= main_from and not near_other_role(c[0]) and not _overcome_before(sent, c[0])]
        sens = [c for c in C.find_cues(sent, C.cue_set("sensitivity")) if c[0] >= main_from and not any(r[0] <= c[0] < r[1] or c[0] <= r[0] < c[1] for r in res)]
        if seg is not None and len(seg.bounds) > 1:
            mine = {seg.index(m.start) for m in therapy.members if f.start <= m.start < f.end}
            if mine:
                res_in = [c for c in res if seg.index(c[0] + f.start) in mine]
                sens_in = [c for c in sens if seg.index(c[0] + f.start) in mine]
                if res_in or sens_in:
                    res, sens = res_in, sens_in
        if main_from and not res and not sens:
            res = [c for c in C.find_cues(sent, C.cue_set("resistance")) if not near_other_role(c[0]) and not _overcome_before(sent, c[0])]
            sens = [c for c in C.find_cues(sent, C.cue_set("sensitivity")) if not any(r[0] <= c[0] < r[1] or c[0] <= r[0] < c[1] for r in res)]
        inv = C.find_cues(sent, C.cue_set("investigation"))
        has_results = bool(measures) or bool(_RESULT_VERB.search(sent) and sens and not inv)
        if inv and not (measures and any(h.measure.metric != "n" for h in measures)):
            return "investigation", False, [c[2].rule_id for c in inv[:3]], 0.75
        if f.section == "table" and ncts and not has_results:
            return "investigation", False, ["table_row_trial"], 0.7
        strong_res = [c for c in res if c[2].rule_id not in {"res_mediate"}] or res
        res_score = sum(_res_weight(sent, c) for c in strong_res)
        sens_score = sum(2.0 if c[2].rule_id in {"sens_sensitive", "sens_response", "sens_benefit", "sens_overcome", "sens_measure", "sens_approved"} else 1.0 for c in sens)
        if res and not sens and res_score < 1.0:
            res = []  # only "resistance mutations"-style naming: no asserted outcome
        if not res and not sens:
            if ncts and C.cue_pattern("level_trial").search(sent):
                return "investigation", False, ["trial_mention"], 0.5
            return None, False, [], 0.0
        if sens_score > res_score or (sens_score == res_score and sens and (sens[0][0] > res[0][0])):
            cue = max(sens, key=lambda c: 2.0 if c[2].rule_id.startswith(("sens_sensitive", "sens_response", "sens_overcome")) else 1.0)
            negated = _negated(sent, cue[0])
            outcome = "resistance" if negated else "sensitivity"
            return outcome, negated, [c[2].rule_id for c in sens[:3]], min(1.0, 0.45 + 0.12 * sens_score)
        cue = res[0]
        negated = _negated(sent, cue[0]) and cue[2].rule_id not in {"res_lack", "res_ineffective"}
        outcome = "sensitivity" if negated else "resistance"
        if role_res:  # part of the combination was the failed drug: the combination is the rescue
            outcome = "sensitivity" if sens else outcome
        return outcome, negated, [c[2].rule_id for c in res[:3]], min(1.0, 0.45 + 0.12 * res_score)

    def _triple(self, doc: Doc, text: str, f: SentenceFacts, therapy: Therapy, alt: AltHit, outcome: str, negated: bool, hedged: bool, conf: float, rule_ids: list[str], ncts: list[tuple[int, str]], measures: list[MeasureHit], alts: list[AltHit]) -> Triple:
        ev_start, ev_end = _evidence_window(text, f, therapy, alt, self.max_evidence_chars)
        mine = _measures_for(alt, alts, measures, f.start)
        level = C.evidence_level(text[f.start : f.end], [n for _, n in ncts], doc._.default_level)
        drugs = therapy.drugs
        return Triple(
            doc_id=doc._.doc_id,
            evidence=text[ev_start:ev_end],
            drugs=drugs,
            drug_class=therapy.is_class,
            gene=alt.gene,
            alteration=alt.alteration,
            outcome=outcome,  # type: ignore[arg-type]
            measures=[m.measure.as_string() for m in mine if m.measure.metric not in {"n"}],
            evidence_level=level,  # type: ignore[arg-type]
            nct_ids=_ncts_for(therapy, ncts),
            triple_id=triple_key_id(doc._.doc_id, drugs, alt.gene, alt.alteration, outcome),
            source=doc._.source,
            source_id=doc._.source_id,
            section=f.section,
            sentence_start=f.start,
            sentence_end=f.end,
            evidence_start=ev_start,
            evidence_end=ev_end,
            sentence=text[f.start : f.end],
            alteration_type=alt.vtype,
            hgvs=alt.hgvs,
            measures_structured=[m.measure for m in mine],
            negated=negated,
            hedged=hedged,
            confidence=round(conf, 3),
            rule_ids=sorted({*rule_ids, *(r for r in [alt.rule_id] if r), *(f"drug:{m.source}" for m in therapy.members)}),
            extractor_version=f"{TRIPLE_RULESET_VERSION}+{CUE_RULESET_VERSION}+{MEASURE_RULES_VERSION}",
        )


# ---------------------------------------------------------------- helpers


def _section_of(pos: int, sections: list[tuple[int, int, str]]) -> str:
    for start, end, label in sections:
        if start <= pos < end:
            return label
    return "body"


def _dominant_target(alts: list[AltHit], drugs: list[DrugHit]) -> str:
    counts = Counter(a.gene for a in alts if a.gene)
    return counts.most_common(1)[0][0] if counts else ""


UNTARGETED_CLASS_HEADS = ("TKI", "PROTAC", "degrader", "inhibitor")


def _qualify_class(hit: DrugHit, target: str) -> DrugHit:
    """A class named without its target (``TKIs``, ``PROTACs``) takes the document's dominant target."""
    if hit.is_class and target and any(hit.name == h or hit.name.startswith(h + " ") for h in UNTARGETED_CLASS_HEADS):
        return DrugHit(hit.start, hit.end, hit.text, f"{target}-{hit.name}", True, hit.source)
    return hit


def _resolve_short_names(hits: list[DrugHit]) -> list[DrugHit]:
    """A bare antibody name means the conjugate the document names in full (``telisotuzumab`` → ``telisotuzumab vedotin``)."""
    full = {h.name for h in hits if not h.is_class and " " in h.name}
    out = []
    for h in hits:
        if not h.is_class and " " not in h.name:
            longer = sorted(n for n in full if n.startswith(h.name + " "))
            if len(longer) == 1:
                h = DrugHit(h.start, h.end, h.text, longer[0], False, h.source)
        out.append(h)
    return out


_BASED_ON = re.compile(r"^[\s-]*based\b", re.IGNORECASE)


def _drop_modifier_drugs(hits: list[DrugHit], text: str) -> list[DrugHit]:
    """``brigatinib-based PROTAC``: a drug used as a modifier is not the therapy (``...-based chemotherapy`` is a class anyway)."""
    return [h for h in hits if not _BASED_ON.match(text[h.end : h.end + 12])]


_ANAPHOR_BEFORE = re.compile(r"\b(?:this|that|these|those|such|the same|both)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)
_PREDICATE_GAP = re.compile(
    r"^[\s,(]*(?:(?:is|was|are|were|as|remains|represents|acts as|(?:\w+\s+){0,3}as)\s+)(?:a|an|the|its)?\s*(?:[\w-]+\s+){0,3}$",
    re.IGNORECASE,
)


def _drop_appositive_classes(drugs: list[DrugHit], text: str, *, table_row: bool) -> list[DrugHit]:
    """Drop a class that only describes a named drug: apposition (``the MET TKI savolitinib``),
    predication (``NVL-655 is a novel ALK inhibitor``) or anaphora (``this ADC``)."""
    named = [d for d in drugs if not d.is_class]
    if not named:
        return drugs
    if table_row:
        return named
    keep = []
    for d in drugs:
        if d.is_class and (any(_adjacent(text, d, n) or _predicated(text, n, d) for n in named) or _ANAPHOR_BEFORE.search(text[max(0, d.start - 20) : d.start])):
            continue
        keep.append(d)
    return keep


def _predicated(text: str, named: DrugHit, cls: DrugHit) -> bool:
    """``X is a novel CLASS`` / ``X was developed as a CLASS``: the class describes X."""
    if named.end > cls.start or cls.start - named.end > 100:
        return False
    gap = re.sub(r",[^,]{0,45},", " ", text[named.end : cls.start])
    return bool(_PREDICATE_GAP.match(gap))


def _adjacent(text: str, a: DrugHit, b: DrugHit) -> bool:
    first, second = (a, b) if a.start < b.start else (b, a)
    gap = text[first.end : second.start]
    return len(gap) <= 9 and re.fullmatch(r"[\s(,:]*(?:(?:the|a|an|its)\b[\s,]*)?", gap, re.IGNORECASE) is not None


_CARRIER = re.compile(r"^\s*$|^[^,;.]{0,40}?\b(?:with|containing|harbou?ring|carrying|bearing)\b[^,;.]{0,20}$", re.IGNORECASE)


def _drop_background_alterations(alts: list[AltHit], text: str = "") -> list[AltHit]:
    """A generic fusion/mutation of a gene is background when the sentence names a specific change in it,
    and so is a named fusion that only carries the change (``EML4-ALK variant 1 containing G1202R/L1196M``)."""
    specific = [a for a in alts if a.specific]
    specific_genes = {a.gene for a in specific}
    out = []
    for a in alts:
        if not a.specific and a.gene in specific_genes and a.alteration in GENERIC_ALTERATIONS:
            continue
        if text and a.alteration.startswith("fusion ") and any(s.gene == a.gene and s.start >= a.end and _CARRIER.match(text[a.end : s.start]) for s in specific):
            continue
        out.append(a)
    return out


def _res_weight(sent: str, cue: tuple[int, int, C.Cue]) -> float:
    if C.cue_pattern("weak_resistance").match(sent[cue[0] :]):
        return 0.5
    return 2.0 if cue[2].rule_id in {"res_resist", "res_insensitive", "res_ineffective", "res_reduced_potency", "res_lack", "res_refractory"} else 1.0


_ABSENT_BEFORE = re.compile(r"(?:\black(?:ing|s)?|\bwithout|\bnegative for|\babsence of|\bno|\bfree of|\bexcluding)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


def _alteration_absent(text: str, alt: AltHit, f: SentenceFacts) -> bool:
    """``patients lacking ALK resistant mutations``: the population is defined by the alteration's absence."""
    return bool(_ABSENT_BEFORE.search(text[max(f.start, alt.start - 30) : alt.start]))


def _prior_treatment(text: str, drug: DrugHit, f: SentenceFacts) -> bool:
    before = text[max(f.start, drug.start - 90) : drug.start]
    return bool(C.cue_pattern("prior_role").search(before)) and not C.cue_pattern("resistance_role").search(before)


def _targets_other_driver(therapy: Therapy, gene: str) -> bool:
    """No member targets ``gene`` while some member targets another oncogenic driver (lexicon targets)."""
    lexicon = load_drug_lexicon()
    targets: set[str] = set()
    for m in therapy.members:
        entry = None if m.is_class else lexicon.lookup(m.name)
        if entry is not None:
            targets.update(entry.targets)
    return bool(targets) and gene not in targets and bool(targets & gene_set("oncogenic_drivers"))


def _distributive_pairs(text: str, therapies: list[Therapy], alts: list[AltHit]) -> dict[int, list[AltHit]] | None:
    """``A for X, B for Y, C for Z``: each therapy goes with the alteration right after it."""
    named = [t for t in therapies if not t.is_class]
    starts = sorted({a.start for a in alts})
    if len(named) < 2 or len(starts) < 2:
        return None
    pairs: dict[int, list[AltHit]] = {}
    for t in named:
        following = [s for s in starts if s >= t.end and s - t.end <= 30 and not re.search(r"[;.]", text[t.end : s])]
        if not following:
            return None
        nxt = min(following)
        if any(o is not t and t.end <= o.start < nxt for o in named):
            return None
        pairs[id(t)] = [a for a in alts if a.start == nxt]
    used = [a.start for v in pairs.values() for a in v]
    if len(set(used)) != len(used):
        return None
    for t in therapies:
        if t.is_class:
            pairs[id(t)] = []
    return pairs


_COORD_GAP = re.compile(r"^\s*(?:,|,?\s*(?:and|or|and/or))\s*$", re.IGNORECASE)


def _has_resistance_role(text: str, drug: DrugHit, f: SentenceFacts, drugs: list[DrugHit] | None = None, _depth: int = 0) -> bool:
    """``resistance to X``, ``X-resistant``, ``progression on X`` — and ``resistance to A and B`` gives B the role too."""
    before = text[max(f.start, drug.start - 45) : drug.start]
    after = text[drug.end : min(f.end, drug.end + 25)]
    if C.cue_pattern("resistance_role").search(before) or C.cue_pattern("resistance_role_after").match(after):
        return True
    if drugs and _depth < 5:
        prior = [d for d in drugs if d.end <= drug.start and f.start <= d.start]
        if prior:
            p = max(prior, key=lambda d: d.end)
            if _COORD_GAP.match(text[p.end : drug.start]):
                return _has_resistance_role(text, p, f, drugs, _depth + 1)
    return False


_CONTRAST_LEAD = re.compile(r"^\s*(?:despite|although|though|even though|while|whereas|notwithstanding)\b[^,]{3,200},\s*", re.IGNORECASE)
_CONTRAST_MID = re.compile(r"[,;]\s*(?:but|however|yet|nevertheless|nonetheless)\b,?\s*|\.\s*However,\s*", re.IGNORECASE)


def _main_clause_start(sent: str) -> int:
    """Offset where the asserted (main) clause starts after a concessive lead or a ``but``."""
    m = _CONTRAST_LEAD.match(sent)
    if m:
        return m.end()
    m = _CONTRAST_MID.search(sent)
    return m.end() if m else 0


def _overcome_before(sent: str, pos: int) -> bool:
    window = sent[max(0, pos - 45) : pos]
    return bool(re.search(r"\b(?:overc[oa]m\w*|circumvent\w*|address\w*|combat\w*|delay\w*|prevent\w*|revers\w*|tackl\w*|target\w*|manag\w*)\b", window, re.IGNORECASE))


def _negated(sent: str, pos: int) -> bool:
    window = sent[max(0, pos - 30) : pos]
    return any(m.end() >= len(window) - 30 for m in C.cue_set("negation")[0].pattern.finditer(window))


_SEGMENT_BREAK = re.compile(r";|,\s*(?:providing|suggesting|indicating|supporting|highlighting|making|raising)\b|\bwhereas\b|(?<=[,\w] )while\b|\bcompared (?:to|with)\b|\bin contrast (?:to|with)\b|,\s*but\b|\bunlike\b", re.IGNORECASE)


@dataclass
class Segments:
    """Clause segments of a sentence and which hold therapies / alterations."""

    bounds: list[int]
    with_therapy: set[int]
    with_alt: set[int]

    def index(self, pos: int) -> int:
        i = 0
        while i + 1 < len(self.bounds) and pos >= self.bounds[i + 1]:
            i += 1
        return i


def _segments(text: str, f: SentenceFacts, therapies: list[Therapy], alts: list[AltHit]) -> Segments:
    sent = text[f.start : f.end]
    bounds = [f.start] + [f.start + m.start() for m in _SEGMENT_BREAK.finditer(sent)]
    seg = Segments(bounds, set(), set())
    for t in therapies:
        for m in t.members:
            if f.start <= m.start < f.end:
                seg.with_therapy.add(seg.index(m.start))
    for a in alts:
        seg.with_alt.add(seg.index(a.start))
    return seg


def _same_clause(text: str, therapy: Therapy, alt: AltHit, f: SentenceFacts, seg: Segments | None = None) -> bool:
    """Pair within a clause; a clause with only drugs (or only alterations) links to the orphan clauses of the other kind.

    ``L1195M ... in crizotinib-resistant tumors compared to G1202R ..., which ... resistance to 2nd generation
    ALK TKIs`` pairs crizotinib with L1195M and the TKIs with G1202R; ``for ALK-positive NSCLC, including
    crizotinib; ceritinib; alectinib`` pairs every drug with the one population.
    """
    if therapy.start < f.start or therapy.start >= f.end or seg is None or len(seg.bounds) == 1:
        return True  # therapy came from context, or a single clause
    t_segs = {seg.index(m.start) for m in therapy.members if f.start <= m.start < f.end}
    a_seg = seg.index(alt.start)
    if a_seg in t_segs:
        return True
    orphan_alt_segs = seg.with_alt - seg.with_therapy
    orphan_therapy_segs = seg.with_therapy - seg.with_alt
    t_orphan = bool(t_segs & orphan_therapy_segs)
    a_orphan = a_seg in orphan_alt_segs
    if t_orphan and a_orphan:
        return True
    if t_orphan and not orphan_alt_segs:
        return True
    return a_orphan and not orphan_therapy_segs


def _confidence(strength: float, therapy: Therapy, alt: AltHit, f: SentenceFacts, context_used: bool, hedged: bool, n_therapies: int, n_alts: int, text: str) -> float:
    conf = 0.25 + 0.45 * strength
    if alt.specific:
        conf += 0.1
    if f.start <= therapy.start < f.end:
        distance = abs(therapy.start - alt.start)
        conf += 0.1 if distance < 80 else (0.0 if distance < 200 else -0.1)
    if context_used:
        conf -= 0.15
    if hedged:
        conf -= 0.05
    if n_therapies * n_alts > 4:
        conf -= 0.1
    if therapy.is_class:
        conf -= 0.05
    return max(0.0, min(1.0, conf))


def _evidence_window(text: str, f: SentenceFacts, therapy: Therapy, alt: AltHit, limit: int) -> tuple[int, int]:
    """The sentence, or a window of it around the drug and alteration when it is too long."""
    start, end = f.start, f.end
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start <= limit:
        return start, end
    points = [alt.start, alt.end]
    if f.start <= therapy.start < f.end:
        points += [therapy.start, therapy.end]
    lo, hi = min(points), max(points)
    if hi - lo >= limit:
        return lo, lo + limit
    pad = (limit - (hi - lo)) // 2
    lo = max(start, lo - pad)
    hi = min(end, lo + limit)
    return lo, hi


def _measures_for(alt: AltHit, alts: list[AltHit], measures: list[MeasureHit], offset: int) -> list[MeasureHit]:
    """Measures of the sentence; IC50s belong to the alteration named just before them."""
    keep = []
    distinct = {(a.start, a.alteration) for a in alts}
    for m in measures:
        if m.measure.metric == "IC50" and len(distinct) > 1:
            before = [a for a in alts if a.start <= m.start + offset]
            if not before or max(before, key=lambda a: a.start).start != alt.start:
                continue
        keep.append(m)
    return keep


def _ncts_for(therapy: Therapy, ncts: list[tuple[int, str]]) -> list[str]:
    if len(ncts) <= 1:
        return [n for _, n in ncts]
    after = [(pos, n) for pos, n in ncts if pos >= therapy.end]
    if after:
        return [min(after)[1]]
    return [max(ncts)[1]]
