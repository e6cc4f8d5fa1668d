"""Curator review: the review table, the spreadsheet (CSV) round trip and reading curator input.

This module builds the review table (current triples + standing decision +
status, and each sentence's paragraph from the work directory), writes/reads CSV
files, links each triple's source record, and turns what curators send
(spreadsheet rows, web forms) into decisions. The rules every decision meets, and how decisions are
stored and applied, live in ``pipeline.curation.decisions``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from pipeline.config import Settings
from pipeline.curation import decisions
from pipeline.sources.rawstore import safe_name
from pipeline.state.db import Decision
from schemas.errors import InputError, OncoTriplesError
from schemas.files import read_jsonl
from schemas.models import Assertion, Document, Trial, Triple
from schemas.spreadsheet import FORMULA_START, delimited_bytes, restore
from schemas.vocab import (
    DECISIONS,
    DOI_RE,
    EDITABLE_FIELDS,
    EVIDENCE_LEVELS,
    FULL_TEXT_SOURCES,
    GENERIC_ALTERATIONS,
    NCT_RE,
    OPEN_STATUSES,
    OUTCOMES,
    PMCID_RE,
    PMID_RE,
    REVIEW_STATUS_ORDER,
    SOURCE_CTGOV,
    SOURCE_PUBMED,
    assertion_key,
    norm_alteration_key,
    sorted_drugs,
)

log = logging.getLogger(__name__)

EXPORT_COLUMNS: list[str] = [
    "triple_id", "decision", "reason", "note", "curator",
    "status", "last_decision", "last_curator", "last_decided_at",
    "doc_id", "source", "source_id", "drugs", "drug_class", "gene", "alteration", "outcome",
    "evidence_level", "measures", "nct_ids", "confidence", "section", "negated", "hedged",
    "evidence", "sentence",
]
"""CSV columns: the curator's four input columns first, then status and the triple's fields."""


class ReviewImportError(OncoTriplesError):
    """A review CSV has invalid rows; nothing was applied. ``problems`` lists ``(row, message)``."""

    def __init__(self, path: str, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = [f"row {row}: {msg}" for row, msg in problems]
        shown = lines[:50] + ([f"... and {len(lines) - 50} more"] if len(lines) > 50 else [])
        super().__init__(
            f"{path}: {len(problems)} invalid row(s); nothing was applied "
            "(row numbers as in a spreadsheet: the header is row 1)\n" + "\n".join(shown)
        )


# ------------------------------------------------------------------ decisions as the review app shows them


def decision_json(d: Decision) -> dict[str, Any]:
    """A decision as the review app's pages and JSON answers show it (``fields`` = the edits)."""
    return {
        "id": d.id,
        "decision": d.decision,
        "reason": d.reason or "",
        "fields": dict(d.edits or {}),
        "curator": d.curator,
        "decided_at": d.created_at,
        "note": d.note or "",
    }


def latest_decisions(settings: Settings) -> dict[str, dict[str, Any]]:
    """Latest decision per triple_id (see ``decision_json``)."""
    return {tid: decision_json(d) for tid, d in decisions.latest_decisions(settings).items()}


def decision_history(settings: Settings, triple_id: str) -> list[dict[str, Any]]:
    """Every decision ever recorded for a triple, oldest first (see ``decision_json``)."""
    return [decision_json(d) for d in decisions.decision_history(settings, triple_id)]


# ------------------------------------------------------------------ review table


@dataclass
class ReviewItem:
    """One triple under review: as extracted, as curated (edits applied), its status and latest decision."""

    original: Triple
    current: Triple
    status: str
    latest: dict[str, Any] | None = None
    why: str = ""
    """For ``needs_review``: which earlier decision (on a since re-keyed triple) prompted it."""

    @property
    def triple_id(self) -> str:
        return self.original.triple_id


@dataclass
class ReviewTable:
    items: list[ReviewItem]
    documents: dict[str, Document] = field(default_factory=dict)
    settings: Settings | None = None
    """Where the parsed texts are read from for ``context`` (none: no context)."""
    _texts: dict[str, str | None] = field(default_factory=dict, repr=False)
    _trials: dict[str, Trial] | None = field(default=None, repr=False)

    def context(self, item: ReviewItem) -> SentenceContext:
        """The paragraph around the triple's sentence, read from the work directory once per text."""
        t = item.current
        if self.settings is None:
            return sentence_context(t, None)
        if t.section.startswith(REGISTRY_SECTION_PREFIX):
            if self._trials is None:
                self._trials = load_trials(self.settings)
            return sentence_context(t, registry_field_text(self._trials.get(t.doc_id), t.section))
        if t.doc_id not in self._texts:
            self._texts[t.doc_id] = document_text(self.settings, t.doc_id)
        return sentence_context(t, self._texts[t.doc_id])

    def by_id(self) -> dict[str, ReviewItem]:
        return {i.triple_id: i for i in self.items}

    def counts(self, items: Iterable[ReviewItem] | None = None) -> dict[str, int]:
        """Count per status plus ``total`` and ``left`` (pending + needs_review)."""
        c = Counter(i.status for i in (self.items if items is None else items))
        out = {s: c.get(s, 0) for s in REVIEW_STATUS_ORDER}
        out["total"] = sum(c.values())
        out["left"] = sum(c.get(s, 0) for s in OPEN_STATUSES)
        return out


