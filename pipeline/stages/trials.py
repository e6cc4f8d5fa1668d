"""Fetch ClinicalTrials.gov records by NCT id and write them as ``Trial`` JSON Lines.

The library behind ``oncotriples trials``: ids are validated locally (malformed
ids never reach the service), fetched in ``filter.ids`` batches, parsed, and only
complete records are written (the output file is replaced atomically, so a
failure never leaves a half-written line or a partial record).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.sources.ctgov.api import CtgovFetcher
from pipeline.sources.ctgov.parse import study_to_trial, trial_triples_inputs
from pipeline.sources.http import PoliteClient
from pipeline.sources.rawstore import RawStore, utc_now
from schemas.errors import OncoTriplesError
from schemas.files import atomic_write_bytes
from schemas.models import Trial
from schemas.vocab import malformed_reason, normalize_nct_id

log = logging.getLogger(__name__)

__all__ = ["TrialsResult", "fetch_trials", "trial_triples_inputs", "write_trials_jsonl"]


@dataclass
class TrialsResult:
    """What a ``fetch_trials`` call did, id by id."""

    requested: list[str] = field(default_factory=list)
    trials: list[Trial] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)
    malformed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    out: Path | None = None
    started_at: str = ""
    finished_at: str = ""
    requests: list[tuple[str, str, int, bool]] = field(default_factory=list)

    @property
    def written(self) -> list[str]:
        return [t.nct_id for t in self.trials]

    @property
    def total_failure(self) -> bool:
        """Nothing could be written although ids were asked for."""
        return not self.trials

    def problems(self) -> list[str]:
        """One human-readable line per id that was not written."""
        lines = [f"unknown NCT id {i}: {m}" for i, m in self.unknown.items()]
        lines += [f"malformed NCT id {i}: {m}" for i, m in self.malformed.items()]
        lines += [f"failed NCT id {i}: {m}" for i, m in self.errors.items()]
        return lines

    def run_record(self) -> dict[str, Any]:
        """The JSON run record (ids by outcome, request figures)."""
        return {
            "command": "trials",
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "requested": self.requested,
            "written": self.written,
            "unknown": self.unknown,
            "malformed": self.malformed,
            "errors": self.errors,
            "aliases": self.aliases,
            "out": str(self.out) if self.out else "",
            "requests": [list(r) for r in self.requests],
            "list_requests": sum(1 for r in self.requests if "/studies?" in r[1]),
            "downloads": sum(1 for r in self.requests if r[2] == 200 and not r[3]),
        }


def write_trials_jsonl(path: Path, trials: Iterable[Trial]) -> None:
    """One JSON object per trial, written to a temp file then renamed (never half written)."""
    lines = [t.model_dump_json() + "\n" for t in trials]
    atomic_write_bytes(Path(path), "".join(lines).encode("utf-8"))


def fetch_trials(
    nct_ids: Iterable[str],
    *,
    settings: Settings,
    raw_store: RawStore,
    http: PoliteClient,
    out: Path | None = None,
) -> TrialsResult:
    """Fetch trials by id (batched), parse them, and write complete records to ``out``.

    Malformed ids are reported without a request; ids the service does not know
    (404) and ids that failed (network, bad body) are reported with the
    service's message. Already stored raw bodies are never modified.
    """
    result = TrialsResult(started_at=utc_now(), out=out)
    valid: list[str] = []
    for raw_id in nct_ids:
        value = raw_id.strip()
        if not value:
            continue
        result.requested.append(value)
        canonical = normalize_nct_id(value)
        if canonical is None:
            result.malformed[value] = malformed_reason(value) or "not an NCT id"
        elif canonical not in valid:
            valid.append(canonical)
    http.raw_store = http.raw_store or raw_store
    fetcher = CtgovFetcher.from_settings(settings, http)
    log_start = len(http.log)
    fetched = fetcher.fetch_by_ids(valid) if valid else None
    if fetched is not None:
        result.unknown.update(fetched.unknown)
        result.malformed.update(fetched.malformed)
        result.errors.update(fetched.errors)
        result.aliases.update(fetched.aliases)
        for nct in valid:
            item = fetched.studies.get(nct)
            if item is None:
                continue
            try:
                trial = study_to_trial(item.study, raw_sha256=item.raw.sha256 if item.raw else "")
            except OncoTriplesError as exc:
                result.errors[nct] = str(exc)
                continue
            if trial.nct_id not in result.written:
                result.trials.append(trial)
    result.requests = [e.as_tuple() for e in http.log[log_start:]]
    if out is not None and result.trials:
        # on total failure an earlier output file is left as it was (nothing already written is lost)
        write_trials_jsonl(out, result.trials)
    result.finished_at = utc_now()
    return result


def write_run_record(result: TrialsResult, workdir: Path) -> Path:
    """Keep the run record under ``<workdir>/runs/`` (one file per run)."""
    path = Path(workdir) / "runs" / f"trials-{result.started_at.replace(':', '')}.json"
    atomic_write_bytes(path, json.dumps(result.run_record(), indent=2).encode("utf-8"))
    return path
