"""The project's one vocabulary: enums, identifier patterns, the alteration keys and the triple id.

Every enum, id pattern and shared rule is defined here and imported everywhere
else, so the JSON/Table Schemas (``schemas.models`` Literal types), the SQL
checks of the state database and the code cannot drift apart. Enums are
``Literal`` types (for the models and type checkers) with the tuple of their
values next to them (for membership tests, messages and SQL).

NCT ids: reviews write trial ids loosely (``nct 04291196``, ``NCT-04291196``) and
sometimes wrongly (``NCT0429119`` with seven digits). A well-formed id is ``NCT``
followed by exactly eight digits. Malformed ids are reported as such and never
"fixed": guessing a missing digit would link the wrong trial.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

# ------------------------------------------------------------------ record enums

Outcome = Literal["resistance", "sensitivity", "investigation"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

EvidenceLevel = Literal["preclinical", "case_report", "retrospective", "clinical_trial", "review"]
EVIDENCE_LEVELS: tuple[EvidenceLevel, ...] = get_args(EvidenceLevel)
EVIDENCE_STRENGTH: tuple[EvidenceLevel, ...] = ("clinical_trial", "retrospective", "case_report", "preclinical", "review")
"""The evidence levels strongest first (CIViC's B, B, C, D, E): an assertion's best level is the first of its triples'."""

SectionLabel = Literal[
    "title",
    "abstract",
    "body",
    "table",
    "caption",
    "references",
    "declarations",
    "front_matter",
    "boilerplate",
]
"""Labels a parser may give a section; only EXTRACTABLE_SECTIONS feed extraction."""
SECTION_LABELS: tuple[SectionLabel, ...] = get_args(SectionLabel)
EXTRACTABLE_SECTIONS: frozenset[str] = frozenset({"title", "abstract", "body", "table", "caption"})

ALTERATION_TYPES: tuple[str, ...] = (
    # sequence variants (protein and DNA level)
    "substitution", "residue_class", "nonsense", "deletion", "insertion", "duplication", "delins", "frameshift",
    "splice", "dna_substitution", "snp_id", "allele", "repeat", "compound",
    # exon-level events
    "exon_deletion", "exon_insertion", "exon_skipping",
    # gene-level alterations and populations
    "fusion", "rearrangement", "amplification", "overexpression", "activation", "loss", "mutation", "wild_type",
)
"""Values of ``Triple.alteration_type`` (the variant grammar's ``vtype``; empty when unknown)."""

DiseaseSource = Literal["", "sentence", "paragraph", "document"]
DISEASE_SOURCES: tuple[DiseaseSource, ...] = get_args(DiseaseSource)
"""Where a triple's disease was read: its sentence, else its paragraph, else the document's dominant
cancer type (empty: the document names none)."""

# ------------------------------------------------------------------ curation

CurationStatus = Literal["pending", "accepted", "rejected", "edited", "needs_review"]
CURATION_STATUSES: tuple[CurationStatus, ...] = get_args(CurationStatus)
REVIEW_STATUS_ORDER: tuple[CurationStatus, ...] = ("pending", "needs_review", "accepted", "edited", "rejected")
"""The curation statuses in review-queue order: open first, then by decision."""
OPEN_STATUSES: frozenset[CurationStatus] = frozenset({"pending", "needs_review"})
"""Statuses still waiting for a curator."""

DecisionKind = Literal["accept", "reject", "edit"]
DECISIONS: tuple[DecisionKind, ...] = get_args(DecisionKind)
"""What a curator decides about a triple (spreadsheet ``decision`` column, web app buttons)."""
UNDO = "undo"
"""The stored record that withdraws a triple's standing decision (the one before it stands again)."""
STORED_DECISIONS: tuple[str, ...] = (*DECISIONS, UNDO)
"""Every kind of record the decisions table holds."""

ReasonCode = Literal["wrong_drug", "wrong_alteration", "wrong_outcome", "not_asserted", "duplicate", "other"]
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)
"""Why a triple was rejected (the review app's keys 1-6 follow this order)."""

EDITABLE_FIELDS: tuple[str, ...] = ("drugs", "drug_class", "gene", "alteration", "outcome", "evidence_level")
"""Triple fields an ``edit`` decision may correct: the ones the review spreadsheet and web app offer.

Identity and provenance fields are never edited: an edited triple keeps the ``triple_id`` of the
extracted assertion (decisions are keyed by it) and carries the key of its curated values in
``curated_triple_id``.
"""


