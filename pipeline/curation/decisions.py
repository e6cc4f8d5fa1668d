"""Curation decisions (stored in the state database) applied to extracted triples before a release.

A curator's decision is keyed by ``triple_id`` and append-only: the latest
decision per triple stands, earlier ones stay as history.

- ``accept`` → the triple is kept with ``curation_status = accepted``;
- ``edit`` → the edited fields override the extracted ones (``edited``);
- ``reject`` (with a reason code) → the triple leaves the release and goes to
  ``rejected.jsonl`` (``rejected``);
- ``undo`` (``undo_decision``) → withdraws the standing decision: the one before
  it stands again, or the triple is open again when there was none. Nothing is
  deleted; the undo is one more record of the history.

The id rule: ``triple_id`` is the id of the *extracted* assertion (the key the
extractor wrote) and never changes with an edit, so decisions keyed by it stay
attached through every re-extraction that finds the same assertion again. The
key of the curated values (``triple_key_id`` over the edited drugs, gene,
alteration and outcome) is stored beside it as ``curated_triple_id`` on every
curated triple; it differs from ``triple_id`` only when an edit changed the key.
Edited drugs are sorted with ``sorted_drugs``, as extracted ones are.

When a re-extraction changes a triple's key (drug, gene, alteration or
outcome), its ``triple_id`` changes and the old decision no longer applies. The
old decision stays in history; a new triple from the same document and the
same evidence sentence (same span, or same sentence text after an edit moved
it) is marked ``needs_review`` so a curator looks at it again.

Every decision, whether from the review spreadsheet, the web app or code, is
checked by ``validate_decision`` and stored as a ``pipeline.state.db.Decision``.

Functions take either ``Settings`` (the state database at ``settings.state_db``
is opened and closed) or an open ``StateDB``.

Every release carries the latest decision on each of its triples (``decisions.jsonl``,
listed in its manifest and SHA256SUMS), so a lost state database can be rebuilt from
what was released (``restore_decisions``), and a run refuses to release without the
decisions the newest release carries (``check_released_decisions``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack

from pydantic import ValidationError

from pipeline.config import Settings
from pipeline.state.db import (
    RESTORE_HINT,
    Decision,
    StateDB,
    StateMissingError,
    database_absent,
    evidence_hash,
    refuse_lost_database,
)
from schemas.errors import InputError
from schemas.models import Triple
from schemas.vocab import (
    DECISIONS,
    EDITABLE_FIELDS,
    REASON_CODES,
    UNDO,
    reason_code,
    sorted_drugs,
    triple_key_id,
)

log = logging.getLogger(__name__)

StateTarget = Settings | StateDB

DECISIONS_JOURNAL = "decisions.jsonl"
"""The release file holding the decisions behind the release's curation columns."""

RECORD_FIELDS = ("id", "triple_id", "decision", "reason", "edits", "curator", "note", "created_at", "doc_id", "sentence_start", "sentence_end", "evidence_sha256")


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


def _no_database(target: StateTarget) -> bool:
    """True when ``target`` names a state database that does not exist yet (reading must not create it)."""
    return isinstance(target, Settings) and not target.state_db.exists()


def check_decision(decision: str, reason: str | None, curator: str) -> tuple[str, str | None, str]:
    """The normalized (decision, reason code, curator) of a decision; raise InputError naming the problem.

    Decisions and reasons are read as curators write them (``Accept``, ``Wrong drug``).
    Only a ``reject`` carries a reason, and it must carry one.
    """
    action = decision.strip().lower()
    if action not in DECISIONS:
        raise InputError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    who = curator.strip()
    if not who:
        raise InputError("no curator name (fill the curator column or pass --curator)")
    code = reason_code(reason) if reason and reason.strip() else None
    if action == "reject":
        if code is None:
            raise InputError(f"reject needs a reason code: one of {', '.join(REASON_CODES)}")
        if code not in REASON_CODES:
            raise InputError(f"reason {reason!r} is not one of {', '.join(REASON_CODES)}")
    elif code is not None:
        raise InputError(f"reason {reason!r} is only used with reject (decision is {action})")
    return action, code, who


