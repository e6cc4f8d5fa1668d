"""Document-level relation candidates: every therapy paired with every alteration nearby.

A statement's alteration is often named in one sentence and the therapy's outcome in the
next (``A patient harbored an EML4-ALK fusion. Crizotinib produced a partial response.``),
and a bare variant (``T790M``) often names no gene. Candidates are therefore generated
generously, within a sentence and across a short window of the same paragraph, and a
bare variant takes a gene inferred in a fixed order (the sentence, the drug's target, the
variant table learned from training data, the document's dominant gene); the relation
model then decides which candidates are asserted. How each gene was inferred is kept so
the model can weigh it and a reviewer can see it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from spacy.tokens import Doc

from extractors.nlp.datafiles import gene_set
from extractors.nlp.expression import level_mentions
from extractors.nlp.extensions import doc_text
from extractors.nlp.therapies import DrugHit, Therapy, alternative_groupings, group_therapies
from extractors.nlp.triples import SPECIFIC_TYPES, drug_hits, gene_hits
from extractors.nlp.triples.drugs import dominant_target, drop_modifier_drugs, qualify_class
from extractors.nlp.triples.facts import section_of
from schemas.vocab import EXTRACTABLE_SECTIONS

WINDOW_BEFORE = 5
"""Sentences a therapy may precede its alteration by: a study names its drug once (``In this phase I
study of X, ...``) and reports the subgroups several sentences on. Chosen by out-of-fold F1 on CIViC
train (1 → 5: 0.462 → 0.477); the model weighs the distance (``off=`` features)."""
WINDOW_AFTER = 5
"""Sentences a therapy may follow its alteration by (case and cohort descriptions carried over)."""

GENE_HOW = ("mention", "same_variant", "sentence", "drug_target", "variant_table", "document")
"""Gene inference sources, in the order they are tried."""

TABLE_READING = "variant_table_other"
"""How a second reading is named: the variant–gene table's gene where the first reading chose another."""

