"""Typed record models: the single source of truth for every record shape.

Every stage reads and writes these models; JSON Schema and Frictionless
Table Schemas are exported from them (see ``schemas.export``), so a field
added here appears everywhere at once. Enumerated fields take their values
from ``schemas.vocab``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.vocab import (
    EXTRACTABLE_SECTIONS,
    SOURCE_FILE,
    CurationStatus,
    DiseaseSource,
    EvidenceLevel,
    Outcome,
    SectionLabel,
)

SCHEMA_VERSION = "1.0.0"
"""Bump major when a field is removed or changes meaning (releases follow)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)  # built on first use: short CLI start


class RawRecord(_Record):
    """Metadata of one immutable raw object (bytes stored by sha256)."""

    source: str = Field(description="service or origin: file, pubmed, pmc, europepmc, ctgov, demo")
    source_id: str = Field(description="id within the source (PMID, PMCID, NCT id, file stem)")
    url: str = Field(description="URL or file path the bytes came from")
    fetched_at: str = Field(description="UTC ISO-8601 time of the fetch")
    status: int = Field(description="HTTP status (200 for local files)")
    sha256: str
    size: int
    content_type: str = ""
    format_hint: str = Field(default="", description="txt, md, html, pubmed_xml, jats, bioc_json, ctgov_json …")
    headers: dict[str, str] = Field(default_factory=dict)


class Section(_Record):
    """A labeled span of the clean text."""

    label: SectionLabel
    start: int
    end: int
    heading: str = ""

    @property
    def extractable(self) -> bool:
        return self.label in EXTRACTABLE_SECTIONS


class OffsetSegment(_Record):
    """Clean text [clean_start, clean_start+length) came from raw [raw_start, raw_start+length)."""

    clean_start: int
    raw_start: int
    length: int


class Document(_Record):
    """A parsed document: clean text, labeled sections, and a map back to the raw text."""

    doc_id: str
    source: str = SOURCE_FILE
    source_id: str = ""
    title: str = ""
    text: str
    sections: list[Section] = Field(default_factory=list)
    offset_map: list[OffsetSegment] = Field(default_factory=list)
    raw_sha256: str = ""
    format: str = ""
    parser_version: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    journal: str = ""
    year: int | None = None
    publication_types: list[str] = Field(default_factory=list)
    nct_ids: list[str] = Field(default_factory=list, description="trial ids from metadata or text")
    notes: list[str] = Field(default_factory=list, description="parser notes, e.g. 'metadata-only, fell back to abstract'")


class Measure(_Record):
    """A quantitative outcome stated for a triple."""

    metric: str = Field(description="ORR, DCR, PFS, OS, DOR, mDOR, TTF, HR, IC50, frequency, n, p …")
    value: str = Field(description="number as written (may be a range such as 45–56 or <0.2)")
    unit: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    p: str = ""
    arm: str = ""
    text: str = Field(default="", description="the source characters the measure was read from")

    def as_string(self) -> str:
        """Guideline form: ``METRIC VALUE UNIT``."""
        return " ".join(x for x in (self.metric, self.value, self.unit) if x)