def check_edits(decision: str, edits: dict[str, Any] | None) -> None:
    """Raise InputError unless ``edits`` fit ``decision``: only an edit carries them, only editable fields, valid values."""
    if decision != "edit":
        if edits:
            raise InputError(f"only an edit decision carries edits (this one is {decision!r})")
        return
    if not edits:
        raise InputError("an edit decision needs the edited fields")
    bad = sorted(set(edits) - set(EDITABLE_FIELDS))
    if bad:
        raise InputError(f"fields not editable: {', '.join(bad)} (editable: {', '.join(EDITABLE_FIELDS)})")
    if "drug_class" in edits and not isinstance(edits["drug_class"], bool):
        raise InputError(f"invalid edit of drug_class: {edits['drug_class']!r} is not true or false")
    probe = {"doc_id": "x", "evidence": "x", "drugs": ["x"], "gene": "X", "alteration": "x", "outcome": "resistance"}
    try:
        Triple.model_validate({**probe, **edits})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"invalid edit of {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc


def curated_edits(edits: dict[str, Any]) -> dict[str, Any]:
    """``edits`` as a triple takes them: drugs each once and sorted, as extraction writes them."""
    return {**edits, "drugs": sorted_drugs(edits["drugs"])} if "drugs" in edits else dict(edits)


def validate_decision(decision: str, reason: str | None, edits: dict[str, Any] | None, curator: str) -> tuple[str, str | None, str]:
    """Every rule a decision must meet before it is recorded; returns the normalized (decision, reason, curator)."""
    action, code, who = check_decision(decision, reason, curator)
    check_edits(action, edits)
    return action, code, who


def make_decision(
    triple_id: str,
    decision: str,
    *,
    curator: str,
    reason: str | None = None,
    edits: dict[str, Any] | None = None,
    note: str = "",
    triple: Triple | None = None,
    created_at: str = "",
    db: StateDB | None = None,
) -> Decision:
    """A validated, not yet recorded decision (``id`` 0) on ``triple_id``.

    The triple's document and evidence sentence span come from ``triple`` when given,
    else from ``db``'s triples table; an id the state database has never seen needs ``triple``.
    """
    action, code, who = validate_decision(decision, reason, edits, curator)
    doc_id, start, end, evidence = _span(db, triple_id, triple)
    return Decision(0, triple_id, action, code, curated_edits(edits or {}), who, note, created_at, doc_id, start, end, evidence)


def save_decisions(target: StateTarget, decisions: Sequence[Decision]) -> list[Decision]:
    """Check every decision, then append them all in one transaction (all or none); returns them with ids."""
    checked = []
    for i, d in enumerate(decisions):
        try:
            action, code, who = validate_decision(d.decision, d.reason, d.edits or None, d.curator)
        except InputError as exc:
            raise InputError(f"decision {i + 1} ({d.triple_id}): {exc}") from exc
        checked.append(replace(d, decision=action, reason=code, curator=who))
    if not checked:
        return []
    with _db(target) as db:
        recorded = db.add_decisions(checked)
        path = db.path
    for d in recorded:
        log.info("decision %d: %s %s by %s", d.id, d.decision, d.triple_id, d.curator)
    log.info("recorded %d curation decision(s) in %s", len(recorded), path)
    return recorded


class DecisionDetails(TypedDict, total=False):
    """``make_decision``'s keywords, for the functions that pass them on to it."""

    curator: Required[str]
    reason: str | None
    edits: dict[str, Any] | None
    note: str
    triple: Triple | None
    created_at: str


def record_decision(target: StateTarget, triple_id: str, decision: str, **details: Unpack[DecisionDetails]) -> Decision:
    """Validate and append one decision on ``triple_id`` (see ``make_decision``)."""
    with _db(target) as db:
        return save_decisions(db, [make_decision(triple_id, decision, db=db, **details)])[0]


