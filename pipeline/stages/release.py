"""Release writing: versioned, checksummed, documented dataset folders that are never overwritten.

A release is written into a temporary folder beside its final place and
renamed into ``releases/<semver>/`` in one step, so readers never see half a
release. Only ``created`` (in ``manifest.json`` and ``datapackage.json``) depends
on the clock, and it is the caller's value (``creation_time``): every other file
is byte-identical for identical inputs, and with ``SOURCE_DATE_EPOCH`` set the
whole release is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipeline import __version__ as PIPELINE_VERSION
from pipeline.stages.assertions import roll_up, triple_disease
from pipeline.stages.release_list import list_releases as list_releases  # re-export
from pipeline.stages.release_list import release_member
from schemas.errors import InputError, LockHeldError, ReleaseExistsError
from schemas.export import flatten, parquet_bytes, parquet_table_schema, table_columns, table_schema
from schemas.files import umask_mode
from schemas.models import SCHEMA_VERSION, Document, DocumentTrialLink, Trial, Triple
from schemas.spreadsheet import delimited_bytes
from schemas.vocab import EDITABLE_FIELDS

log = logging.getLogger(__name__)

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

CHANGE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            *EDITABLE_FIELDS,  # a curator's edit keeps the triple_id, so key fields can change under one id
            "evidence", "evidence_level", "measures", "nct_ids", "drug_class", "confidence", "section",
            "negated", "hedged", "curation_status", "alteration_type", "hgvs",
        )
    )
)
"""Fields compared to call a kept triple 'changed' between releases; the changelog lists the ones that differ."""

CIVIC_COLUMNS = ["molecular_profile", "therapies", "therapy_interaction_type", "disease", "evidence_type", "evidence_direction", "significance", "evidence_level", "source", "statement", "triple_id"]


@dataclass
class ReleaseContent:
    """Everything a release holds, already curated (rejected triples separated)."""

    triples: list[Triple]
    documents: list[Document] = field(default_factory=list)
    trials: list[Trial] = field(default_factory=list)
    links: list[DocumentTrialLink] = field(default_factory=list)
    rejected: list[Triple] = field(default_factory=list)
    curation: dict[str, dict[str, str]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    run_id: str = ""
    created: str = ""
    demo: bool = False


@dataclass
class ChangeSet:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


# ------------------------------------------------------------------ versions


def creation_time(source_date_epoch: int | None, now: datetime | None = None) -> str:
    """A release's ``created``: ``source_date_epoch`` when set (the reproducible-builds convention), else now; UTC ISO-8601."""
    when = datetime.fromtimestamp(source_date_epoch, UTC) if source_date_epoch is not None else (now or datetime.now(UTC))
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_version(previous: str | None, previous_schema: str | None, changes: ChangeSet) -> str | None:
    """Major on a schema change, minor when triples are added/removed, patch for corrections; None when nothing changed."""
    if previous is None:
        return f"{SCHEMA_VERSION.split('.')[0]}.0.0"
    major, minor, patch = (int(x) for x in previous.split("."))
    if previous_schema is not None and previous_schema.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        return f"{major + 1}.0.0"
    if changes.added or changes.removed:
        return f"{major}.{minor + 1}.0"
    if changes.changed:
        return f"{major}.{minor}.{patch + 1}"
    return None


def load_release_triples(path: Path) -> dict[str, dict[str, Any]]:
    """The triples of a release (and its rejected ones, marked) keyed by triple_id."""
    rows: dict[str, dict[str, Any]] = {}
    for name in ("triples.jsonl",):
        p = path / name
        if p.is_file():
            for line in p.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    rows[r["triple_id"]] = r
    return rows


def diff_triples(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> ChangeSet:
    """Triples added, removed and changed (with the fields that changed)."""
    cs = ChangeSet()
    for tid in sorted(new.keys() - old.keys()):
        cs.added.append(_summary(new[tid]))
    for tid in sorted(old.keys() - new.keys()):
        cs.removed.append(_summary(old[tid]))
    for tid in sorted(old.keys() & new.keys()):
        fields = [f for f in CHANGE_FIELDS if old[tid].get(f) != new[tid].get(f)]
        if fields:
            cs.changed.append({**_summary(new[tid]), "fields": fields})
    return cs


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("triple_id", "doc_id", "drugs", "gene", "alteration", "outcome")}