class Triple(_Record):
    """One drug – alteration – outcome assertion with INDRA-style evidence."""

    # guideline fields (the scored output format)
    doc_id: str
    evidence: str
    drugs: list[str]
    drug_class: bool = False
    gene: str
    alteration: str
    outcome: Outcome
    measures: list[str] = Field(default_factory=list)
    evidence_level: EvidenceLevel = "review"
    nct_ids: list[str] = Field(default_factory=list)
    # identity and provenance
    triple_id: str = Field(default="", description="sha1 of the scoring key; stable across re-runs")
    curated_triple_id: str = Field(
        default="",
        description="the same id over the curated drugs, gene, alteration and outcome; set by curation (every release row), differs from triple_id only when an edit changed the key",
    )
    source: str = SOURCE_FILE
    source_id: str = ""
    section: str = "body"
    """Label of the document section the sentence stands in."""
    sentence_start: int = 0
    """Offset of the sentence in the document's clean text."""
    sentence_end: int = 0
    evidence_start: int = 0
    """Offset in the clean text of the span ``evidence`` is read from: the sentence, or a window of it around drug and alteration."""
    evidence_end: int = 0
    sentence: str = ""
    """The whole sentence, clean text[sentence_start:sentence_end]."""
    evidence_text: str = ""
    """``evidence`` as clean text, clean text[evidence_start:evidence_end]: Markdown emphasis and
    LaTeX math marks removed, as in ``sentence`` (``(n=20)`` where ``evidence`` has ``($n=20$)``).
    ``evidence`` stays the exact source substring the guideline asks for; this one is for reading
    and display. Filled from ``evidence`` when a producer gives no clean form."""
    alteration_type: str = ""
    """The variant grammar's type of the alteration: substitution, exon 20 insertion, fusion, amplification …"""
    hgvs: str = ""
    """HGVS form of the alteration where the grammar could write one."""
    measures_structured: list[Measure] = Field(default_factory=list)
    negated: bool = False
    hedged: bool = False
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    rule_ids: list[str] = Field(default_factory=list)
    model_id: str = ""
    extractor_version: str = ""
    curation_status: CurationStatus = "pending"
    # identifiers (extractors.nlp.identifiers)
    drug_ids: list[list[str]] = Field(default_factory=list)
    """Per drug of ``drugs``, same order: its ChEBI, ChEMBL, MeSH and NCIt ids (``CHEBI:90943`` …); [] for a drug class or a name no table lists."""
    hgnc_id: str = ""
    """HGNC id of ``gene`` (``HGNC:3236``)."""
    ncbi_gene_id: str = ""
    """NCBI Gene (Entrez) id of ``gene`` (``1956``)."""
    dbsnp_id: str = ""
    """dbSNP rs id of the alteration when the text states one at the variant (``rs121434569``)."""
    disease: str = ""
    """The cancer type the triple is stated for, as the ontology labels it (``non-small cell lung carcinoma``)."""
    disease_ids: list[str] = Field(default_factory=list)
    """Its ids: MONDO and / or Disease Ontology (``MONDO:0005233``, ``DOID:3908``)."""
    disease_text: str = ""
    """The disease as written (``NSCLC``)."""
    disease_source: DiseaseSource = ""
    """Where the disease was read: ``sentence``, ``paragraph`` or ``document`` (its dominant cancer type)."""

    @model_validator(mode="after")
    def _evidence_text_defaults_to_evidence(self) -> Triple:
        if not self.evidence_text:
            self.evidence_text = self.evidence
        return self


# Parts of a ``Trial``: ClinicalTrials.gov v2 fields in snake_case, as strings the way the
# registry writes them (``pipeline.sources.ctgov.parse`` maps them); a field's docstring
# gives the v2 name where it differs, and example values.


class Intervention(_Record):
    name: str
    type: str = ""
    """``type``: DRUG, BIOLOGICAL, PROCEDURE …"""
    description: str = ""
    other_names: list[str] = Field(default_factory=list)
    """``otherNames``: codes and brand names of the same intervention."""
    arm_labels: list[str] = Field(default_factory=list)
    """``armGroupLabels``: the arms (``Arm.label``) that receive it."""


class Arm(_Record):
    label: str
    type: str = ""
    """``type``: EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR …"""
    description: str = ""
    interventions: list[str] = Field(default_factory=list)
    """``interventionNames``: the interventions given in this arm, as ``Type: Name``."""


class OutcomeMeasureDef(_Record):
    measure: str
    """What is measured, as registered (a primary or secondary outcome)."""
    description: str = ""
    time_frame: str = ""
    """``timeFrame``: when it is measured, free text."""


