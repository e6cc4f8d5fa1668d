"""What every stage shares: the work-directory layout, run statistics, progress and timing.

Each stage persists its output under the work directory so it can be re-run
alone, and every write is atomic (temp file + rename), so a job killed at any
point leaves the previous consistent state and the next run completes the
work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.sources.rawstore import RawStore, safe_name

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

DOCUMENT_FORMATS = frozenset({"txt", "md", "html", "pubmed_xml", "jats", "bioc_json", "bioc_xml"})
TRIAL_FORMATS = frozenset({"ctgov_json"})

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): the CLI passes a progress-bar updater."""


@dataclass
class WorkDir:
    """Layout of the work directory."""

    root: Path

    @property
    def raw(self) -> RawStore:
        return RawStore(self.root / "raw")

    @property
    def parsed(self) -> Path:
        return self.root / "parsed"

    @property
    def extracted(self) -> Path:
        return self.root / "extracted"

    @property
    def trials(self) -> Path:
        return self.root / "trials"

    @property
    def normalized(self) -> Path:
        return self.root / "normalized"

    def parsed_path(self, doc_id: str) -> Path:
        return self.parsed / f"{safe_name(doc_id)}.json"

    def extracted_path(self, doc_id: str) -> Path:
        return self.extracted / f"{safe_name(doc_id)}.jsonl"

    def extracted_meta(self, doc_id: str) -> Path:
        return self.extracted / f"{safe_name(doc_id)}.meta.json"


@dataclass
class StageFailure:
    stage: str
    item: str
    message: str


@dataclass
class RunStats:
    """What one pipeline run did, as ``run --stats-json`` writes it."""

    documents_fetched: int = 0
    documents_parsed: int = 0
    documents_extracted: int = 0
    documents_skipped: int = 0
    """Documents whose stored extraction was current (same input hash and versions)."""
    trials: int = 0
    triples: int = 0
    """Triples after normalization (before curation decisions apply)."""
    added: int = 0
    removed: int = 0
    changed: int = 0
    """Triples added, removed and changed against the previous release."""
    failed: int = 0
    """Failed items, one per entry of ``failures``."""
    release: str | None = None
    durations: dict[str, float] = field(default_factory=dict)
    failures: list[StageFailure] = field(default_factory=list)
    state_run: int | None = None
    """This job's row in the state database's ``runs`` table."""
    run_key: str = ""
    """Hash of the inputs and versions (the release manifest's ``run_id``)."""
    inputs_key: str = ""
    """Hash of everything the release depends on (inputs, versions, settings, curation); see runner._inputs_key."""
    up_to_date: bool = False
    """True when the run found its release current and skipped parse, extract, normalize and release."""

    def as_dict(self) -> dict[str, Any]:
        """Every field, in declaration order, with durations rounded to milliseconds."""
        return {**asdict(self), "durations": {k: round(v, 3) for k, v in self.durations.items()}}

    def fail(self, stage: str, item: str, message: str) -> None:
        log.error("%s failed for %s: %s", stage, item, message)
        self.failures.append(StageFailure(stage, item, message))
        self.failed = len(self.failures)


class _Timer:
    def __init__(self, stats: RunStats, stage: str) -> None:
        self.stats, self.stage = stats, stage

    def __enter__(self) -> None:
        self.stats.durations.setdefault(self.stage, 0.0)  # the last key names the stage running now
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.stats.durations[self.stage] = self.stats.durations.get(self.stage, 0.0) + time.perf_counter() - self.t0


def timed(stats: RunStats, stage: str) -> _Timer:
    return _Timer(stats, stage)