def reason_code(value: str) -> str:
    """A reason as curators write it (``Wrong drug``, ``not-asserted``) in code form (``wrong_drug``)."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


RunOutcome = Literal["running", "ok", "partial", "error", "interrupted"]
RUN_OUTCOMES: tuple[RunOutcome, ...] = get_args(RunOutcome)
"""How a run recorded in the state database ended (``running`` while it runs)."""


# ------------------------------------------------------------------ sources

SOURCE_FILE = "file"
SOURCE_DEMO = "demo"
SOURCE_PUBMED = "pubmed"
SOURCE_PUBMED_BATCH = "pubmed-batch"
SOURCE_PUBMED_SEARCH = "pubmed-search"
SOURCE_ELINK = "elink"
SOURCE_PMC = "pmc"
SOURCE_BIOC = "pmc-bioc"
SOURCE_EUROPEPMC = "europepmc"
SOURCE_EUROPEPMC_SEARCH = "europepmc-search"
SOURCE_CTGOV = "ctgov"
SOURCE_REJECTED = "rejected"
"""Raw-record sources (``RawRecord.source``, carried on to documents and triples).

They are written to disk (raw store, document ids ``source:id``), so a value never changes.
"""

LOCAL_SOURCES = frozenset({SOURCE_FILE, SOURCE_DEMO})
"""Sources whose document id is the bare source id (no ``source:`` prefix)."""
FULL_TEXT_SOURCES: tuple[str, ...] = (SOURCE_PMC, SOURCE_EUROPEPMC, SOURCE_BIOC)
"""Sources whose documents are an article's full text (id = PMCID), preferred over its PubMed abstract."""
NOT_PARSED_SOURCES = frozenset({SOURCE_PUBMED_BATCH, SOURCE_PUBMED_SEARCH, SOURCE_ELINK, SOURCE_REJECTED, SOURCE_EUROPEPMC_SEARCH})
"""Raw-store sources that are not documents (batch containers, search answers, refused bodies)."""

SERVICE_NCBI = "ncbi"
SERVICE_BIOC = "bioc"
SERVICE_CTGOV = "ctgov"
SERVICE_EUROPEPMC = "europepmc"
"""Web services as the HTTP client names them (rate limit, request log); ``bioc`` shares NCBI's limit."""

FullTextFallback = Literal["europepmc", "bioc"]
"""Services (``SERVICE_EUROPEPMC``, ``SERVICE_BIOC``) asked for an article's full text when PMC has only metadata."""

# ------------------------------------------------------------------ identifiers

NCT_RE = re.compile(r"^NCT\d{8}$")
"""A canonical, well-formed NCT id."""
PMID_RE = re.compile(r"^\d{1,9}$")
"""A PubMed id."""
PMCID_RE = re.compile(r"^PMC\d{1,9}$")
"""A PubMed Central id (upper case)."""
DOI_RE = re.compile(r"^10\.\d{4,9}/[^\s\"<>]+$")
"""A DOI (``10.<registrant>/<suffix>``), as the ``doi`` of a document holds it."""
PMCID_IN_TEXT_RE = re.compile(r"PMC\d+")
"""A PubMed Central id inside a longer string (an article URL, a metadata field)."""

DBSNP_RE = re.compile(r"^rs\d{1,12}$")
"""A dbSNP reference SNP id (``rs121434568``), lower-case ``rs`` as dbSNP writes it."""
CURIE_RE = re.compile(r"^(?:CHEBI|CHEMBL|MESH|NCIT|HGNC|DOID|MONDO):[A-Za-z0-9]+$")
"""An ontology id as triples carry it: ``CHEBI:90943``, ``CHEMBL:CHEMBL3353410``, ``MESH:C000596361``,
``NCIT:C1855``, ``HGNC:3236``, ``DOID:3908``, ``MONDO:0005233``."""

NCT_IN_TEXT_RE = re.compile(r"\bNCT\s?(?P<digits>\d{7,8})\b")
"""An NCT id as extraction reads it: upper-case ``NCT``, at most one space, seven or eight digits.

Stricter about the prefix than ``find_nct_ids`` (which also reads ``nct-``) and looser
about the digits: a seven-digit typo still marks a sentence as a trial report.
"""

# "NCT" then an optional separator (space, hyphen, colon, NBSP) then a run of digits.
# Letters/digits around the match are excluded so "FNCT12345678" or "NCT123456789012"
# are reported whole instead of being cut into a plausible id.
_CANDIDATE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?P<raw>[Nn][Cc][Tt][\s\u00a0:_-]{0,2}(?P<digits>\d+))(?![A-Za-z0-9])"
)


@dataclass(frozen=True)
class NctMention:
    """One NCT id as written in a text, with its canonical form (if well formed)."""

    as_written: str
    nct_id: str
    start: int
    end: int
    status: Literal["ok", "malformed"]
    reason: str = ""


def normalize_nct_id(value: str) -> str | None:
    """Canonical ``NCT########`` for an id written loosely, or None if it is malformed.

    Accepts lowercase and spaces/hyphens between prefix and digits; refuses any
    other digit count (no zero padding, no truncation).
    """
    cleaned = re.sub(r"[\s\u00a0:_-]+", "", value.strip()).upper()
    return cleaned if NCT_RE.match(cleaned) else None