def normalized_triples_path(settings: Settings) -> Path:
    return settings.workdir / "normalized" / "triples.jsonl"


def load_current_triples(settings: Settings) -> list[Triple]:
    """The triples of the last normalize stage (``<workdir>/normalized/triples.jsonl``)."""
    path = normalized_triples_path(settings)
    if not path.is_file():
        raise InputError(f"{path}: no triples to review yet; run `oncotriples run` first")
    return [Triple.model_validate(r) for r in read_jsonl(path)]


def load_documents(settings: Settings) -> dict[str, Document]:
    """Document metadata (no text) from the normalize stage, keyed by doc_id; empty when absent."""
    path = settings.workdir / "normalized" / "documents.jsonl"
    if not path.is_file():
        return {}
    return {d.doc_id: d for d in (Document.model_validate(r) for r in read_jsonl(path))}


def build_review_table(settings: Settings, triples: list[Triple] | None = None) -> ReviewTable:
    """Current triples with their curation status exactly as the next release will see it.

    Status and edited values come from ``pipeline.curation.decisions.apply_curation`` (the same
    function releases use), so the review queue and releases never disagree.
    """
    originals = load_current_triples(settings) if triples is None else triples
    kept, rejected, notes = decisions.apply_curation(settings, list(originals))
    curated: dict[str, tuple[Triple, str]] = {t.triple_id: (t, t.curation_status) for t in kept}
    curated.update({t.triple_id: (t, "rejected") for t in rejected})
    latest = latest_decisions(settings)
    items = []
    for t in originals:
        cur, status = curated.get(t.triple_id, (t, t.curation_status))
        note = notes.get(t.triple_id, {}).get("note", "") if status == "needs_review" else ""
        items.append(ReviewItem(original=t, current=cur, status=status, latest=latest.get(t.triple_id), why=note))
    return ReviewTable(items=items, documents=load_documents(settings), settings=settings)


# ------------------------------------------------------------------ assertions rolled up from the review table

RollUp = Callable[[Iterable[Triple]], list[Assertion]]
"""The release's roll-up (``pipeline.stages.assertions.roll_up``), handed in by the CLI: the stages
layer sits above curation, so curation takes the function rather than importing it."""


@dataclass
class ReviewAssertion:
    """One rolled-up assertion with the review items of its supporting triples (in ``triple_ids`` order)."""

    assertion: Assertion
    supporting: list[ReviewItem]
    conflicts_with: list[Assertion] = field(default_factory=list)
    """The rows stating another outcome for the same drugs · gene · alteration (what ``n_conflicting`` counts)."""

    @property
    def conflicting(self) -> bool:
        return self.assertion.n_conflicting > 0


def _claim(a: Assertion) -> tuple[str, ...]:
    """Drugs · gene · alteration of an assertion, normalized as its key is."""
    return assertion_key(a.drugs, a.gene, a.alteration, a.outcome)[:3]


def review_assertions(table: ReviewTable, roll_up: RollUp) -> list[ReviewAssertion]:
    """The assertions the next release would write from this table: every triple curation keeps
    (rejected ones left out), edited ones with their corrected fields, rolled up by ``roll_up``."""
    kept = [i.current for i in table.items if i.status != "rejected"]
    by_id = table.by_id()
    rows = roll_up(kept)
    by_claim: dict[tuple[str, ...], list[Assertion]] = {}
    for a in rows:
        by_claim.setdefault(_claim(a), []).append(a)
    return [
        ReviewAssertion(a, [by_id[tid] for tid in a.triple_ids], [b for b in by_claim[_claim(a)] if b.outcome != a.outcome])
        for a in rows
    ]


# ------------------------------------------------------------------ the sentence in its paragraph

REGISTRY_SECTION_PREFIX = "registry:"
"""Sections of registry triples: ``registry:<field>``, offsets into that ClinicalTrials.gov field."""

