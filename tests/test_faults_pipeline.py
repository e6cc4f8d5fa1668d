"""Local faults under ``oncotriples run``: damaged raw objects, corrupt caches, a shared releases
directory, a run whose every fetch failed, and an unwritable or full disk or database.

Each test injects the fault into a real run (the demo snapshot, rules-only NLP) and checks what
the pipeline promises: the damage is repaired or the item fails, no release silently loses
triples, and an environment fault ends in a one-line error with the documented exit code.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from demo_snapshot import make_snapshot
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Settings, load_settings
from pipeline.sources.rawstore import RawStore, sha256_bytes
from pipeline.stages.context import RunStats, WorkDir
from pipeline.stages.release_list import list_releases
from pipeline.stages.runner import RunOptions, run_job
from schemas.models import Document

DOC = "demo_egfr_review"
"""A Markdown demo document: the extract stage reads its raw bytes for the evidence text."""
CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]


def settings_for(root: Path, **pipeline: str) -> Settings:
    values = {"workdir": str(root / "work"), "releases_dir": str(root / "releases"), "ner_model": "none", **pipeline}
    return load_settings(overrides={"pipeline": values})


def offline(root: Path) -> Settings:
    """Settings for an offline run on a private copy of the demo snapshot (``root/snap``)."""
    return settings_for(root, demo_dir=str(make_snapshot(root / "snap").root))


def run(settings: Settings, nlp, **options) -> RunStats:
    return run_job(settings, RunOptions(offline=True, **options), nlp_factory=lambda: nlp)


def cli_args(root: Path, *extra: str, releases: Path | None = None) -> list[str]:
    return ["run", "--offline", "--ner-model", "none", "--json", "--workdir", str(root / "work"),
            "--releases-dir", str(releases or root / "releases"), *extra]


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


# ------------------------------------------------------------------ two work directories, one releases directory


def test_stale_temp_cleanup_removes_only_folders_whose_owner_is_gone(tmp_path: Path) -> None:
    from filelock import FileLock

    from pipeline.stages.release import clean_stale_temp, temp_owner

    releases = tmp_path / "releases"
    alive, dead = releases / ".tmp-1.0.0-alive", releases / ".tmp-1.0.0-dead"
    for folder in (alive, dead):
        folder.mkdir(parents=True)
        (folder / "triples.csv").write_bytes(b"x\n")
        temp_owner(folder).touch()
    owner = FileLock(str(temp_owner(alive)), timeout=0)
    owner.acquire()  # a job writing this release right now
    try:
        clean_stale_temp(releases)
        assert (alive / "triples.csv").is_file() and not dead.exists() and not temp_owner(dead).exists()
    finally:
        owner.release()
    clean_stale_temp(releases)
    assert list(releases.iterdir()) == [] or all(p.name.startswith(".oncotriples") for p in releases.iterdir())


@pytest.mark.slow
def test_second_work_dir_keeps_the_release_the_first_is_writing(tmp_path: Path) -> None:
    from pause_hook import PAUSED, command

    from pipeline.stages.release import verify_release

    releases = tmp_path / "releases"
    first = subprocess.Popen(command("release:15", *cli_args(tmp_path / "a", releases=releases)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the second job gets its normalized output ready meanwhile, so its release stage starts while the first is paused
    prepared = subprocess.run([*CLI, *cli_args(tmp_path / "b", "--no-release", releases=releases)],
                              capture_output=True, text=True, timeout=300, check=False)
    assert prepared.returncode == 0, prepared.stderr
    seen: list[str] = []
    assert first.stderr is not None
    for line in first.stderr:
        seen.append(line)
        if PAUSED in line:
            break
    else:
        pytest.fail(f"the first job never paused (exit {first.wait()}):\n{''.join(seen)}")
    assert list(releases.glob(".tmp-1.0.0-*")), "the first job's release is in progress"
    second = subprocess.run([*CLI, "release", "--workdir", str(tmp_path / "b" / "work"), "--releases-dir", str(releases)],
                            capture_output=True, text=True, timeout=300, check=False)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, "".join(seen) + err
    assert second.returncode == 0, second.stderr
    assert json.loads(out.strip().splitlines()[-1])["release"] == "1.0.0"
    assert "release 1.0.0" in second.stderr  # waited for the first, then found nothing new to release
    assert list_releases(releases) == ["1.0.0"] and verify_release(releases / "1.0.0") == []
    assert not list(releases.glob(".tmp-*"))


# ------------------------------------------------------------------ a first run whose every fetch failed


def test_first_run_whose_every_fetch_failed_publishes_nothing(tmp_path: Path, nlp_rules) -> None:
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens, every request is refused at once
    s = load_settings(overrides={
        "pipeline": {"workdir": str(tmp_path / "work"), "releases_dir": str(tmp_path / "releases"), "ner_model": "none"},
        "http": {"max_retries": 0, "timeout": 2.0, "backoff_base": 0.01, "backoff_max": 0.01},
        "ncbi": {"eutils_url": dead, "requests_per_second": 100.0},
        "ctgov": {"url": dead, "requests_per_second": 100.0},
        "sources": {"dois": ["10.1056/NEJMoa1715274"], "pmids": ["29768149"], "pubmed_queries": ["osimertinib resistance"],
                    "pmcids": [], "nct_ids": ["NCT04267848"]},
    })
    stats = run_job(s, RunOptions(), nlp_factory=lambda: nlp_rules)
    assert stats.failed >= 4 and stats.triples == 0
    assert any(f.stage == "release" for f in stats.failures), stats.failures
    assert stats.release is None and list_releases(s.releases_dir) == []
    assert not (s.releases_dir / "1.0.0").exists()


# ------------------------------------------------------------------ unwritable or full disk, corrupt database


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def make_read_only(folder: Path) -> None:
    """chmod as a user; as root (which chmod does not stop) the immutable attribute, else skip."""
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode:
        pytest.skip("running as root, and chattr +i is not available here: a read-only folder cannot be made")


def make_writable(folder: Path) -> None:
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
    folder.chmod(0o755)


def test_read_only_releases_dir_is_a_one_line_error_with_the_json_summary(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    releases.mkdir()
    make_read_only(releases)
    try:
        proc = subprocess.run([*CLI, *cli_args(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    finally:
        make_writable(releases)
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, names=str(releases))
    assert list(releases.iterdir()) == []


def test_full_disk_is_a_one_line_error_with_the_json_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)  # every atomic write of the run fails as on a full disk
    code, out, err = invoke(cli_args(tmp_path))
    summary = assert_one_line_error(code, out, err, names=str(tmp_path / "work"))
    assert "No space left on device" in summary["error"] and not (tmp_path / "releases" / "1.0.0").exists()


def test_full_state_database_is_a_one_line_error_not_cannot_rollback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.state import db as state_db

    opened = state_db.StateDB.__init__

    def no_room(self: state_db.StateDB, *args: object, **kwargs: object) -> None:
        opened(self, *args, **kwargs)
        self.conn.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages}")  # no page more: SQLite answers SQLITE_FULL, as on a full disk
        # the run's triples need room (a connection-local trigger makes each row need pages)
        self.conn.execute("CREATE TEMP TRIGGER needs_room AFTER INSERT ON main.triples BEGIN INSERT INTO filler VALUES (zeroblob(65536)); END")

    monkeypatch.setattr(state_db.StateDB, "__init__", no_room)
    code, out, err = invoke(cli_args(tmp_path))
    summary = assert_one_line_error(code, out, err, names=str(tmp_path / "work" / "state.sqlite"))
    assert "full" in summary["error"] and "cannot rollback" not in err + out


def corrupt_table(db_path: Path, table: str) -> None:
    """Overwrite the root pages of one table and its indexes with garbage (the rest of the file stays sound)."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0", (table,))]
    finally:
        conn.close()
    with open(db_path, "r+b") as fh:
        for root in roots:
            fh.seek((root - 1) * page_size)
            fh.write(b"\xa5" * page_size)


@pytest.mark.parametrize("command", ["run", "release"])
def test_partly_corrupt_database_is_a_one_line_error(tmp_path: Path, command: str) -> None:
    code, out, err = invoke(cli_args(tmp_path))
    assert code == 0, err
    db_path = tmp_path / "work" / "state.sqlite"
    corrupt_table(db_path, "decisions")  # read by the up-to-date check and by apply_curation
    if command == "run":
        code, out, err = invoke(cli_args(tmp_path, "--force"))
        assert_one_line_error(code, out, err, names=str(db_path))
    else:
        code, out, err = invoke(["release", "--workdir", str(tmp_path / "work"), "--releases-dir", str(tmp_path / "releases")])
        assert code == 1 and "Traceback" not in err and str(db_path) in err and len(err.strip().splitlines()) == 1, err
    assert "malformed" in err