def malformed_reason(value: str) -> str:
    """Why ``value`` is not a well-formed NCT id (empty string if it is)."""
    cleaned = re.sub(r"[\s\u00a0:_-]+", "", value.strip()).upper()
    if NCT_RE.match(cleaned):
        return ""
    if not cleaned.startswith("NCT"):
        return "does not start with NCT"
    digits = cleaned[3:]
    if not digits.isdigit():
        return "expected NCT followed by 8 digits, found non-digits"
    return f"expected NCT followed by 8 digits, found {len(digits)}"


def find_nct_ids(text: str) -> list[NctMention]:
    """Every NCT id candidate in ``text`` in order, well-formed or malformed."""
    out: list[NctMention] = []
    for m in _CANDIDATE_RE.finditer(text):
        raw = m.group("raw")
        canonical = normalize_nct_id(raw)
        if canonical:
            out.append(NctMention(raw, canonical, m.start("raw"), m.end("raw"), "ok"))
        else:
            digits = re.sub(r"\D", "", m.group("digits"))
            out.append(
                NctMention(raw, "NCT" + digits, m.start("raw"), m.end("raw"), "malformed", malformed_reason(raw))
            )
    return out


def unique_nct_ids(text: str) -> tuple[list[str], list[str]]:
    """(well-formed canonical ids, malformed ids as written), each de-duplicated in order."""
    good: list[str] = []
    bad: list[str] = []
    for mention in find_nct_ids(text):
        target = good if mention.status == "ok" else bad
        value = mention.nct_id if mention.status == "ok" else mention.as_written
        if value not in target:
            target.append(value)
    return good, bad


def nct_ids_written(text: str) -> list[tuple[int, str]]:
    """(offset, ``NCT`` + digits) of every id ``NCT_IN_TEXT_RE`` finds, seven-digit ones included."""
    return [(m.start(), "NCT" + m.group("digits")) for m in NCT_IN_TEXT_RE.finditer(text)]


def well_formed_nct_ids(text: str) -> list[str]:
    """The eight-digit ids ``NCT_IN_TEXT_RE`` finds, canonical, in order (repeats kept)."""
    return ["NCT" + m.group("digits") for m in NCT_IN_TEXT_RE.finditer(text) if len(m.group("digits")) == 8]


# ------------------------------------------------------------------ triple identity


GENERIC_ALTERATIONS = frozenset({"fusion", "mutation", "wild-type"})
"""Alterations that name no specific change (a population rather than a variant)."""


def norm_alteration_key(alteration: str) -> str:
    """Compound order and dash style do not change identity (``T790M+C797S`` = ``C797S+T790M``).

    Part of the triple id, so it never changes (curation decisions are keyed by that id).
    """
    parts = [p.strip().lower() for p in alteration.replace("–", "-").split("+")]
    return "+".join(sorted(parts))


def scorer_alteration_key(alteration: str) -> str:
    """The alteration as the shared scorer (``shared/tools/score_triples.py``) compares it.

    Looser than ``norm_alteration_key``: whitespace runs and both dash styles are
    folded and a ``p.`` prefix on a simple substitution is dropped (``p.T790M`` =
    ``T790M``). Kept apart from the identity key so evaluation mirrors the scorer
    while triple ids stay stable.
    """
    a = re.sub(r"\s+", " ", str(alteration).strip()).replace("–", "-").replace("—", "-")
    parts = []
    for part in a.split("+"):
        part = part.strip()
        if re.fullmatch(r"p\.[A-Za-z]\d+[A-Za-z*]", part):
            part = part[2:]
        parts.append(part.lower())
    return "+".join(sorted(parts))


def sorted_drugs(drugs: Iterable[str]) -> list[str]:
    """A triple's ``drugs`` as records hold them: each name once, sorted (the guideline's "sorted list")."""
    return sorted(dict.fromkeys(drugs))


def triple_key_id(doc_id: str, drugs: Iterable[str], gene: str, alteration: str, outcome: str) -> str:
    """Deterministic id from the scoring key, so it survives re-runs and evidence changes."""
    key = "\x1f".join(
        [doc_id, "|".join(sorted(d.strip().lower() for d in drugs)), gene.upper(), norm_alteration_key(alteration), outcome]
    )
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def assertion_key(drugs: Iterable[str], gene: str, alteration: str, outcome: str, disease: str = "") -> tuple[str, ...]:
    """What makes triples from different documents one assertion: the triple key without the document, plus the disease.

    Normalized as in ``triple_key_id`` (drug case and order, gene case, compound order).
    """
    return ("|".join(sorted({d.strip().lower() for d in drugs})), gene.upper(), norm_alteration_key(alteration), outcome, disease.strip().lower())


def assertion_key_id(key: tuple[str, ...]) -> str:
    """Deterministic id of an ``assertion_key``, so an assertion keeps its id while its supporting triples change."""
    return hashlib.sha1("\x1f".join(["assertion", *key]).encode("utf-8")).hexdigest()[:16]