CONTEXT_CHARS = 700
"""At most this much text is shown on either side of the sentence (long paragraphs are cut at a word)."""

_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class SentenceContext:
    """A triple's sentence with the text of its paragraph before and after it.

    ``found`` is False when the source text was not at hand or no longer holds the sentence at its
    offsets (then ``sentence`` is the triple's own and ``before``/``after`` are empty).
    """

    before: str
    sentence: str
    after: str
    found: bool
    cut_before: bool = False
    cut_after: bool = False


def parsed_document_path(settings: Settings, doc_id: str) -> Path:
    """Where the parse stage keeps a document's clean text (``WorkDir.parsed_path`` of the stages)."""
    return settings.workdir / "parsed" / f"{safe_name(doc_id)}.json"


def document_text(settings: Settings, doc_id: str) -> str | None:
    """The clean text of a parsed document, or None (with the reason logged) when it is not readable."""
    path = parsed_document_path(settings, doc_id)
    try:
        return Document.model_validate_json(path.read_bytes()).text
    except FileNotFoundError:
        log.debug("no parsed text for %s at %s: review shows the sentence alone", doc_id, path)
    except (OSError, ValidationError, ValueError) as exc:
        log.warning("parsed text %s unreadable (%s): review shows the sentence alone", path, str(exc).splitlines()[0])
    return None


def load_trials(settings: Settings) -> dict[str, Trial]:
    """The trial records of the normalize stage by NCT id; empty when absent."""
    path = settings.workdir / "normalized" / "trials.jsonl"
    if not path.is_file():
        return {}
    return {t.nct_id: t for t in (Trial.model_validate(r) for r in read_jsonl(path))}


def registry_field_text(trial: Trial | None, section: str) -> str | None:
    """The text of the ClinicalTrials.gov field ``registry:<field>`` names, as the registry extractor read it."""
    from pipeline.sources.ctgov.parse import trial_triples_inputs

    if trial is None:
        return None
    return dict(trial_triples_inputs(trial)).get(section[len(REGISTRY_SECTION_PREFIX):])


def _squash(text: str) -> str:
    return " ".join(text.split())


def sentence_context(t: Triple, text: str | None) -> SentenceContext:
    """The paragraph of ``text`` around ``t``'s sentence (cut to ``CONTEXT_CHARS`` a side); pure.

    The sentence is taken at its offsets when the text there is the triple's sentence (whitespace
    aside), else where the sentence occurs in the text; otherwise only the sentence is returned.
    Whitespace around the sentence belongs to the paragraph text, not to the marked sentence.
    """
    sentence = t.sentence or t.evidence
    if not text:
        return SentenceContext("", sentence.strip(), "", False)
    start, end = t.sentence_start, t.sentence_end
    if not (0 <= start < end <= len(text)) or _squash(text[start:end]) != _squash(sentence):
        start = text.find(sentence) if sentence else -1
        if start < 0:
            return SentenceContext("", sentence.strip(), "", False)
        end = start + len(sentence)
    piece = text[start:end]
    start, end = start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())  # a sentence may carry the break after it
    breaks_before = [m.end() for m in _PARAGRAPH_BREAK_RE.finditer(text, 0, start)]
    para_start = breaks_before[-1] if breaks_before else 0
    after = _PARAGRAPH_BREAK_RE.search(text, end)
    para_end = after.start() if after else len(text)
    lo, hi = max(para_start, start - CONTEXT_CHARS), min(para_end, end + CONTEXT_CHARS)
    if lo > para_start:
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    if hi < para_end:
        space = text.rfind(" ", end, hi)
        hi = space if space >= 0 else hi
    return SentenceContext(text[lo:start], text[start:end], text[end:hi], True, lo > para_start, hi < para_end)


@dataclass
class Filters:
    """Review-table filters; empty means 'any'. Genes/drugs/docs/outcomes match any listed value."""

    statuses: list[str] = field(default_factory=list)
    genes: list[str] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    min_confidence: float | None = None
    max_confidence: float | None = None
    triple_ids: list[str] = field(default_factory=list)

    def matches(self, item: ReviewItem) -> bool:
        t = item.current
        ids = {i.strip() for i in self.triple_ids if i.strip()}
        if ids and item.triple_id not in ids:
            return False
        statuses = {s.strip().lower() for s in self.statuses if s.strip()}
        if "open" in statuses:
            statuses |= OPEN_STATUSES
        if statuses and "all" not in statuses and item.status not in statuses:
            return False
        genes = {g.strip().upper() for g in self.genes if g.strip()}
        if genes and t.gene.upper() not in genes and item.original.gene.upper() not in genes:
            return False
        drugs = {d.strip().lower() for d in self.drugs if d.strip()}
        if drugs and not drugs & {d.lower() for d in [*t.drugs, *item.original.drugs]}:
            return False
        docs = {d.strip() for d in self.docs if d.strip()}
        if docs and t.doc_id not in docs and t.source_id not in docs:
            return False
        outcomes = {o.strip().lower() for o in self.outcomes if o.strip()}
        if outcomes and t.outcome not in outcomes:
            return False
        if self.min_confidence is not None and t.confidence < self.min_confidence:
            return False
        return not (self.max_confidence is not None and t.confidence > self.max_confidence)