class ResultAnalysis(_Record):
    param_type: str = ""
    """``paramType``: the statistic, e.g. Difference of LS Mean, Hazard Ratio (HR)."""
    param_value: str = ""
    ci_pct: str = ""
    """``ciPctValue``: confidence level of [ci_low, ci_high] in percent."""
    ci_low: str = ""
    ci_high: str = ""
    p_value: str = ""
    method: str = ""
    """``statisticalMethod``: e.g. ANCOVA, t-test, 2 sided."""
    groups: list[str] = Field(default_factory=list)
    """``groupIds``: the compared groups (keys of ``ResultMeasure.groups``)."""


class ResultMeasure(_Record):
    title: str
    type: str = ""
    """``type``: PRIMARY, SECONDARY, OTHER_PRE_SPECIFIED …"""
    param_type: str = ""
    """``paramType``: how the values summarize the group (MEAN, MEDIAN, COUNT_OF_PARTICIPANTS …)."""
    unit: str = ""
    """``unitOfMeasure``."""
    dispersion_type: str = ""
    """``dispersionType``: what a value's ``lower``/``upper`` or ``spread`` are (STANDARD_DEVIATION, FULL_RANGE …)."""
    time_frame: str = ""
    groups: dict[str, str] = Field(default_factory=dict, description="group id -> group title")
    values: list[dict[str, str]] = Field(default_factory=list, description="group, value, lower, upper, spread")
    analyses: list[ResultAnalysis] = Field(default_factory=list)


class Trial(_Record):
    """A ClinicalTrials.gov v2 study as the release's ``trials`` table row."""

    nct_id: str
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""
    phases: list[str] = Field(default_factory=list)
    overall_status: str = ""
    study_type: str = ""
    conditions: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    arms: list[Arm] = Field(default_factory=list)
    primary_outcomes: list[OutcomeMeasureDef] = Field(default_factory=list)
    secondary_outcomes: list[OutcomeMeasureDef] = Field(default_factory=list)
    eligibility_criteria: str = ""
    brief_summary: str = ""
    enrollment: int | None = None
    start_date: str = ""
    primary_completion_date: str = ""
    completion_date: str = ""
    last_update_posted: str = ""
    sponsor: str = ""
    reference_pmids: list[str] = Field(default_factory=list)
    has_results: bool = False
    results: list[ResultMeasure] = Field(default_factory=list)
    raw_sha256: str = ""


class DocumentTrialLink(_Record):
    doc_id: str
    nct_id: str
    how: str = Field(description="text, metadata, malformed")
    as_written: str = ""


class Assertion(_Record):
    """One drug · gene · alteration · outcome (· disease) claim rolled up over every released triple that states it (INDRA-style)."""

    assertion_id: str = Field(description="sha1 of the assertion key (drugs, gene, alteration, outcome, disease); stable across releases")
    drugs: list[str]
    gene: str
    alteration: str
    outcome: Outcome
    disease: str = Field(default="", description="the triples' disease (ontology label); empty when they carry none")
    disease_ids: list[str] = Field(default_factory=list, description="the disease's MONDO / DOID ids; the first one keys the assertion")
    n_documents: int = Field(description="documents with a supporting triple")
    n_sentences: int = Field(description="distinct evidence sentences")
    n_triples: int = Field(description="supporting triples (rows of the triples table)")
    best_evidence_level: EvidenceLevel = Field(description="the strongest evidence level among the supporting triples")
    n_conflicting: int = Field(description="released triples of the same drugs · gene · alteration with another outcome")
    mean_confidence: float = Field(ge=0.0, le=1.0, description="mean confidence of the supporting triples, 4 decimals")
    n_curated: int = Field(default=0, description="supporting triples a curator accepted or corrected (curation_status accepted or edited)")
    doc_ids: list[str] = Field(default_factory=list)
    nct_ids: list[str] = Field(default_factory=list, description="trials named by the supporting triples")
    triple_ids: list[str] = Field(default_factory=list, description="the supporting triples, sorted")