def _span(db: StateDB | None, triple_id: str, triple: Triple | None) -> tuple[str, int, int, str]:
    if triple is not None:
        if triple.triple_id and triple.triple_id != triple_id:
            raise InputError(f"triple {triple.triple_id} given for a decision on {triple_id}")
        return triple.doc_id, triple.sentence_start, triple.sentence_end, evidence_hash(triple.evidence)
    known = db.triple(triple_id) if db is not None else None
    if known is None:
        where = f"not in the state database {db.path}" if db is not None else "no state database given"
        raise InputError(f"unknown triple_id {triple_id}: {where} (pass the triple itself)")
    return known.doc_id, known.sentence_start, known.sentence_end, known.evidence_sha256


def decision_history(target: StateTarget, triple_id: str) -> list[Decision]:
    """Every record on ``triple_id``, undo records included, oldest first (none, and no file created, without a state database)."""
    if _no_database(target):
        return []
    with _db(target) as db:
        return db.decision_history(triple_id)


def standing(history: Sequence[Decision]) -> dict[str, Decision]:
    """The decision that stands per triple_id after replaying ``history`` (oldest first).

    Each decision stands over the one before it; an ``undo`` withdraws the standing one, so the
    one before that stands again. A triple whose decisions were all undone has none.
    """
    stacks: dict[str, list[Decision]] = {}
    for d in history:
        stack = stacks.setdefault(d.triple_id, [])
        if d.decision == UNDO:
            if stack:
                stack.pop()
        else:
            stack.append(d)
    return {tid: stack[-1] for tid, stack in sorted(stacks.items()) if stack}


def _standing(db: StateDB) -> dict[str, Decision]:
    return standing(db.all_decisions())


def latest_decisions(target: StateTarget) -> dict[str, Decision]:
    """The standing decision per triple_id, including ids no longer extracted (none without a state database)."""
    if _no_database(target):
        return {}
    with _db(target) as db:
        return _standing(db)


def newest_standing_decision(target: StateTarget) -> Decision | None:
    """The most recently recorded decision that still stands: what "undo the last decision" withdraws."""
    return max(latest_decisions(target).values(), key=lambda d: d.id, default=None)


def undo_decision(target: StateTarget, decision_id: int, *, curator: str, note: str = "") -> Decision:
    """Withdraw the standing decision ``decision_id`` by appending an ``undo`` record; returns the withdrawn decision.

    The caller names the decision it means (the one it showed the curator), so an undo never
    withdraws a decision recorded meanwhile by someone else. Raises InputError, recording
    nothing, when that decision does not exist or no longer stands.
    """
    who = curator.strip()
    if not who:
        raise InputError("no curator name for the undo (fill the curator field or pass --curator)")
    with _db(target) as db, db.transaction():
        history = db.all_decisions()
        target_d = next((d for d in history if d.id == decision_id and d.decision != UNDO), None)
        if target_d is None:
            raise InputError(f"no decision {decision_id} in the state database {db.path}; nothing undone")
        if _standing_of(history, target_d.triple_id) != target_d:
            raise InputError(f"decision {decision_id} on {target_d.triple_id} is no longer standing (it was undone or superseded); nothing undone")
        text = f"undoes decision {target_d.id} ({target_d.decision} by {target_d.curator})" + (f": {note.strip()}" if note.strip() else "")
        undo = replace(target_d, id=0, decision=UNDO, reason=None, edits={}, curator=who, note=text, created_at="")
        (recorded,) = db.add_decisions([undo])
    log.info("decision %d: undo of decision %d on %s by %s", recorded.id, target_d.id, target_d.triple_id, who)
    return target_d


def _standing_of(history: Sequence[Decision], triple_id: str) -> Decision | None:
    return standing([d for d in history if d.triple_id == triple_id]).get(triple_id)