def filter_items(items: Iterable[ReviewItem], filters: Filters, *, descending: bool = True) -> list[ReviewItem]:
    """Matching items sorted by confidence (then triple_id, for a stable order)."""
    hits = [i for i in items if filters.matches(i)]
    hits.sort(key=lambda i: i.triple_id)
    hits.sort(key=lambda i: i.current.confidence, reverse=descending)
    return hits


# ------------------------------------------------------------------ value formats


def format_drugs(drugs: Sequence[str]) -> str:
    """``a; b`` (a JSON list when a name itself contains ``;``)."""
    if any(";" in d for d in drugs):
        return json.dumps(list(drugs), ensure_ascii=False)
    return "; ".join(drugs)


def parse_drugs(value: str) -> list[str]:
    """Parse ``a; b`` or a JSON list; raises ValueError with a curator-readable message."""
    text = value.strip()
    if not text:
        raise ValueError("drugs is empty")
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"drugs {text!r} looks like a JSON list but is not valid JSON ({exc.msg})") from exc
        if not isinstance(parsed, list) or not all(isinstance(x, str) for x in parsed):
            raise ValueError(f"drugs {text!r} must be a JSON list of strings")
        items = [x.strip() for x in parsed]
    elif text.startswith(("{", '"')):
        raise ValueError(f"drugs {text!r}: write drugs as 'a; b' or a JSON list")
    else:
        items = [x.strip() for x in text.split(";")]
        if any("," in x for x in items):
            raise ValueError(f"drugs {text!r} contains ','; separate drugs with ';' (or use a JSON list)")
    if not items or any(not x for x in items):
        raise ValueError(f"drugs {text!r} has an empty name (write drugs as 'a; b' or a JSON list)")
    return sorted_drugs(items)


def curator_decision(
    item: ReviewItem | None,
    *,
    triple_id: str,
    decision: str,
    reason: str = "",
    note: str = "",
    curator: str = "",
    fields: dict[str, str] | None = None,
    strict_unchanged: bool = False,
) -> Decision:
    """The decision a curator sent on one triple, checked against that triple; raise InputError naming the problem.

    ``fields`` are the editable field values as the curator sent them (strings; drugs
    as ``a; b`` or a JSON list). For ``edit`` the changed ones (compared with the
    extracted triple) become the correction; an edit that restores the extracted
    values is an acceptance. With ``strict_unchanged`` (spreadsheets) an ``accept``
    whose fields differ from the extracted triple is refused, so a forgotten
    ``edit`` is never taken as an acceptance. Accepting a triple that carries an
    earlier edit would silently drop that edit, so it is refused too, whatever values
    the row shows (going back is an edit with the extracted values). The decision
    rules themselves are ``decisions.validate_decision``'s.
    """
    if item is None:
        raise InputError(f"unknown triple_id {triple_id!r} (not among the current triples)")
    action, code, who = decisions.check_decision(decision, reason, curator)
    try:
        parsed = _parse_fields(fields or {})
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    edited_now = [k for k in EDITABLE_FIELDS if _field_value(item.current, k) != _field_value(item.original, k)]
    edits: dict[str, Any] | None = None
    if action == "edit":
        changed = {k: v for k, v in parsed.items() if v != _field_value(item.original, k)}
        if not changed and not edited_now:
            raise InputError(f"edit changes no field (correct {', '.join(EDITABLE_FIELDS[:-1])} or {EDITABLE_FIELDS[-1]}, or use accept)")
        if changed:
            edits = changed
        else:
            # the curator put the extracted values back: that is an acceptance of the extracted triple
            log.info("edit of %s restores the extracted values; recorded as accept", triple_id)
            action = "accept"
    elif action == "accept":
        if edited_now:
            # whatever values the row shows, an accept would replace the recorded correction
            shown = ", ".join(f"{k} ({_shown(_field_value(item.current, k))})" for k in edited_now)
            if strict_unchanged:
                raise InputError(
                    f"decision is accept but the triple carries an earlier edit of {shown}; accepting would drop it: "
                    "use edit with the corrected values to keep them, or edit with the extracted values to go back to them"
                )
            raise InputError(
                f"this triple carries an edit of {', '.join(edited_now)}; accepting would drop it. "
                "Save the edit again (e) to confirm the corrected values, or edit the values back to accept the extracted ones"
            )
        if strict_unchanged:
            differing = [k for k, v in parsed.items() if v != _field_value(item.original, k)]
            if differing:
                verb = "differs" if len(differing) == 1 else "differ"
                raise InputError(
                    f"decision is accept but {', '.join(differing)} {verb} from the extracted triple; "
                    "use edit to keep corrected values, or restore the extracted values to accept them"
                )
    return decisions.make_decision(triple_id, action, curator=who, reason=code, edits=edits, note=note.strip(), triple=item.original)



