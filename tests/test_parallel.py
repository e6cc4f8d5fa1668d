"""Extraction on Dask workers (``--workers``, ``--scheduler``): same bytes as the serial path,
a killed worker loses nothing a later run cannot redo, an unreachable scheduler is a one-line
error with exit 2 (the run could not complete: a required service did not answer).

The cluster tests run the real CLI with a LocalCluster of two worker processes on the bundled
demo snapshot (rules only, ``--ner-model none``); each starts worker processes, hence ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from worker_kill_hook import MARKER_ENV
from worker_kill_hook import SCRIPT as KILL_HOOK

from pipeline.stages.parallel import (
    AUTO_MIN_DOCUMENTS,
    BATCH_MAX,
    ParallelPlan,
    batches,
    longest_first,
)
from schemas.exit_codes import ExitCode

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
TIMEOUT = 300


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env or ENV)


def run_args(root: Path, *extra: str) -> list[str]:
    return ["run", "--offline", "--ner-model", "none", "--json", "--workdir", str(root / "work"), "--releases-dir", str(root / "releases"), *extra]


def release_files(releases: Path) -> dict[str, bytes]:
    return {str(p.relative_to(releases)): p.read_bytes() for p in sorted(releases.rglob("*")) if p.is_file()}


def summary(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def serial_release(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("serial")
    proc = cli(*run_args(root, "--workers", "1"))
    assert proc.returncode == 0, proc.stderr
    return release_files(root / "releases")


@pytest.mark.parametrize(
    ("workers", "scheduler", "pending", "expected"),
    [
        (1, "", 10_000, False),  # --workers 1 is the serial path
        (2, "", 1, True),  # an explicit worker count is obeyed
        (2, "", 0, False),  # nothing to extract: no cluster
        (0, "", AUTO_MIN_DOCUMENTS - 1, False),  # the automatic count keeps a small batch here
        (1, "tcp://host:8786", 1, True),  # a named scheduler is always used
    ],
)
def test_plan_decides_when_a_cluster_is_worth_it(workers: int, scheduler: str, pending: int, expected: bool) -> None:
    assert ParallelPlan(workers=workers, scheduler=scheduler).wants_cluster(pending) is expected


@pytest.mark.parametrize(
    ("items", "workers", "sizes"),
    [
        (0, 2, []),
        (3, 2, [1, 1, 1]),
        (20, 2, [3, 3, 3, 3, 3, 3, 2]),
        (10_000, 2, [BATCH_MAX] * (10_000 // BATCH_MAX) + [10_000 % BATCH_MAX]),
    ],
)
def test_batches_are_bounded_and_keep_order(items: int, workers: int, sizes: list[int]) -> None:
    got = batches(list(range(items)), workers)
    assert [len(b) for b in got] == sizes
    assert [x for b in got for x in b] == list(range(items))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], []),
        (["a", "ccc", "bb"], ["ccc", "bb", "a"]),
        (["x", "yy", "z", "ww"], ["yy", "ww", "x", "z"]),  # equal sizes keep their given order
    ],
)
def test_longest_documents_go_out_first(items: list[str], expected: list[str]) -> None:
    assert longest_first(items, len) == expected


@pytest.mark.slow
def test_local_cluster_run_gives_the_serial_release(tmp_path: Path, serial_release: dict[str, bytes]) -> None:
    proc = cli(*run_args(tmp_path, "--workers", "2"))
    assert proc.returncode == 0, proc.stderr
    assert summary(proc)["documents_extracted"] == 2
    assert release_files(tmp_path / "releases") == serial_release


@pytest.mark.slow
def test_local_cluster_extract_gives_the_serial_file(tmp_path: Path, shared_dir: Path) -> None:
    texts = sorted((shared_dir / "corpus").glob("*.txt"))[:3] or sorted((shared_dir / "corpus").rglob("*.*"))[:3]
    assert texts, "the shared corpus holds no text"
    outs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.jsonl"
        proc = cli("extract", *map(str, texts), "--ner-model", "none", "--workers", workers, "--out", str(out))
        assert proc.returncode in (0, 2), proc.stderr
        outs[workers] = (out.read_bytes(), proc.returncode)
    assert outs["1"] == outs["2"]
    assert outs["1"][0], "the texts should give triples"


@pytest.mark.slow
def test_worker_killed_mid_run_is_replaced_and_the_release_is_the_serial_one(tmp_path: Path, serial_release: dict[str, bytes]) -> None:
    marker = tmp_path / "killed"
    env = {**ENV, "DASK_DISTRIBUTED__WORKER__PRELOAD": json.dumps([str(KILL_HOOK)]), MARKER_ENV: str(marker)}
    proc = cli(*run_args(tmp_path, "--workers", "2"), env=env)
    assert marker.is_file(), "the hook should have killed a worker"
    assert proc.returncode == 0, proc.stderr
    assert release_files(tmp_path / "releases") == serial_release

    again = cli(*run_args(tmp_path))
    assert again.returncode == 0, again.stderr
    assert summary(again)["up_to_date"] is True
    assert release_files(tmp_path / "releases") == serial_release


@pytest.mark.slow
def test_batch_lost_with_its_worker_is_recorded_and_redone_by_the_next_run(tmp_path: Path, serial_release: dict[str, bytes]) -> None:
    marker = tmp_path / "killed"
    env = {
        **ENV, "DASK_DISTRIBUTED__WORKER__PRELOAD": json.dumps([str(KILL_HOOK)]), MARKER_ENV: str(marker),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",  # no retry: the dead worker's batch fails
    }
    proc = cli(*run_args(tmp_path, "--workers", "2", "--no-release"), env=env)
    assert proc.returncode == int(ExitCode.FAILURES), proc.stderr
    figures = summary(proc)
    assert (figures["failed"], figures["documents_extracted"]) == (1, 1)
    assert "KilledWorker" in proc.stderr

    again = cli(*run_args(tmp_path))
    assert again.returncode == 0, again.stderr
    assert (summary(again)["documents_extracted"], summary(again)["documents_skipped"]) == (1, 1)
    assert release_files(tmp_path / "releases") == serial_release


@pytest.mark.parametrize("command", ["run", "extract"])
def test_unreachable_scheduler_is_one_line_naming_it(tmp_path: Path, command: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[pipeline]\nscheduler_timeout = 1\n", encoding="utf-8")
    address = "tcp://127.0.0.1:9"
    if command == "run":
        args = [*run_args(tmp_path, "--scheduler", address), "--config", str(config)]
    else:
        args = ["extract", str(KILL_HOOK), "--scheduler", address, "--config", str(config), "--out", str(tmp_path / "out.jsonl")]
    proc = cli(*args)
    assert proc.returncode == int(ExitCode.FAILURES), proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler tcp://127.0.0.1:9:"), proc.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "out.jsonl").exists()
