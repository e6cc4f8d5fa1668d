"""Concurrency: a second job started while one runs exits at once with exit code 3 and a clear
message, the first completes; a lock left by a SIGKILLed job does not block the next run.

Uses real subprocesses; ``tests/pause_hook.py`` holds the first job at a known point.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pause_hook import PAUSED, command

from pipeline.stages.runner import EXIT_LOCKED
from pipeline.state.db import StateDB

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]


def job_args(root: Path, *extra: str) -> list[str]:
    return ["run", "--offline", "--ner-model", "none", "--workdir", str(root / "work"), "--releases-dir", str(root / "releases"), *extra]


def run_args(root: Path, *extra: str) -> list[str]:
    return [*CLI, *job_args(root, *extra)]


def start_paused(args: list[str], stage: str) -> tuple[subprocess.Popen, list[str]]:
    """Start a job (``job_args``) paused at ``stage``; return once it is paused (its stderr lines keep being collected)."""
    proc = subprocess.Popen(command(stage, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=120)
        except queue.Empty:
            proc.kill()
            pytest.fail("the first job never paused:\n" + "".join(seen))
        if PAUSED in line:
            return proc, seen
        if line == "":
            pytest.fail(f"the first job ended (exit {proc.wait()}) before pausing:\n" + "".join(seen))


@pytest.mark.slow
def test_second_job_refuses_with_exit_3_and_first_completes(tmp_path: Path) -> None:
    first, first_err = start_paused(job_args(tmp_path, "--json"), "extract:6")
    t0 = time.monotonic()
    second = subprocess.run(run_args(tmp_path, "--json"), capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == EXIT_LOCKED == 3
    assert "another oncotriples job" in second.stderr and "not starting a second one" in second.stderr
    assert f"pid {first.pid}" in second.stderr  # the message names the running job
    assert json.loads(second.stdout.strip().splitlines()[-1]) == {"status": "locked", "exit_code": 3}
    assert time.monotonic() - t0 < 30  # "at once": no waiting for the lock (the rest is interpreter start-up)
    assert first.poll() is None  # still running (paused)
    assert first.wait(timeout=300) == 0, "".join(first_err)
    assert first.stdout is not None and json.loads(first.stdout.read().strip().splitlines()[-1])["status"] == "ok"
    assert (tmp_path / "releases" / "1.0.0" / "manifest.json").is_file()
    with StateDB(tmp_path / "work" / "state.sqlite") as db:
        assert [r.outcome for r in db.runs()] == ["ok"]  # the refused job left no run behind


@pytest.mark.slow
def test_lock_of_a_killed_job_does_not_block_the_next_run(tmp_path: Path) -> None:
    killed, _ = start_paused(job_args(tmp_path), "extract")
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=30) == -signal.SIGKILL
    assert (tmp_path / "work" / ".oncotriples.lock").exists()  # the file stays; the kernel dropped the flock
    proc = subprocess.run(run_args(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    with StateDB(tmp_path / "work" / "state.sqlite") as db:
        assert [r.outcome for r in reversed(db.runs())] == ["interrupted", "ok"]