def submitted_decision(
    item: ReviewItem | None,
    sent: Mapping[str, str],
    *,
    fields: dict[str, str],
    default_curator: str,
    strict_unchanged: bool = False,
) -> Decision:
    """``curator_decision`` on what a curator submitted as named values (a spreadsheet row, a web form).

    ``sent`` carries ``triple_id``, ``decision``, ``reason``, ``note`` and ``curator``;
    an empty curator is ``default_curator``. Curated gene, alteration and drug values are
    checked against the vocabulary, and ``drug_class`` against the drugs (``check_vocabulary``).
    """
    made = curator_decision(
        item,
        triple_id=sent.get("triple_id", "").strip(),
        decision=sent.get("decision", "").strip(),
        reason=sent.get("reason", ""),
        note=sent.get("note", ""),
        curator=sent.get("curator", "").strip() or default_curator,
        fields=fields,
        strict_unchanged=strict_unchanged,
    )
    return replace(made, edits=check_vocabulary(made.edits, item.original if item else None)) if made.edits else made


NEW_VALUE_PREFIX = "new:"
"""Written before a curated gene, alteration or drug name outside the vocabulary to add it deliberately."""

GENE_LEVEL_ALTERATIONS = GENERIC_ALTERATIONS | {"activation", "amplification", "overexpression", "compound mutation"}
"""Normalized alterations that name no specific change (the guideline's gene-level forms)."""

_GENE_SHAPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,29}$")
_CLASS_GENERATION_RE = re.compile(r"^(?P<base>.+) \((?P<generation>[\w-]+)-generation\)$")


def check_vocabulary(edits: Mapping[str, Any], base: Triple | None = None) -> dict[str, Any]:
    """The curated ``gene``, ``alteration`` and ``drugs`` of ``edits`` checked against the vocabulary.

    Curators type these values and they are published: a typo, an alias or a formula
    (``=HYPERLINK(...)``) must not become a gene. A gene is an HGNC approved symbol of the
    gene lexicon, an alteration a normalized form of the variant grammar, a drug a drug-lexicon
    or drug-class name; ``new:VALUE`` accepts a value outside them deliberately. When the edit
    touches ``drugs`` or ``drug_class``, the flag must say what the drugs are (the guideline:
    true when the therapy is named only as a class), with ``base``'s values for the field not
    edited. Returns the edits with ``new:`` removed and drugs sorted; raises InputError naming
    the field and the value.
    """
    from extractors.nlp.lexicons.classes import load_drug_class_lexicon
    from extractors.nlp.lexicons.drugs import load_drug_lexicon
    from extractors.nlp.lexicons.genes import load_gene_lexicon
    from extractors.nlp.variants import find_variants

    def plain(value: str) -> bool:
        return bool(value) and len(value) <= 200 and not value.startswith(FORMULA_START) and all(ord(c) >= 32 for c in value)

    def offer(value: str) -> str:
        return f"; write {NEW_VALUE_PREFIX}{value} to add it deliberately" if plain(value) else ""

    def new_value(name: str, value: str) -> str | None:
        if not value.lower().startswith(NEW_VALUE_PREFIX):
            return None
        v = value[len(NEW_VALUE_PREFIX):].strip()
        if not plain(v):
            raise InputError(f"{name} {value!r}: a new: value cannot be empty, longer than 200 characters, hold control characters or start with =, +, -, @, a tab or a carriage return")
        if name == "gene" and not _GENE_SHAPE_RE.match(v):
            raise InputError(f"gene {value!r}: a new gene symbol is letters, digits and hyphens (as HGNC symbols are)")
        return v

    out = dict(edits)
    if "gene" in edits:
        gene = str(edits["gene"])
        lexicon = load_gene_lexicon()
        by_upper = {s.upper(): s for s in lexicon.symbols}
        checked = new_value("gene", gene) or by_upper.get(gene.upper())
        if checked is None:
            symbol = lexicon.lookup(gene)
            hint = f"; write {symbol!r}" if symbol else f" in the gene lexicon{offer(gene) if _GENE_SHAPE_RE.match(gene) else ''}"
            raise InputError(f"gene {gene!r} is not an HGNC symbol{hint}")
        out["gene"] = checked
    if "alteration" in edits:
        alteration = str(edits["alteration"])
        checked = new_value("alteration", alteration)
        if checked is None and alteration not in GENE_LEVEL_ALTERATIONS:
            found = find_variants(alteration)
            same = len(found) == 1 and sorted(found[0].normalized.split("+")) == sorted(alteration.split("+"))  # compound order is free
            if not same:
                if len(found) == 1 and (found[0].start, found[0].end) == (0, len(alteration)):
                    raise InputError(f"alteration {alteration!r} is not in normalized form; write {found[0].normalized!r}")
                raise InputError(
                    f"alteration {alteration!r} does not follow the alteration grammar (normalized forms such as C797S, "
                    f"exon 19 deletion, C797S+T790M, fusion EML4-ALK, amplification){offer(alteration)}"
                )
        out["alteration"] = checked or alteration
    if "drugs" in edits:
        drugs, classes = load_drug_lexicon(), load_drug_class_lexicon()
        names = []
        for name in edits["drugs"]:
            checked = new_value("drugs", name)
            if checked is None:
                entry = drugs.lookup(name)
                m = _CLASS_GENERATION_RE.match(name)
                surface = f"{m['generation']}-generation {m['base']}" if m else name
                if entry is not None and name in (entry.canonical, drugs.preferred_code(entry) if entry.is_code else None):
                    checked = name
                elif classes.canonical(surface) == name:
                    checked = name
                elif entry is not None:
                    raise InputError(f"drugs entry {name!r} is a {entry.kind} name in the drug lexicon; write {entry.canonical!r}")
                else:
                    raise InputError(f"drugs entry {name!r} is not in the drug lexicon or the drug classes{offer(name)}")
            names.append(checked)
        out["drugs"] = sorted_drugs(names)
    if base is not None and ("drugs" in edits or "drug_class" in edits):
        _check_drug_class(out.get("drugs", base.drugs), bool(out.get("drug_class", base.drug_class)), set(out.get("drugs", [])) - set(edits.get("drugs", [])))
    return out


