"""The ``oncotriples_triples`` component: per document and per sentence, therapies × alterations × outcome."""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from extractors.nlp import cues as C
from extractors.nlp.extensions import doc_text, register_extensions
from extractors.nlp.measures import MeasureHit, find_measures
from extractors.nlp.merge import merge_by_key
from extractors.nlp.therapies import Therapy, group_therapies
from extractors.nlp.triples.alterations import alteration_absent, drop_background_alterations
from extractors.nlp.triples.clauses import clause_segments, distributive_pairs, same_clause
from extractors.nlp.triples.drugs import (
    dominant_target,
    drop_appositive_classes,
    drop_modifier_drugs,
    has_resistance_role,
    prior_treatment,
    qualify_class,
    resolve_short_names,
    targets_other_driver,
)
from extractors.nlp.triples.facts import (
    POPULATION_TYPES,
    AltHit,
    SentenceFacts,
    alteration_hits,
    caption_population,
    drug_hits,
    gene_hits,
    section_of,
)
from extractors.nlp.triples.outcome import decide_outcome
from extractors.nlp.triples.scoring import (
    evidence_fields,
    evidence_window,
    measures_for,
    ncts_for,
    score_confidence,
)
from schemas.models import Triple
from schemas.versions import CUE_RULESET_VERSION, MEASURE_RULES_VERSION, TRIPLE_RULESET_VERSION
from schemas.vocab import EXTRACTABLE_SECTIONS, nct_ids_written, triple_key_id

_BACKREF_ALT = re.compile(r"\b(?:these|such|this|those|both|the same|the above|the two|the compound) (?:\w+ )?(?:mutations?|alterations?|variants?|patients|tumou?rs|mechanisms?|cases)\b", re.IGNORECASE)
_BACKREF_DRUG = re.compile(r"\b(?:this|the|these|such) (?:\w+ )?(?:compound|drug|agent|inhibitor|molecule|combination|regimen|strategy|study|trial|therapy|treatment)s?\b|^\s*(?:It|They)\b", re.IGNORECASE)
_OTHER_MECHANISMS = re.compile(r"\b(?:other|additional|further|remaining|alternative)\s+(?:\w+\s+){0,2}(?:mechanisms?|causes?|drivers?)\s+of\s+(?:acquired\s+)?resistance\b", re.IGNORECASE)
_RESULT_METRICS = frozenset({"ORR", "DCR", "iORR", "PFS", "OS", "DOR", "mDOR", "TTF", "HR"})


def _is_result_sentence(sent: str) -> bool:
    """A sentence reporting an efficacy figure (``the ORR was 35%``) continues the study the previous sentence named."""
    return any(h.measure.metric in _RESULT_METRICS for h in find_measures(sent))


