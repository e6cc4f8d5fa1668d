"""Curation decisions (stored in the state database) applied to extracted triples before a release.

A curator's decision is keyed by ``triple_id`` and append-only: the latest
decision per triple wins, earlier ones stay as history.

- ``accept`` → the triple is kept with ``curation_status = accepted``;
- ``edit`` → the edited fields override the extracted ones (``edited``); the
  triple keeps its original ``triple_id`` so the decision stays attached;
- ``reject`` (with a reason code) → the triple leaves the release and goes to
  ``rejected.jsonl`` (``rejected``).

When a re-extraction changes a triple's key (drug, gene, alteration or
outcome), its ``triple_id`` changes and the old decision no longer applies. The
old decision stays in history; a new triple from the same document and the
same evidence sentence (same span, or same sentence text after an edit moved
it) is marked ``needs_review`` so a curator looks at it again.

Functions take either ``Settings`` (the state database at ``settings.state_db``
is opened and closed) or an open ``StateDB``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from pipeline.config import Settings
from pipeline.state.db import DECISIONS, REASON_CODES, Decision, StateDB, evidence_hash
from schemas.errors import InputError
from schemas.models import Triple

log = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "evidence", "drugs", "drug_class", "gene", "alteration", "outcome", "measures", "evidence_level",
    "nct_ids", "alteration_type", "hgvs", "negated", "hedged",
)
"""Fields an ``edit`` decision may override (identity and provenance fields are not editable)."""

StateTarget = Settings | StateDB


@contextmanager
def _db(target: StateTarget) -> Iterator[StateDB]:
    if isinstance(target, StateDB):
        yield target
        return
    db = StateDB(target.state_db)
    try:
        yield db
    finally:
        db.close()


def validate_decision(decision: str, reason: str | None, edits: dict[str, Any] | None, curator: str) -> None:
    """Raise InputError when a decision is malformed (unknown kind/reason, empty curator, bad edits)."""
    if decision not in DECISIONS:
        raise InputError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if reason is not None and reason not in REASON_CODES:
        raise InputError(f"reason must be one of {', '.join(REASON_CODES)}, not {reason!r}")
    if decision == "reject" and reason is None:
        raise InputError("a reject decision needs a reason code (" + ", ".join(REASON_CODES) + ")")
    if not curator.strip():
        raise InputError("a decision needs the curator's name")
    if decision == "edit":
        if not edits:
            raise InputError("an edit decision needs the edited fields")
        bad = sorted(set(edits) - set(EDITABLE_FIELDS))
        if bad:
            raise InputError(f"fields not editable: {', '.join(bad)} (editable: {', '.join(EDITABLE_FIELDS)})")
        probe = {"doc_id": "x", "evidence": "x", "drugs": ["x"], "gene": "X", "alteration": "x", "outcome": "resistance"}
        try:
            Triple.model_validate({**probe, **edits})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InputError(f"invalid edit of {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc
    elif edits:
        raise InputError(f"only an edit decision carries edits (this one is {decision!r})")


def record_decision(
    target: StateTarget,
    triple_id: str,
    decision: str,
    *,
    curator: str,
    reason: str | None = None,
    edits: dict[str, Any] | None = None,
    note: str = "",
    triple: Triple | None = None,
    created_at: str | None = None,
) -> Decision:
    """Validate and append a decision on ``triple_id``.

    The triple's document and evidence sentence span are stored with the decision (from
    ``triple`` when given, else from the state database's triples table) so a later re-keyed
    triple from the same sentence can be flagged ``needs_review``. An id the state database has
    never seen needs ``triple``.
    """
    return record_decisions(
        target,
        [{"triple_id": triple_id, "decision": decision, "curator": curator, "reason": reason, "edits": edits, "note": note, "triple": triple, "created_at": created_at}],
    )[0]


def record_decisions(target: StateTarget, rows: Sequence[Mapping[str, Any]]) -> list[Decision]:
    """Validate every row, then append them all in one transaction (all or none).

    Each row holds ``record_decision``'s arguments: ``triple_id``, ``decision``, ``curator`` and
    optionally ``reason``, ``edits``, ``note``, ``triple``, ``created_at``.
    """
    with _db(target) as db:
        pending = []
        for i, row in enumerate(rows):
            triple_id, decision, curator = str(row["triple_id"]), str(row["decision"]), str(row.get("curator") or "")
            reason, edits, triple = row.get("reason") or None, row.get("edits") or None, row.get("triple")
            try:
                validate_decision(decision, reason, edits, curator)
                span = _span(db, triple_id, triple)
            except InputError as exc:
                raise InputError(f"decision {i + 1} ({triple_id}): {exc}") from exc
            pending.append(Decision(0, triple_id, decision, reason, dict(edits or {}), curator.strip(), str(row.get("note") or ""), str(row.get("created_at") or ""), *span))
        recorded = db.add_decisions(pending)
    for d in recorded:
        log.info("decision %d: %s %s by %s", d.id, d.decision, d.triple_id, d.curator)
    return recorded


def _span(db: StateDB, triple_id: str, triple: Triple | None) -> tuple[str, int, int, str]:
    if triple is not None:
        if triple.triple_id and triple.triple_id != triple_id:
            raise InputError(f"triple {triple.triple_id} given for a decision on {triple_id}")
        return triple.doc_id, triple.sentence_start, triple.sentence_end, evidence_hash(triple.evidence)
    known = db.triple(triple_id)
    if known is None:
        raise InputError(f"unknown triple_id {triple_id}: not in the state database {db.path} (pass the triple itself)")
    return known.doc_id, known.sentence_start, known.sentence_end, known.evidence_sha256


def decision_history(target: StateTarget, triple_id: str) -> list[Decision]:
    """Every decision on ``triple_id``, oldest first."""
    with _db(target) as db:
        return db.decision_history(triple_id)


def latest_decisions(target: StateTarget) -> dict[str, Decision]:
    """The newest decision per triple_id (including ids no longer extracted)."""
    with _db(target) as db:
        return db.latest_decisions()


def curator_fields(d: Decision) -> dict[str, str]:
    """The per-triple curation columns a release writes (``curator``, ``curated_at``, ``note``) plus decision and reason."""
    return {"curator": d.curator, "curated_at": d.created_at, "note": d.note, "decision": d.decision, "reason": d.reason or ""}


def apply_curation(target: StateTarget, triples: list[Triple]) -> tuple[list[Triple], list[Triple], dict[str, dict[str, str]]]:
    """Return (kept, rejected, curator fields by triple_id) after the latest decision per triple.

    Input order is kept. With no state database yet, nothing is curated (and no file is created).
    """
    if isinstance(target, Settings) and not target.state_db.exists():
        return list(triples), [], {}
    with _db(target) as db:
        latest = db.latest_decisions()
    if not latest:
        return list(triples), [], {}
    current_ids = {t.triple_id for t in triples}
    by_span: dict[tuple[str, int, int], Decision] = {}
    by_text: dict[tuple[str, str], Decision] = {}
    for tid, d in latest.items():
        if tid in current_ids or not d.doc_id:
            continue
        by_span.setdefault((d.doc_id, d.sentence_start, d.sentence_end), d)
        if d.evidence_sha256:
            by_text.setdefault((d.doc_id, d.evidence_sha256), d)
    kept: list[Triple] = []
    rejected: list[Triple] = []
    fields: dict[str, dict[str, str]] = {}
    for t in triples:
        d = latest.get(t.triple_id)
        if d is None:
            old = by_span.get((t.doc_id, t.sentence_start, t.sentence_end)) or by_text.get((t.doc_id, evidence_hash(t.evidence)))
            if old is not None:
                kept.append(t.model_copy(update={"curation_status": "needs_review"}))
                fields[t.triple_id] = {
                    "curator": "", "curated_at": "", "decision": "", "reason": "",
                    "note": f"needs review: decision {old.id} ({old.decision}) was on {old.triple_id} from the same sentence before its key changed",
                }
            else:
                kept.append(t)
            continue
        fields[t.triple_id] = curator_fields(d)
        if d.decision == "accept":
            kept.append(t.model_copy(update={"curation_status": "accepted"}))
        elif d.decision == "reject":
            rejected.append(t.model_copy(update={"curation_status": "rejected"}))
        else:
            try:
                edited = Triple.model_validate({**t.model_dump(), **d.edits, "triple_id": t.triple_id, "curation_status": "edited"})
            except ValidationError as exc:
                raise InputError(f"decision {d.id} on {t.triple_id} has invalid edits: {exc.errors()[0]['msg']}") from exc
            kept.append(edited)
    n_review = sum(1 for t in kept if t.curation_status == "needs_review")
    log.info("curation: %d kept (%d need review), %d rejected, %d decisions", len(kept), n_review, len(rejected), len(latest))
    return kept, rejected, fields