def _check_drug_class(names: Sequence[str], drug_class: bool, new_names: set[str]) -> None:
    """Raise InputError when ``drug_class`` contradicts the drugs (names added with ``new:`` are not judged)."""
    from extractors.nlp.lexicons.classes import load_drug_class_lexicon
    from extractors.nlp.lexicons.drugs import load_drug_lexicon

    drugs, classes = load_drug_lexicon(), load_drug_class_lexicon()

    def is_class(name: str) -> bool:
        m = _CLASS_GENERATION_RE.match(name)
        return classes.canonical(f"{m['generation']}-generation {m['base']}" if m else name) == name

    known = [n for n in names if n not in new_names]
    if drug_class:
        named = [n for n in known if not is_class(n) and drugs.lookup(n) is not None]
        if named:
            raise InputError(f"drug_class true but {named[0]} is a named drug (a class triple names only drug classes); set drug_class to false or write the class")
    elif known and len(known) == len(names) and all(is_class(n) for n in known):
        raise InputError(f"drug_class false but every drug is a drug class ({', '.join(known)}); set drug_class to true or name the drugs")


def _shown(value: Any) -> str:
    return format_drugs(value) if isinstance(value, list) else str(value)


def _field_value(t: Triple, name: str) -> Any:
    value = getattr(t, name)
    return list(value) if name == "drugs" else value


def _parse_fields(fields: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"field {name!r} cannot be edited (editable: {', '.join(EDITABLE_FIELDS)})")
        value = "" if raw is None else str(raw)
        if name == "drugs":
            out[name] = parse_drugs(value)
        elif name == "drug_class":
            flag = value.strip().lower()
            if flag not in ("true", "false"):
                raise ValueError(f"drug_class {value!r} is not true or false")
            out[name] = flag == "true"
        elif name in ("outcome", "evidence_level"):
            v = value.strip().lower()
            allowed = OUTCOMES if name == "outcome" else EVIDENCE_LEVELS
            if v not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
            out[name] = v
        else:
            v = value.strip()
            if not v:
                raise ValueError(f"{name} is empty")
            out[name] = v.upper() if name == "gene" else v
    return out


# ------------------------------------------------------------------ CSV export