def curator_fields(d: Decision) -> dict[str, str]:
    """The per-triple curation columns a release writes (``curator``, ``curated_at``, ``note``) plus decision and reason.

    ``record`` is the whole decision as JSON (``decision_record``), for the release's decisions journal.
    """
    return {
        "curator": d.curator, "curated_at": d.created_at, "note": d.note, "decision": d.decision, "reason": d.reason or "",
        "record": json.dumps(decision_record(d), sort_keys=True, ensure_ascii=False),
    }


# ------------------------------------------------------------------ the decisions a release carries


def decision_record(d: Decision) -> dict[str, Any]:
    """A decision as one JSON object of the release journal (every stored field, ``edits`` as an object)."""
    return {name: getattr(d, name) for name in RECORD_FIELDS}


def journal_records(curation: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """The journal rows of a release from ``apply_curation``'s fields: one per decided triple, oldest first."""
    rows = [json.loads(c["record"]) for c in curation.values() if c.get("record")]
    return sorted(rows, key=lambda r: (r["created_at"], r["id"], r["triple_id"]))


def decision_from_record(row: Any, where: str) -> Decision:
    """The Decision a journal row holds; raise InputError naming ``where`` when the row is not one."""
    if not isinstance(row, dict) or not {"triple_id", "decision", "curator", "created_at"} <= row.keys():
        raise InputError(f"{where}: not a decision record (needs triple_id, decision, curator, created_at)")
    try:
        d = Decision(
            int(row.get("id") or 0), str(row["triple_id"]), str(row["decision"]), row.get("reason") or None, dict(row.get("edits") or {}),
            str(row["curator"]), str(row.get("note") or ""), str(row["created_at"]), str(row.get("doc_id") or ""),
            int(row.get("sentence_start") or 0), int(row.get("sentence_end") or 0), str(row.get("evidence_sha256") or ""),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: unreadable decision record ({exc})") from exc
    if not d.created_at:
        raise InputError(f"{where}: decision on {d.triple_id} has no created_at")
    return d


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def newest_release(releases_dir: Path) -> Path | None:
    """The newest release folder (semantic-version order, manifest present), or None."""
    if not releases_dir.is_dir():
        return None
    found = [p for p in releases_dir.iterdir() if p.is_dir() and _SEMVER.match(p.name) and (p / "manifest.json").is_file()]
    return max(found, key=lambda p: tuple(int(x) for x in p.name.split(".")), default=None)


def read_journal(release: Path) -> list[Decision]:
    """The decisions a release carries, after checking the journal against the release's manifest and SHA256SUMS."""
    path = release / DECISIONS_JOURNAL
    if not path.is_file():
        raise InputError(f"{path}: no decisions journal in this release (written by an oncotriples without one)")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        listed = json.loads((release / "manifest.json").read_text(encoding="utf-8")).get("files", {}).get(DECISIONS_JOURNAL)
    except (OSError, ValueError) as exc:
        raise InputError(f"{release / 'manifest.json'}: unreadable ({exc})") from exc
    sums = release / "SHA256SUMS"
    in_sums = sums.is_file() and f"{digest}  {DECISIONS_JOURNAL}" in sums.read_text(encoding="utf-8").splitlines()
    if listed != digest or not in_sums:
        raise InputError(f"{path}: checksum does not match the release's manifest.json / SHA256SUMS; not using a damaged journal")
    out = []
    for n, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}: line {n}: not JSON ({exc})") from exc
        out.append(decision_from_record(row, f"{path}: line {n}"))
    return out


def _covered(db: StateDB, d: Decision) -> bool:
    """True when the database holds a decision on ``d``'s triple made at or after ``d`` (so ``d`` adds nothing)."""
    return any(h.created_at >= d.created_at for h in db.decision_history(d.triple_id))


def check_released_decisions(settings: Settings) -> None:
    """Refuse (StateMissingError) when the state database lacks decisions the newest release carries.

    Decisions are append-only, so a released decision missing from the database means the
    database was lost or replaced; releasing from it would silently undo that curation.
    """
    release = newest_release(settings.releases_dir)
    restore = f"`{RESTORE_HINT} {release} --workdir {settings.workdir}`"
    refuse_lost_database(settings.state_db, workdir=settings.workdir, release=str(release or ""))
    if release is None or not (release / DECISIONS_JOURNAL).is_file():
        return
    released = read_journal(release)
    if not released:
        return
    if database_absent(settings.state_db):
        missing = released
    else:
        with _db(settings) as db:
            missing = [d for d in released if not _covered(db, d)]
    if missing:
        first = missing[0]
        raise StateMissingError(
            f"state database {settings.state_db} lacks {len(missing)} of the {len(released)} curation decision(s) released in {release} "
            f"(e.g. {first.decision} of {first.triple_id} by {first.curator}); not curating without them: rebuild them with {restore}"
        )


@dataclass
class RestoreResult:
    """What ``restore_decisions`` did."""

    release: Path
    restored: list[Decision] = field(default_factory=list)
    present: int = 0
    """Released decisions the database already held (or superseded by a newer one there)."""


def release_folder(settings: Settings, release: str | Path) -> Path:
    """A release named as a folder, or as a version under ``settings.releases_dir``."""
    p = Path(release)
    for candidate in (p, settings.releases_dir / str(release)):
        if candidate.is_dir() and (candidate / "manifest.json").is_file():
            return candidate
    raise InputError(f"no release {release}: neither a release folder nor a version in {settings.releases_dir}")


def restore_decisions(settings: Settings, release: str | Path) -> RestoreResult:
    """Rebuild the curation decisions a release carries into the state database (created if absent).

    Idempotent: a released decision is added only when the database holds no decision on
    that triple made at or after it, so a newer decision there is never overwritten. The
    decisions keep their curator and time; all are appended in one transaction.
    """
    folder = release_folder(settings, release)
    released = read_journal(folder)
    result = RestoreResult(folder)
    with StateDB(settings.state_db, allow_new=True) as db:
        todo = [replace(d, id=0) for d in released if not _covered(db, d)]
        result.present = len(released) - len(todo)
        result.restored = save_decisions(db, todo)
    log.info("restored %d decision(s) from %s into %s (%d already there)", len(result.restored), folder, settings.state_db, result.present)
    return result


def curated_key(t: Triple) -> str:
    """The ``triple_key_id`` of a triple's current drugs, gene, alteration and outcome."""
    return triple_key_id(t.doc_id, t.drugs, t.gene, t.alteration, t.outcome)


def _keyed(t: Triple) -> Triple:
    return t.model_copy(update={"curated_triple_id": curated_key(t)})


def apply_curation(target: StateTarget, triples: list[Triple]) -> tuple[list[Triple], list[Triple], dict[str, dict[str, str]]]:
    """Return (kept, rejected, curator fields by triple_id) after the standing decision per triple.

    Every returned triple carries its ``curated_triple_id`` (see the module docstring).
    Input order is kept. With no state database yet, nothing is curated (and no file is created).
    Given ``Settings``, a lost state database is refused first (``check_released_decisions``).
    """
    if isinstance(target, Settings):
        check_released_decisions(target)
    if _no_database(target):
        return [_keyed(t) for t in triples], [], {}
    with _db(target) as db:
        latest = _standing(db)
    if not latest:
        return [_keyed(t) for t in triples], [], {}
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
    for t in (_keyed(t) for t in triples):
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
                edited = Triple.model_validate({**t.model_dump(), **curated_edits(d.edits), "triple_id": t.triple_id, "curation_status": "edited"})
            except ValidationError as exc:
                raise InputError(f"decision {d.id} on {t.triple_id} has invalid edits: {exc.errors()[0]['msg']}") from exc
            kept.append(_keyed(edited))
    n_review = sum(1 for t in kept if t.curation_status == "needs_review")
    log.info("curation: %d kept (%d need review), %d rejected, %d decisions", len(kept), n_review, len(rejected), len(latest))
    return kept, rejected, fields