# ------------------------------------------------------------------ writing


def _csv_bytes(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    return delimited_bytes(rows, columns)


def _jsonl_bytes(records: Iterable[dict[str, Any]]) -> bytes:
    lines = [json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in records]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decisions_journal(curation: dict[str, dict[str, str]]) -> bytes:
    """The decisions behind a release's curation columns, one JSON object each: a lost state database is rebuilt from them."""
    from pipeline.curation.decisions import journal_records

    return _jsonl_bytes(journal_records(curation))


def civic_rows(triples: list[Triple]) -> list[dict[str, Any]]:
    """CIViC-style evidence rows so curators can compare with CIViC."""
    level_map = {"preclinical": "D", "case_report": "C", "retrospective": "B", "clinical_trial": "B", "review": "E"}
    rows = []
    for t in triples:
        if t.outcome == "investigation":
            significance, direction = "", ""
        else:
            significance = "Resistance" if t.outcome == "resistance" else "Sensitivity/Response"
            direction = "Supports"
        rows.append(
            {
                "molecular_profile": f"{t.gene} {t.alteration}",
                "therapies": ",".join(t.drugs),
                "therapy_interaction_type": "Combination" if len(t.drugs) > 1 else "",
                "disease": triple_disease(t),
                "evidence_type": "Predictive",
                "evidence_direction": direction,
                "significance": significance,
                "evidence_level": level_map.get(t.evidence_level, "E"),
                "source": t.source_id or t.doc_id,
                "statement": t.evidence_text,
                "triple_id": t.triple_id,
            }
        )
    return rows


def _counts(triples: list[Triple]) -> dict[str, dict[str, int]]:
    return {
        "gene": dict(sorted(Counter(t.gene for t in triples).items())),
        "drug": dict(sorted(Counter(d for t in triples for d in t.drugs).items())),
        "outcome": dict(sorted(Counter(t.outcome for t in triples).items())),
        "evidence_level": dict(sorted(Counter(t.evidence_level for t in triples).items())),
        "curation_status": dict(sorted(Counter(t.curation_status for t in triples).items())),
    }


def _triple_rows(triples: list[Triple], curation: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for t in triples:
        row = flatten(t, "triples")
        c = curation.get(t.triple_id, {})
        row["curator"] = c.get("curator", "")
        row["curated_at"] = c.get("curated_at", "")
        row["curation_note"] = c.get("note", "")
        rows.append(row)
    return rows


def render_changelog(version: str, previous: str | None, cs: ChangeSet) -> str:
    lines = [f"# Changelog {version}", ""]
    lines.append(f"Compared with {previous}." if previous else "First release.")
    lines += ["", f"- added: {len(cs.added)}", f"- removed: {len(cs.removed)}", f"- changed: {len(cs.changed)}", ""]
    for title, items in (("Added", cs.added), ("Removed", cs.removed), ("Changed", cs.changed)):
        if not items:
            continue
        lines += [f"## {title}", ""]
        by_gene = Counter(i["gene"] for i in items)
        by_outcome = Counter(i["outcome"] for i in items)
        by_drug = Counter(d for i in items for d in i["drugs"])
        lines.append("By gene: " + ", ".join(f"{k} {v}" for k, v in sorted(by_gene.items())))
        lines.append("By drug: " + ", ".join(f"{k} {v}" for k, v in sorted(by_drug.items())))
        lines.append("By outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(by_outcome.items())))
        lines.append("")
        for i in items:
            extra = f" (fields: {', '.join(i['fields'])})" if "fields" in i else ""
            lines.append(f"- `{i['triple_id']}` {i['doc_id']}: {' + '.join(i['drugs'])} · {i['gene']} {i['alteration']} · {i['outcome']}{extra}")
        lines.append("")
    return "\n".join(lines)


def _dataset_card(version: str, content: ContentSummary) -> str:
    c = content
    lines = [
        f"# OncoTriples dataset {version}",
        "",
        ("**DEMO DATA** — built from the bundled demo snapshot (`oncotriples run --offline`), not a real data release.\n" if c.demo else ""),
        "Drug – molecular alteration – outcome triples extracted from oncology literature and ClinicalTrials.gov "
        "records about resistance to targeted therapy and immunotherapy in non-small-cell lung cancer.",
        "",
        "## Files",
        "",
        "| file | rows | what |",
        "|---|---|---|",
        f"| `triples.parquet`, `triples.csv`, `triples.jsonl` | {c.n_triples} | one row per extracted assertion (a triple in one document), in three formats (rejected triples left out) |",
        f"| `assertions.parquet`, `assertions.csv`, `assertions.jsonl` | {c.n_assertions} | one row per drug · gene · alteration · outcome (· disease) across documents, rolled up from the triples above |",
        f"| `documents.csv` | {c.n_documents} | source documents with identifiers and parser notes |",
        f"| `trials.csv` | {c.n_trials} | ClinicalTrials.gov records linked from the documents |",
        f"| `document_trials.csv` | {c.n_links} | document ↔ trial links |",
        f"| `rejected.jsonl` | {c.n_rejected} | triples curators rejected |",
        "| `decisions.jsonl` | | the curation decision behind each curated or rejected triple (`oncotriples review restore` rebuilds them into a state database) |",
        "| `civic_evidence.tsv` | same as triples | CIViC-style evidence rows |",
        "| `changes.jsonl`, `CHANGELOG.md` | | changes against the previous release |",
        "| `datapackage.json` | | Frictionless descriptor (`frictionless validate datapackage.json`) |",
        "| `SHA256SUMS`, `manifest.json` | | checksums (`oncotriples verify VERSION`) and provenance |",
        "",
        "## Counts",
        "",
    ]
    for k, v in c.counts.items():
        lines.append(f"- by {k}: " + (", ".join(f"{name} {n}" for name, n in v.items()) or "none"))
    lines += [
        "",
        "## Provenance",
        "",
        f"- schema version {SCHEMA_VERSION}, pipeline version {PIPELINE_VERSION}, run `{c.run_id}`",
        *[f"- {k}: {v}" for k, v in sorted(c.versions.items())],
        *[f"- source {k}: {v}" for k, v in sorted(c.sources.items())],
        "",
        "## Fields",
        "",
        "The scored fields follow the annotation guideline: `doc_id, evidence, drugs, drug_class, gene, alteration, outcome, measures, evidence_level, nct_ids`; "
        "provenance fields (`triple_id`, `section`, offsets, `rule_ids`, `negated`, `hedged`, `confidence`, `curation_status`) follow. "
        "`triple_id` is a hash of (doc_id, drugs, gene, alteration, outcome) and is stable across re-runs. "
        "Array and object columns are JSON text in CSV, JSON arrays and objects in JSON Lines, and native "
        "`list<string>` / `list<struct>` columns in Parquet (DuckDB: `unnest(drugs)`; pandas: lists).",
        "",
        "## Assertions",
        "",
        "`assertions` rolls the released triples up INDRA style: triples from any document with the same drugs "
        "(case and order ignored), gene, alteration (compound order ignored), outcome and disease (empty when the "
        "triples carry none) are one assertion. `assertion_id` is a hash of that key and stays stable while the "
        "supporting triples change. Per row: `n_documents`, `n_sentences` (distinct evidence sentences), `n_triples`, "
        "`best_evidence_level` (strongest first: clinical_trial, retrospective, case_report, preclinical, review), "
        "`n_conflicting` (released triples of the same drugs · gene · alteration with another outcome), "
        "`mean_confidence`, `n_curated` (supporting triples a curator accepted or edited), `doc_ids`, `nct_ids` and "
        "`triple_ids` (join to `triples.triple_id`). Rejected triples feed no assertion; edited triples count with "
        "their corrected fields.",
        "",
        "## Spreadsheet safety",
        "",
        "In the CSV and TSV files (`triples.csv`, `documents.csv`, `trials.csv`, `document_trials.csv`, `civic_evidence.tsv`) "
        "a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single quote (`'`), "
        "as OWASP's CSV-injection guidance recommends, so a spreadsheet shows it as text instead of running it as a formula. "
        "Every such text cell is prefixed, including text that looks like a number (`-0.5`); numeric columns (`confidence`, offsets) "
        "hold real numbers and are left as they are. Strip one leading `'` before such a character to get the original text; "
        "`triples.parquet` and the JSON Lines files keep the raw values.",
        "",
        "## Loading",
        "",
        "```python",
        "import pandas as pd",
        "triples = pd.read_parquet('triples.parquet')  # list columns (drugs, nct_ids, measures_structured) are lists",
        "assertions = pd.read_parquet('assertions.parquet')",
        "```",
        "",
        "DuckDB (`pip install duckdb`, or the `duckdb` shell) reads the Parquet files in place:",
        "",
        "```sql",
        "-- triples per drug (one row per drug of a combination)",
        "select d, count(*) from 'triples.parquet', unnest(drugs) as t(d) group by d order by 2 desc;",
        "-- measures stated for EGFR triples",
        "select triple_id, m.metric, m.value, m.unit from 'triples.parquet', unnest(measures_structured) as t(m) where gene = 'EGFR';",
        "-- best-supported assertions, and those other triples contradict",
        "select gene, alteration, drugs, outcome, n_documents, best_evidence_level, n_conflicting",
        "  from 'assertions.parquet' order by n_documents desc, n_sentences desc limit 20;",
        "-- each assertion with its supporting evidence sentences",
        "select a.assertion_id, a.outcome, t.doc_id, t.evidence",
        "  from 'assertions.parquet' a, unnest(a.triple_ids) as u(tid) join 'triples.parquet' t on t.triple_id = u.tid;",
        "```",
        "",
        "## License notes",
        "",
        "Evidence sentences are short quotations from the source documents for curation and research; the source "
        "documents keep their own licenses (see each document's identifiers). ClinicalTrials.gov records are public domain. "
        "Extraction is automatic: check `curation_status` before relying on a triple.",
        "",
    ]
    return "\n".join(lines)


@dataclass
class ContentSummary:
    n_triples: int
    n_assertions: int
    n_documents: int
    n_trials: int
    n_links: int
    n_rejected: int
    counts: dict[str, dict[str, int]]
    versions: dict[str, str]
    sources: dict[str, str]
    run_id: str
    demo: bool


def build_release_files(version: str, content: ReleaseContent, previous: str | None, changes: ChangeSet) -> dict[str, bytes]:
    """Every file of a release as bytes (pure: no I/O, no clock)."""
    files: dict[str, bytes] = {}
    triples = sorted(content.triples, key=lambda t: (t.doc_id, t.triple_id))
    trip_rows = _triple_rows(triples, content.curation)
    trip_records = [{**t.model_dump(mode="json"), **{k: r[k] for k in ("curator", "curated_at", "curation_note")}} for t, r in zip(triples, trip_rows, strict=True)]
    files["triples.csv"] = _csv_bytes(trip_rows, table_columns("triples"))
    files["triples.parquet"] = parquet_bytes(trip_records, "triples")
    files["triples.jsonl"] = _jsonl_bytes(trip_records)
    assertions = roll_up(triples)
    assertion_records = [a.model_dump(mode="json") for a in assertions]
    files["assertions.csv"] = _csv_bytes([flatten(a, "assertions") for a in assertions], table_columns("assertions"))
    files["assertions.parquet"] = parquet_bytes(assertion_records, "assertions")
    files["assertions.jsonl"] = _jsonl_bytes(assertion_records)
    docs = sorted(content.documents, key=lambda d: d.doc_id)
    files["documents.csv"] = _csv_bytes([flatten(d, "documents") for d in docs], table_columns("documents"))
    trials = sorted(content.trials, key=lambda t: t.nct_id)
    files["trials.csv"] = _csv_bytes([flatten(t, "trials") for t in trials], table_columns("trials"))
    links = sorted(content.links, key=lambda link: (link.doc_id, link.nct_id, link.how))
    files["document_trials.csv"] = _csv_bytes([flatten(link, "document_trials") for link in links], table_columns("document_trials"))
    files["rejected.jsonl"] = _jsonl_bytes(t.model_dump(mode="json") for t in sorted(content.rejected, key=lambda t: t.triple_id))
    files["decisions.jsonl"] = decisions_journal(content.curation)
    files["civic_evidence.tsv"] = delimited_bytes(civic_rows(triples), CIVIC_COLUMNS, delimiter="\t")
    change_rows = [{"change": "added", **a} for a in changes.added] + [{"change": "removed", **r} for r in changes.removed] + [{"change": "changed", **c} for c in changes.changed]
    files["changes.jsonl"] = _jsonl_bytes(change_rows)
    files["CHANGELOG.md"] = render_changelog(version, previous, changes).encode("utf-8")
    summary = ContentSummary(len(triples), len(assertions), len(docs), len(trials), len(links), len(content.rejected), _counts(triples), content.versions, content.sources, content.run_id, content.demo)
    files["README.md"] = _dataset_card(version, summary).encode("utf-8")
    files["datapackage.json"] = _datapackage(version, content, files)
    manifest = {
        "version": version,
        "previous": previous,
        "schema_version": SCHEMA_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "run_id": content.run_id,
        "created": content.created,
        "demo": content.demo,
        "versions": dict(sorted(content.versions.items())),
        "sources": dict(sorted(content.sources.items())),
        "counts": {"triples": len(triples), "assertions": len(assertions), "documents": len(docs), "trials": len(trials), "links": len(links), "rejected": len(content.rejected)},
        "changes": {"added": len(changes.added), "removed": len(changes.removed), "changed": len(changes.changed)},
        "files": {name: _sha256(data) for name, data in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files["SHA256SUMS"] = "".join(f"{_sha256(data)}  {name}\n" for name, data in sorted(files.items())).encode("utf-8")
    return files


def _datapackage(version: str, content: ReleaseContent, files: dict[str, bytes]) -> bytes:
    resources = []
    for table in ("triples", "assertions", "documents", "trials", "document_trials"):
        name = f"{table}.csv"
        resources.append(
            {
                "name": table,
                "path": name,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": f"sha256:{_sha256(files[name])}",
                "bytes": len(files[name]),
                "schema": table_schema(table),
            }
        )
    for table in ("triples", "assertions"):
        resources.append(
            {
                "name": f"{table}_parquet",
                "path": f"{table}.parquet",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "description": f"the rows of {table}.csv as Parquet, list and object columns as native Arrow lists and structs (checksum in SHA256SUMS)",
                "schema": parquet_table_schema(table),
            }
        )
    descriptor = {
        "name": "oncotriples",
        "title": "OncoTriples: drug – alteration – outcome triples in NSCLC resistance",
        "version": version,
        "created": content.created or None,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "Creative Commons Attribution 4.0"}],
        "sources": [{"title": k, "path": v} for k, v in sorted(content.sources.items()) if v.startswith("http")] or None,
        "resources": resources,
    }
    descriptor = {k: v for k, v in descriptor.items() if v is not None}
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_release(releases_dir: Path, version: str, files: dict[str, bytes]) -> Path:
    """Write all files into a temp folder, fsync, then rename into place; never overwrite.

    The temp folder's owner lock (``temp_owner``) is held until the rename, so another job's
    ``clean_stale_temp`` leaves the folder alone while this job lives.
    """
    releases_dir.mkdir(parents=True, exist_ok=True)
    final = releases_dir / version
    if final.exists():
        raise ReleaseExistsError(f"release {final} already exists and is never overwritten")
    tmp = Path(tempfile.mkdtemp(dir=releases_dir, prefix=f".tmp-{version}-"))
    owner = FileLock(str(temp_owner(tmp)), timeout=0)
    try:
        owner.acquire()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        for name, data in files.items():
            with open(tmp / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, umask_mode(0o777))  # mkdtemp makes it 0700; a release is read like any folder the user makes
        try:
            os.rename(tmp, final)  # fails if final appeared meanwhile (non-empty dir)
        except OSError as exc:
            raise ReleaseExistsError(f"release {final} already exists and is never overwritten") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        owner.release()
        temp_owner(tmp).unlink(missing_ok=True)
    log.info("release %s written to %s", version, final)
    return final


RELEASES_LOCK = ".oncotriples-releases.lock"
RELEASES_LOCK_TIMEOUT = 600.0
"""Seconds a job waits for another job's release stage on the same releases directory."""


def temp_owner(tmp: Path) -> Path:
    """The lock file beside a release's temp folder, held by the job writing it (the kernel drops it when that job dies)."""
    return tmp.with_name(f"{tmp.name}.owner")


@contextmanager
def releases_locked(releases_dir: Path, timeout: float = RELEASES_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the releases directory's own lock: jobs with different work directories share one releases folder.

    The work-directory lock cannot serialize them, so without this one job's version choice and
    temp cleanup would race another's release write.
    """
    releases_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(releases_dir / RELEASES_LOCK), timeout=timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockHeldError(f"another job has been writing a release in {releases_dir} for over {timeout:.0f} s (lock {lock.lock_file}); no release written") from exc
    try:
        yield
    finally:
        lock.release()


def clean_stale_temp(releases_dir: Path) -> None:
    """Remove temp folders a killed release left behind (never visible as releases); keep those whose owner lives."""
    if not releases_dir.is_dir():
        return
    for p in sorted(releases_dir.glob(".tmp-*")):
        if not p.is_dir():
            continue
        owner = FileLock(str(temp_owner(p)), timeout=0)
        try:
            owner.acquire()
        except Timeout:
            log.info("kept %s: the job writing that release is still running", p)
            continue
        try:
            shutil.rmtree(p, ignore_errors=True)
            log.info("removed %s, left by a release that never finished", p)
        finally:
            owner.release()
            temp_owner(p).unlink(missing_ok=True)


# ------------------------------------------------------------------ what must not be published


def withhold_reason(old: dict[str, dict[str, Any]], changes: ChangeSet, failed_items: set[str]) -> str | None:
    """Why the next release must not be written, or None.

    A release that removes previously released triples of an item that failed this run would
    publish a local fault (a damaged raw object, a parse or extract error) as a retraction: it
    is withheld, and the next run that processes the item writes the release.
    """
    lost: dict[str, int] = {}
    for removed in changes.removed:
        row = old.get(removed["triple_id"], removed)
        names = {str(row.get("doc_id") or ""), str(row.get("source_id") or ""), f"{row.get('source')}:{row.get('source_id')}"}
        for name in sorted(names & failed_items):
            lost[name] = lost.get(name, 0) + 1
            break
    if not lost:
        return None
    items = ", ".join(f"{name} ({n})" for name, n in sorted(lost.items()))
    return f"withheld: it would remove {sum(lost.values())} released triples of items that failed this run: {items}"


def empty_release_reason(n_rows: int, previous: str | None, failed: int) -> str | None:
    """Why a release holding nothing (``n_rows``: triples + documents + trials) must not be written, or None.

    An empty first release says nothing, and an empty release after failures (every fetch
    refused, say) would publish an outage as a dataset; either way nothing is written.
    """
    if n_rows:
        return None
    if failed:
        return f"not written: it would hold no triples, documents or trials and {failed} items failed this run"
    if previous is None:
        return "not written: a first release would hold no triples, documents or trials"
    return None


def verify_release(path: Path) -> list[str]:
    """Check every file against SHA256SUMS; return the problems (empty when all is well).

    Every listed name is checked to stay inside ``path`` before any file is read
    (``release_member``); a malformed or escaping entry raises InputError.
    """
    sums = release_member(path, "SHA256SUMS", listed_in=".")
    if not sums.is_file():
        raise InputError(f"{path}: no SHA256SUMS (not a release folder?)")
    entries: list[tuple[str, str, Path]] = []
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or not _SHA256_RE.match(digest):
            raise InputError(f"{sums}: SHA256SUMS line {n} is malformed (expected '<64 hex digits>  <file name>')")
        entries.append((digest, name, release_member(path, name, listed_in="SHA256SUMS")))
    problems = []
    listed = set()
    for digest, name, f in entries:
        listed.add(name)
        if not f.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(f.read_bytes()) != digest:
            problems.append(f"{name}: checksum mismatch")
    for f in sorted(path.iterdir()):
        if f.is_file() and f.name not in listed and f.name != "SHA256SUMS":
            problems.append(f"{f.name}: not in SHA256SUMS")
    return problems