def export_rows(table: ReviewTable, filters: Filters) -> list[dict[str, str]]:
    """One CSV row per matching triple, decision columns empty, sorted by doc then triple_id."""
    rows = []
    for item in sorted((i for i in table.items if filters.matches(i)), key=lambda i: (i.original.doc_id, i.triple_id)):
        t = item.current
        last = item.latest or {}
        rows.append(
            {
                "triple_id": t.triple_id,
                "decision": "",
                "reason": "",
                "note": "",
                "curator": "",
                "status": item.status,
                "last_decision": last.get("decision", ""),
                "last_curator": last.get("curator", ""),
                "last_decided_at": last.get("decided_at", ""),
                "doc_id": t.doc_id,
                "source": t.source,
                "source_id": t.source_id,
                "drugs": format_drugs(t.drugs),
                "drug_class": "true" if t.drug_class else "false",
                "gene": t.gene,
                "alteration": t.alteration,
                "outcome": t.outcome,
                "evidence_level": t.evidence_level,
                "measures": "; ".join(t.measures),
                "nct_ids": "; ".join(t.nct_ids),
                "confidence": f"{t.confidence:.3f}",
                "section": t.section,
                "negated": "true" if t.negated else "false",
                "hedged": "true" if t.hedged else "false",
                "evidence": t.evidence,
                "sentence": t.sentence,
            }
        )
    return rows


def export_csv(settings: Settings, out: Path, filters: Filters) -> int:
    """Write the review spreadsheet (UTF-8 with BOM, CRLF, so Excel opens it as-is); returns the row count."""
    rows = export_rows(build_review_table(settings), filters)
    data = delimited_bytes(rows, EXPORT_COLUMNS, lineterminator="\r\n", bom=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    log.info("exported %d triple(s) to %s", len(rows), out)
    return len(rows)


# ------------------------------------------------------------------ CSV import


@dataclass
class ImportResult:
    applied: list[Decision]
    skipped: int
    rows: int

    def counts(self) -> dict[str, int]:
        c = Counter(d.decision for d in self.applied)
        return {a: c.get(a, 0) for a in DECISIONS}


def read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (spreadsheet row number, row) pairs; accepts UTF-8 with or without BOM, LF or CRLF."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start}); save the spreadsheet as 'CSV UTF-8'") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
    except StopIteration as exc:
        raise InputError(f"{path}: empty file (no header row)") from exc
    except csv.Error as exc:
        raise InputError(f"{path}: unreadable CSV header: {exc}") from exc
    for col in ("triple_id", "decision"):
        if col not in header:
            raise InputError(f"{path}: no {col!r} column (header: {', '.join(header)})")
    dupes = sorted(h for h, n in Counter(header).items() if n > 1 and h)
    if dupes:
        raise InputError(f"{path}: duplicate column(s) {', '.join(dupes)}")
    rows: list[tuple[int, dict[str, str]]] = []
    row_no = 1
    try:
        for values in reader:
            row_no += 1
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
                rows.append((row_no, {"__error__": f"{len(values)} cells but the header has {len(header)} columns"}))
                continue
            padded = values + [""] * (len(header) - len(values))
            rows.append((row_no, {h: v for h, v in zip(header, padded, strict=False) if h}))
    except csv.Error as exc:
        raise InputError(f"{path}: row {row_no + 1}: unreadable CSV ({exc})") from exc
    return header, rows


def import_csv(settings: Settings, path: Path, *, curator: str = "") -> ImportResult:
    """Validate every row, then record every filled decision; on any invalid row record nothing.

    Raises ``ReviewImportError`` listing each invalid row (spreadsheet row number and problem).
    ``curator`` is used for rows whose ``curator`` cell is empty.
    """
    header, rows = read_csv_rows(path)
    table = build_review_table(settings).by_id()
    present_fields = [f for f in EDITABLE_FIELDS if f in header]
    problems: list[tuple[int, str]] = []
    made: list[Decision] = []
    seen: dict[str, int] = {}
    skipped = 0
    for row_no, row in rows:
        if "__error__" in row:
            problems.append((row_no, row["__error__"]))
            continue
        tid = row.get("triple_id", "").strip()
        label = f"triple {tid}" if tid else "no triple_id"
        if not tid:
            problems.append((row_no, "triple_id is empty"))
            continue
        if tid in seen:
            problems.append((row_no, f"{label}: duplicate triple_id (also on row {seen[tid]})"))
            continue
        seen[tid] = row_no
        item = table.get(tid)
        if item is None:
            problems.append((row_no, f"unknown triple_id {tid!r} (not among the current triples)"))
            continue
        fields = {f: restore(row.get(f, "")) for f in present_fields}
        decision = row.get("decision", "").strip()
        if not decision:
            leftover = [c for c in ("reason", "note") if row.get(c, "").strip()]
            try:
                parsed = _parse_fields(fields)
                leftover += [k for k, v in parsed.items() if v != _field_value(item.current, k)]
            except ValueError as exc:
                leftover.append(str(exc))
            if leftover:
                problems.append((row_no, f"{label}: decision is empty but {', '.join(leftover)} filled or changed; fill decision (accept, reject, edit) or clear them"))
            else:
                skipped += 1
            continue
        try:
            made.append(submitted_decision(item, row, fields=fields, default_curator=curator, strict_unchanged=True))
        except InputError as exc:
            problems.append((row_no, f"{label}: {exc}"))
    if problems:
        raise ReviewImportError(str(path), problems)
    decisions.save_decisions(settings, made)
    return ImportResult(applied=made, skipped=skipped, rows=len(rows))