@Language.factory(
    "oncotriples_triples",
    default_config={"max_evidence_chars": 300, "min_confidence": 0.0, "use_context": True},
)
def make_triple_assembler(nlp: Language, name: str, max_evidence_chars: int, min_confidence: float, use_context: bool) -> TripleAssembler:
    """Factory of the triple assembler."""
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
        """The merged triples of ``doc``: sentences of extractable sections, with the previous sentence and the last caption as context."""
        text = doc_text(doc)
        sections = doc._.sections or [(0, len(text), "body")]
        drugs = drug_hits(doc)
        alts = alteration_hits(doc)
        target = dominant_target(alts, drugs)
        drugs = resolve_short_names(drop_modifier_drugs([qualify_class(d, target) for d in drugs], text))
        facts: list[SentenceFacts] = []
        for sent in doc.sents:
            label = section_of(sent.start_char, sections)
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
                caption_alts = f.alts or caption_population(genes, f) or caption_alts
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
                drugs = [d for d in prev_drugs if has_resistance_role(text, d, prev, prev_drugs)] or list(prev_drugs)
                forced_outcome, context_used = "resistance", True
                rule_ids.append("ctx_other_mechanisms")
            elif _BACKREF_DRUG.search(sent_text) or _is_result_sentence(sent_text):
                drugs = [d for d in prev_drugs if not has_resistance_role(text, d, prev, prev_drugs)] or list(prev_drugs)
                context_used = True
                rule_ids.append("ctx_backref_drug")
            f.context_drugs = list(drugs)
        if not drugs or not alts:
            return []
        drugs = [d for d in drugs if not (f.start <= d.start < f.end and prior_treatment(text, d, f))]
        alts = [a for a in alts if not (f.start <= a.start < f.end and alteration_absent(text, a, f))]
        if not drugs or not alts:
            return []
        kept_drugs = drop_appositive_classes(drugs, text, table_row=f.section == "table")
        dropped = [(d.start, d.end) for d in drugs if d not in kept_drugs]
        drugs = kept_drugs
        alts = drop_background_alterations(alts, text)
        in_sentence = [d for d in drugs if f.start <= d.start < f.end]
        if in_sentence:
            therapies = group_therapies(in_sentence, text, table_row=f.section == "table", context=sent_text, ignore=dropped)
        else:  # drugs from the previous sentence: keep its grouping
            therapies = group_therapies(drugs, text, context=text[prev.start : prev.end] if prev else "")
        pairing = distributive_pairs(text, therapies, alts)
        seg = clause_segments(text, f, therapies, alts)
        ncts = [(start + f.start, nct_id) for start, nct_id in nct_ids_written(sent_text)]
        measures = find_measures(sent_text)
        hedged = bool(C.find_cues(sent_text, C.cue_set("hedge")))
        out: list[Triple] = []
        for therapy in therapies:
            if forced_outcome:
                outcome, negated, cue_ids, strength = forced_outcome, False, [], 0.6
            else:
                outcome, negated, cue_ids, strength = decide_outcome(text, f, therapy, drugs, ncts, measures, seg)
            if outcome is None:
                continue
            mine = pairing.get(id(therapy)) if pairing else None
            for alt in alts:
                if "ctx_table_caption" in rule_ids and targets_other_driver(therapy, alt.gene):
                    continue  # a HER2 drug in a table of ALK trials is not tested in the ALK population
                if mine is not None and alt not in mine:
                    continue
                if not same_clause(text, therapy, alt, f, seg):
                    continue
                if "role_resistance_to_drug" in cue_ids and alt.vtype in POPULATION_TYPES and (
                    alt.alteration in ("fusion", "wild-type") or any(a.vtype not in POPULATION_TYPES for a in alts)
                ):
                    continue  # the failed drug's own population (ALK-positive, EGFR-mutant) is not what it failed against
                conf = score_confidence(strength, therapy, alt, f, context_used, hedged, len(therapies), len(alts), text)
                if conf < self.min_confidence:
                    continue
                out.append(self._triple(doc, text, f, therapy, alt, outcome, negated, hedged, conf, [*rule_ids, *cue_ids], ncts, measures, alts))
        return out

    def _triple(self, doc: Doc, text: str, f: SentenceFacts, therapy: Therapy, alt: AltHit, outcome: str, negated: bool, hedged: bool, conf: float, rule_ids: list[str], ncts: list[tuple[int, str]], measures: list[MeasureHit], alts: list[AltHit]) -> Triple:
        ev_start, ev_end = evidence_window(text, f, therapy, alt, self.max_evidence_chars)
        mine = measures_for(alt, alts, measures, f.start)
        level = C.evidence_level(text[f.start : f.end], [n for _, n in ncts], doc._.default_level)
        drugs = therapy.drugs
        return Triple(
            **evidence_fields(doc, text, f.section, f.start, f.end, ev_start, ev_end),
            drugs=drugs,
            drug_class=therapy.is_class,
            gene=alt.gene,
            alteration=alt.alteration,
            outcome=outcome,  # type: ignore[arg-type]
            measures=[m.measure.as_string() for m in mine if m.measure.metric not in {"n"}],
            evidence_level=level,  # type: ignore[arg-type]
            nct_ids=ncts_for(therapy, ncts),
            triple_id=triple_key_id(doc._.doc_id, drugs, alt.gene, alt.alteration, outcome),
            alteration_type=alt.vtype,
            hgvs=alt.hgvs,
            measures_structured=[m.measure for m in mine],
            negated=negated,
            hedged=hedged,
            confidence=round(conf, 3),
            rule_ids=sorted({*rule_ids, *(r for r in [alt.rule_id] if r), *(f"drug:{m.source}" for m in therapy.members)}),
            extractor_version=f"{TRIPLE_RULESET_VERSION}+{CUE_RULESET_VERSION}+{MEASURE_RULES_VERSION}",
        )