_ABSENT_BEFORE = re.compile(r"(?:\black(?:ing|s)?|\bwithout|\bnegative for|\babsence of|\bno|\bfree of|\bexcluding)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
"""``patients lacking EGFR T790M``: a population defined by the alteration's absence is not its carrier."""


@dataclass(frozen=True)
class AltMention:
    """One alteration alternative as written; ``gene`` is None when the grammar found none."""

    start: int
    end: int
    text: str
    gene: str | None
    alteration: str
    vtype: str
    hgvs: str = ""
    rule_id: str = ""
    components: tuple[str, ...] = ()

    @property
    def specific(self) -> bool:
        return self.vtype in SPECIFIC_TYPES and not self.alteration.startswith("fusion ")


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    section: str
    paragraph: int


@dataclass
class Candidate:
    """A therapy and an alteration that may be linked, with the gene the pair implies."""

    therapy: Therapy
    alt: AltMention
    gene: str
    gene_how: str
    drug_sent: Sentence
    alt_sent: Sentence
    n_drugs_sentence: int = 0
    n_alts_sentence: int = 0
    n_therapies_sentence: int = 0
    provenance: list[str] = field(default_factory=list)

    @property
    def drugs(self) -> list[str]:
        return self.therapy.drugs

    @property
    def key(self) -> tuple[tuple[str, ...], str, str]:
        """(drugs, gene, alteration): the scored key without the outcome."""
        return tuple(self.therapy.drugs), self.gene, self.alt.alteration

    @property
    def sentence_offset(self) -> int:
        """Therapy sentence index minus alteration sentence index (0: same sentence)."""
        return self.drug_sent.index - self.alt_sent.index


@dataclass
class DocumentFacts:
    """Sentences, drugs, alterations and genes of one document (shared by candidates and features)."""

    text: str
    sentences: list[Sentence]
    drugs: list[DrugHit]
    alts: list[AltMention]
    genes: list[tuple[int, int, str]]
    dominant_gene: str


def document_sentences(doc: Doc, text: str) -> list[Sentence]:
    """Extractable sentences with their paragraph number (a blank line starts a paragraph)."""
    sections = getattr(doc._, "sections", None) or [(0, len(text), "body")]
    out: list[Sentence] = []
    paragraph, prev_end = 0, 0
    for sent in doc.sents:
        if not sent.text.strip():
            continue
        if "\n\n" in text[prev_end : sent.start_char] or "\n\n" in text[sent.start_char : sent.end_char].strip():
            paragraph += 1
        prev_end = sent.start_char + len(sent.text.rstrip())
        label = section_of(sent.start_char, sections)
        if label not in EXTRACTABLE_SECTIONS:
            continue
        out.append(Sentence(len(out), sent.start_char, sent.end_char, label, paragraph))
    return out


def alteration_mentions(doc: Doc) -> list[AltMention]:
    """Every variant alternative the grammar found, including those it could not give a gene."""
    out: list[AltMention] = []
    amplified_status = gene_set("positive_by_amplification")
    for v in getattr(doc._, "variants", None) or []:
        gene, rule_id = getattr(v, "gene", None), getattr(v, "rule_id", "") or ""
        for alt in getattr(v, "alternatives", None) or (v.normalized,):
            out.append(
                AltMention(
                    v.start, v.end, v.text, gene, alt, getattr(v, "vtype", "") or "",
                    getattr(v, "hgvs", "") or "", rule_id, tuple(getattr(v, "components", None) or ()),
                )
            )
        if rule_id == "gene_positive" and gene in amplified_status:  # "HER2-positive": overexpressed or amplified
            out.append(AltMention(v.start, v.end, v.text, gene, "amplification", "amplification", "", "gene_positive_amplified"))
    return out


def gene_level_mentions(text: str, genes: list[tuple[int, int, str]], alts: list[AltMention]) -> list[AltMention]:
    """Expression and copy-number phrases around lexicon gene names that the variant grammar did not read."""
    return [
        AltMention(m.start, m.end, text[m.start : m.end], m.gene, m.alteration, m.alteration, "", m.rule_id)
        for m in level_mentions(text, genes, [(a.start, a.end) for a in alts])
    ]


def document_facts(doc: Doc) -> DocumentFacts:
    """Collect what candidate generation needs from a processed document."""
    text = doc_text(doc)
    genes = gene_hits(doc)
    alts = alteration_mentions(doc)
    alts = sorted(alts + gene_level_mentions(text, genes, alts), key=lambda a: (a.start, a.end))
    hits = drug_hits(doc, model_chemicals=True)
    mentioned = Counter(g for _, _, g in genes)  # no gene-attached variant: the most-named gene
    dominant = dominant_target(alts, hits) or (mentioned.most_common(1)[0][0] if mentioned else "")
    drugs = drop_modifier_drugs([qualify_class(d, dominant) for d in hits], text)
    # a model-only chemical that is also a gene mention (``TrkB``) is the gene
    drugs = [d for d in drugs if d.source != "model_chemical" or not any(d.start < ge and gs < d.end for gs, ge, _ in genes)]
    return DocumentFacts(text, document_sentences(doc, text), drugs, alts, genes, dominant)


def infer_gene(
    alt: AltMention,
    therapy: Therapy,
    facts: DocumentFacts,
    alt_sent: Sentence,
    targets: Mapping[str, tuple[str, ...]],
    variant_genes: Mapping[str, str],
    known: Mapping[str, str],
) -> tuple[str, str] | None:
    """(gene, how) for an alteration in a candidate pair, trying the sources of :data:`GENE_HOW` in order."""
    if alt.gene:
        return alt.gene, "mention"
    for name in (alt.alteration, *alt.components):
        if name in known:
            return known[name], "same_variant"
    in_sentence = [g for g in facts.genes if alt_sent.start <= g[0] < alt_sent.end and not (g[0] < alt.end and alt.start < g[1])]
    if in_sentence:
        before = [g for g in in_sentence if g[1] <= alt.start]
        nearest = max(before, key=lambda g: g[1]) if before else min(in_sentence, key=lambda g: g[0])
        return nearest[2], "sentence"
    drug_targets = list(dict.fromkeys(t for m in therapy.members for t in targets.get(m.name, ())))
    table_gene = variant_genes.get(alt.alteration)
    if table_gene is None and alt.components:
        table_gene = next((variant_genes[c] for c in alt.components if c in variant_genes), None)
    if len(drug_targets) == 1:
        return drug_targets[0], "drug_target"
    if drug_targets:  # several targets: the one the variant is known in, else the primary one
        return (table_gene, "variant_table") if table_gene in drug_targets else (drug_targets[0], "drug_target")
    if table_gene:
        return table_gene, "variant_table"
    if facts.dominant_gene:
        return facts.dominant_gene, "document"
    return None


def gene_readings(first: tuple[str, str] | None, alt: AltMention, variant_genes: Mapping[str, str]) -> list[tuple[str, str]]:
    """The inferred (gene, how) of :func:`infer_gene`, and the variant–gene table's gene as a second
    reading when it differs.

    ``HER2-positive cells transduced with E545K``: the nearest gene is not the variant's, while
    the table knows E545K as a PIK3CA change. Both readings become candidates and the relation
    model, which sees how each gene was found, decides.
    """
    if first is None:
        return []
    out = [first]
    table_gene = variant_genes.get(alt.alteration) if alt.specific else None
    if table_gene and table_gene != first[0] and first[1] != "variant_table":
        out.append((table_gene, TABLE_READING))
    return out


def document_candidates(
    facts: DocumentFacts,
    targets: Mapping[str, tuple[str, ...]],
    variant_genes: Mapping[str, str],
    *,
    before: int = WINDOW_BEFORE,
    after: int = WINDOW_AFTER,
) -> list[Candidate]:
    """Pair each therapy with each alteration of its sentence and of the window around it.

    Across sentences the population is carried over only when the therapy's sentence names no
    specific change of its own (a population such as ``BRAF-mutant`` does not block it).

    ``targets`` maps a canonical drug name to its target genes (the lexicon's ``target``
    column); ``variant_genes`` maps a variant (``T790M``) to the one gene it is known in.
    """
    known: dict[str, str] = {}
    for a in facts.alts:
        if a.gene:
            for name in (a.alteration, *a.components):
                known.setdefault(name, a.gene)
    by_sent_drugs: dict[int, list[DrugHit]] = {}
    by_sent_alts: dict[int, list[AltMention]] = {}
    for s in facts.sentences:
        by_sent_drugs[s.index] = [d for d in facts.drugs if s.start <= d.start < s.end]
        by_sent_alts[s.index] = [
            a for a in facts.alts if s.start <= a.start < s.end and not _ABSENT_BEFORE.search(facts.text[max(s.start, a.start - 30) : a.start])
        ]
    therapies: dict[int, list[Therapy]] = {}
    for s in facts.sentences:
        hits = by_sent_drugs[s.index]
        if hits:
            written = group_therapies(hits, facts.text, table_row=s.section == "table", context=facts.text[s.start : s.end])
            seen = {tuple(t.drugs) for t in written}
            other = [t for t in alternative_groupings(written, facts.text) if tuple(t.drugs) not in seen]
            therapies[s.index] = written + other
    out: list[Candidate] = []
    for s_alt in facts.sentences:
        alts = by_sent_alts[s_alt.index]
        if not alts:
            continue
        for j in range(s_alt.index - before, s_alt.index + after + 1):
            if j < 0 or j >= len(facts.sentences) or j not in therapies:
                continue
            s_drug = facts.sentences[j]
            if s_drug.paragraph != s_alt.paragraph:
                continue
            if j != s_alt.index and any(a.specific for a in by_sent_alts[j]):
                continue  # a sentence naming its own specific change asserts about that one
            for therapy in therapies[j]:
                for alt in alts:
                    for gene, how in gene_readings(infer_gene(alt, therapy, facts, s_alt, targets, variant_genes, known), alt, variant_genes):
                        out.append(
                            Candidate(
                                therapy, alt, gene, how, s_drug, s_alt,
                                n_drugs_sentence=len(by_sent_drugs[j]), n_alts_sentence=len(by_sent_alts[j]),
                                n_therapies_sentence=sum(t.grouping == "written" for t in therapies[j]),
                                provenance=["cand:same_sentence" if j == s_alt.index else f"cand:window{j - s_alt.index:+d}", f"gene:{how}"],
                            )
                        )
    return out