# ------------------------------------------------------------------ links and highlighting


def trial_url(nct_id: str) -> str | None:
    return f"https://clinicaltrials.gov/study/{nct_id}" if NCT_RE.match(nct_id) else None


def source_links(t: Triple, doc: Document | None) -> list[tuple[str, str]]:
    """(label, url) links to the triple's source record; URLs are built only from validated ids.

    PubMed, PMC and DOI from the document's metadata (or the triple's source id where that is
    one), ClinicalTrials.gov for registry triples and trial documents.
    """
    links: list[tuple[str, str]] = []
    pmid = (doc.pmid if doc else "") or (t.source_id if t.source == SOURCE_PUBMED else "")
    pmcid = (doc.pmcid if doc else "") or (t.source_id if t.source in FULL_TEXT_SOURCES else "")
    pmcid = pmcid.upper()
    doi = (doc.doi if doc else "").strip()
    if pmid and PMID_RE.match(pmid):
        links.append((f"PubMed {pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    if pmcid and PMCID_RE.match(pmcid):
        links.append((f"PMC {pmcid}", f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/"))
    if doi and DOI_RE.match(doi):
        links.append((f"DOI {doi}", "https://doi.org/" + quote(doi, safe="/:;()._-")))
    nct = t.source_id if t.source == SOURCE_CTGOV else (t.doc_id if NCT_RE.match(t.doc_id) else "")
    url = trial_url(nct) if nct else None
    if url:
        links.append((f"ClinicalTrials.gov {nct}", url))
    return links


@dataclass(frozen=True)
class Segment:
    """A piece of evidence text; ``kind`` is drug, gene, alteration or '' (plain); ``compound``
    marks a compound alteration (``G1202R/L1196M``) or one of its parts."""

    text: str
    kind: str = ""
    compound: bool = False


def _term_spans(text: str, term: str) -> list[tuple[int, int]]:
    term = term.strip()
    if len(term) < 2:
        return []
    pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])", re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _variant_spans(text: str, t: Triple) -> list[tuple[int, int]]:
    """Where the variant grammar reads ``t``'s alteration in ``text`` (``T790M-cis-C797S``, ``exon 20 insertions``)."""
    from extractors.nlp.variants import find_variants

    key = norm_alteration_key(t.alteration)
    out = []
    for v in find_variants(text):
        if getattr(v, "gene", None) not in (None, "", t.gene):
            continue
        if any(norm_alteration_key(a) == key for a in (getattr(v, "alternatives", None) or (v.normalized,))):
            out.append((v.start, v.end))
    return out


def highlight_segments(text: str, t: Triple) -> list[Segment]:
    """Split raw text at the drug, gene and alteration mentions (escaping is the template's job).

    A compound alteration is marked where the variant grammar reads it whole, and each of its
    parts where it is written alone.
    """
    compound = "+" in t.alteration
    terms: list[tuple[str, str, bool]] = [(d, "drug", False) for d in t.drugs]
    terms.append((t.gene, "gene", False))
    alts = {t.alteration, t.hgvs}
    if compound:
        alts |= {p.strip() for p in t.alteration.split("+")}
    alts |= {a[2:] for a in list(alts) if a.startswith("p.")}
    terms += [(a, "alteration", compound) for a in alts if a]
    spans: list[tuple[int, int, str, bool]] = [(s, e, "alteration", compound) for s, e in _variant_spans(text, t)]
    for term, kind, part in terms:
        spans += [(s, e, kind, part) for s, e in _term_spans(text, term)]
    spans.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    out: list[Segment] = []
    pos = 0
    for s, e, kind, part in spans:
        if s < pos:
            continue  # overlaps an earlier, longer mention
        if s > pos:
            out.append(Segment(text[pos:s]))
        out.append(Segment(text[s:e], kind, part))
        pos = e
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
