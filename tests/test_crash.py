"""Crash safety: SIGKILL a real `oncotriples run --offline` during fetch, extract and release; the
next normal run must give exactly the release an uninterrupted run gives (byte-identical files),
with a consistent state database and no duplicated or lost rows.

The kill points are made deterministic by ``tests/pause_hook.py``, which runs the CLI with the
runner wrapped: the job writes "paused at STAGE" on stderr and sleeps (after the first raw record
is stored / the first document is extracted / the first release file is written into the
release's temporary folder).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pause_hook import PAUSED, command

from pipeline.state.db import StateDB

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
"""Byte-identical releases need one ``created`` (the reproducible-builds convention)."""


def job_args(root: Path) -> list[str]:
    return ["run", "--offline", "--ner-model", "none", "--workdir", str(root / "work"), "--releases-dir", str(root / "releases")]


def run_args(root: Path) -> list[str]:
    return [*CLI, *job_args(root)]


class Job:
    """A background `oncotriples run` whose stderr lines are collected by a thread."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put("")  # EOF

    def wait_for(self, marker: str, timeout: float = 120.0) -> None:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                pytest.fail(f"no {marker!r} within {timeout} s; stderr:\n{''.join(self.stderr)}")
            if marker in line:
                return
            if line == "":
                pytest.fail(f"job ended (exit {self.proc.wait()}) before {marker!r}; stderr:\n{''.join(self.stderr)}")

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        return code

    def finish(self, timeout: float = 300.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code


def release_files(releases: Path) -> dict[str, bytes]:
    return {str(p.relative_to(releases)): p.read_bytes() for p in sorted(releases.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An uninterrupted run in a fresh directory."""
    root = tmp_path_factory.mktemp("reference")
    proc = subprocess.run(run_args(root), capture_output=True, text=True, timeout=300, check=False, env=ENV)
    assert proc.returncode == 0, proc.stderr
    with StateDB(root / "work" / "state.sqlite") as db:
        triples = sorted(t.triple_id for t in db.triples(current=True))
        documents = {d.doc_id: (d.status, d.content_sha256, d.versions_fingerprint, d.output_sha256, d.triples) for d in db.documents()}
    return {"files": release_files(root / "releases"), "triples": triples, "documents": documents}


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["fetch", "extract", "release"])
def test_sigkill_then_rerun_gives_the_uninterrupted_release(tmp_path: Path, stage: str, reference: dict) -> None:
    job = Job(command(stage, *job_args(tmp_path)))
    job.wait_for(f"{PAUSED} {stage}")
    assert job.kill() == -signal.SIGKILL

    releases = tmp_path / "releases"
    if stage == "release":  # killed with a half-written release in its temporary folder
        assert list(releases.glob(".tmp-*")), "the hook should pause inside write_release"
    assert not (releases / "1.0.0").exists()

    proc = subprocess.run(run_args(tmp_path), capture_output=True, text=True, timeout=300, check=False, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert not list(releases.glob(".tmp-*"))
    assert release_files(releases) == reference["files"]

    with StateDB(tmp_path / "work" / "state.sqlite") as db:
        assert db.check() == []
        runs = db.runs()
        assert [r.outcome for r in reversed(runs)] == ["interrupted", "ok"]
        assert sorted(t.triple_id for t in db.triples(current=True)) == reference["triples"]
        assert db.conn.execute("SELECT COUNT(*) FROM triples").fetchone()[0] == len(reference["triples"])
        docs = {d.doc_id: (d.status, d.content_sha256, d.versions_fingerprint, d.output_sha256, d.triples) for d in db.documents()}
        assert docs == reference["documents"]

