"""Local faults under ``oncotriples run``: damaged raw objects, corrupt caches, a shared releases
directory, a run whose every fetch failed, and an unwritable or full disk or database.

Each test injects the fault into a real run (the demo snapshot, rules-only NLP) and checks what
the pipeline promises: the damage is repaired or the item fails, no release silently loses
triples, and an environment fault ends in a one-line error with the documented exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pipeline.config import Settings, load_settings
from pipeline.sources.rawstore import RawStore, sha256_bytes
from pipeline.stages.context import RunStats, WorkDir
from pipeline.stages.release_list import list_releases
from pipeline.stages.runner import RunOptions, run_job
from schemas.models import Document
from schemas.resources import data_path

DOC = "demo_egfr_review"
"""A Markdown demo document: the extract stage reads its raw bytes for the evidence text."""
CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]


def make_snapshot(folder: Path) -> RawStore:
    """A copy of the bundled demo snapshot that a test may damage."""
    demo = RawStore(data_path("demo"))
    snap = RawStore(folder)
    for rec in demo.latest_records():
        snap.put(demo.get_bytes(rec.sha256), source=rec.source, source_id=rec.source_id, url=rec.url, status=rec.status,
                 content_type=rec.content_type, format_hint=rec.format_hint, headers=rec.headers, fetched_at=rec.fetched_at)
    return snap


def settings_for(root: Path, **pipeline: str) -> Settings:
    values = {"workdir": str(root / "work"), "releases_dir": str(root / "releases"), "ner_model": "none", **pipeline}
    return load_settings(overrides={"pipeline": values})


def offline(root: Path) -> Settings:
    """Settings for an offline run on a private copy of the demo snapshot (``root/snap``)."""
    return settings_for(root, demo_dir=str(make_snapshot(root / "snap").root))


def run(settings: Settings, nlp, **options) -> RunStats:
    return run_job(settings, RunOptions(offline=True, **options), nlp_factory=lambda: nlp)


def cli_args(root: Path, *extra: str) -> list[str]:
    return ["run", "--offline", "--ner-model", "none", "--json", "--workdir", str(root / "work"),
            "--releases-dir", str(root / "releases"), *extra]


def assert_one_line_error(code: int, stdout: str, stderr: str, *, names: str) -> dict:
    """Exit 1, an ``error:`` line naming the input, no traceback, and the ``--json`` error summary."""
    assert code == 1, stderr
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and names in errors[0], stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["status"] == "error" and summary["exit_code"] == 1 and names in summary["error"]
    return summary


# ------------------------------------------------------------------ a raw object deleted or corrupted


def damage(path: Path, how: str) -> None:
    if how == "deleted":
        path.unlink()
    else:
        path.chmod(0o644)
        path.write_bytes(b"not the bytes that were stored")


@pytest.mark.parametrize("how", ["deleted", "corrupted"])
def test_damaged_raw_object_is_reingested_and_the_release_keeps_its_triples(tmp_path: Path, nlp_rules, how: str) -> None:
    s = offline(tmp_path)
    first = run(s, nlp_rules)
    assert first.release == "1.0.0" and first.failed == 0
    work = WorkDir(s.workdir)
    rec = work.raw.latest("demo", DOC)
    damage(work.raw.object_path(rec.sha256), how)
    second = run(s, nlp_rules, force=True)
    assert second.failures == [] and second.failed == 0
    assert sha256_bytes(work.raw.object_path(rec.sha256).read_bytes()) == rec.sha256  # healed from the snapshot
    assert (second.release, second.added, second.removed, second.triples) == ("1.0.0", 0, 0, first.triples)
    assert list_releases(s.releases_dir) == ["1.0.0"]


def test_unrepairable_raw_object_fails_its_item_and_no_release_drops_its_triples(tmp_path: Path, nlp_rules) -> None:
    s = offline(tmp_path)
    assert run(s, nlp_rules).release == "1.0.0"
    work = WorkDir(s.workdir)
    rec = work.raw.latest("demo", DOC)
    work.raw.object_path(rec.sha256).unlink()
    RawStore(Path(s.pipeline.demo_dir)).object_path(rec.sha256).unlink()  # the snapshot lost it too
    second = run(s, nlp_rules, force=True)
    assert second.failed >= 1 and any(DOC in f.item for f in second.failures), second.failures
    assert any(f.stage == "release" for f in second.failures), second.failures
    assert second.release == "1.0.0" and list_releases(s.releases_dir) == ["1.0.0"]  # no 1.1.0 without DOC's triples


# ------------------------------------------------------------------ corrupt cache files


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


def test_truncated_parsed_cache_is_discarded_and_rebuilt_even_with_force(tmp_path: Path, nlp_rules, caplog: pytest.LogCaptureFixture) -> None:
    s = offline(tmp_path)
    first = run(s, nlp_rules)
    cached = WorkDir(s.workdir).parsed_path(DOC)
    truncate(cached)
    second = run(s, nlp_rules, force=True)
    assert second.failures == [] and second.documents_parsed == 1
    assert Document.model_validate_json(cached.read_text(encoding="utf-8")).doc_id == DOC  # rebuilt
    assert (second.release, second.added, second.removed, second.triples) == ("1.0.0", 0, 0, first.triples)
    assert any("parsed cache" in r.getMessage() and str(cached) in r.getMessage() for r in caplog.records)


def test_truncated_extraction_meta_is_discarded_and_rebuilt(tmp_path: Path, nlp_rules, caplog: pytest.LogCaptureFixture) -> None:
    s = offline(tmp_path)
    first = run(s, nlp_rules)
    meta = WorkDir(s.workdir).extracted_meta(DOC)
    truncate(meta)
    second = run(s, nlp_rules, release=False)  # no up-to-date shortcut: the extract stage reads its cache
    assert second.failures == [] and second.documents_extracted == 1 and second.triples == first.triples
    assert json.loads(meta.read_text(encoding="utf-8"))["triples"] > 0  # rebuilt
    assert any("extraction cache" in r.getMessage() and str(meta) in r.getMessage() for r in caplog.records)
