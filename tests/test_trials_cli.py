"""``oncotriples trials`` end to end against the replay server (the external contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from replay_server import CTGOV, ReplayServer, fixtures_available
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_settings
from pipeline.sources.http import PoliteClient
from pipeline.sources.rawstore import RawStore
from pipeline.stages.trials import fetch_trials

pytestmark = pytest.mark.skipif(not fixtures_available(), reason="../shared/fixtures not present")

KNOWN = ["NCT04267848", "NCT03418623", "NCT03064438"]


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[http]\ntimeout = 1.0\nmax_retries = 2\nbackoff_base = 0.001\nbackoff_max = 0.01\n"
        "[ctgov]\nrequests_per_second = 1000.0\n"
    )
    return path


def run(server: ReplayServer, config: Path, tmp_path: Path, *ids: str):
    out = tmp_path / "trials.jsonl"
    args = ["trials", *ids, "--out", str(out), "--config", str(config), "--workdir", str(tmp_path / "work")]
    result = CliRunner().invoke(app, args, env=server.settings_env())
    return result, out


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def last_run_record(tmp_path: Path) -> dict:
    return json.loads(sorted((tmp_path / "work" / "runs").glob("trials-*.json"))[-1].read_text())


def test_contract_fields_unknown_and_malformed(server, config, tmp_path):
    result, out = run(server, config, tmp_path, *KNOWN, "NCT99999999", "NCT0429119", "nct 03418623")
    assert result.exit_code == 0, result.output
    got = rows(out)
    assert [r["nct_id"] for r in got] == KNOWN
    first = got[0]
    for key in ("nct_id", "brief_title", "overall_status", "phases", "conditions", "interventions"):
        assert key in first
    assert first["overall_status"] == "RECRUITING" and first["phases"] == ["PHASE3"]
    assert {"name": "Carboplatin", "type": "DRUG"}.items() <= next(
        i for i in first["interventions"] if i["name"] == "Carboplatin").items()
    err = result.stderr.splitlines()
    assert "unknown NCT id NCT99999999: NCT99999999: ctgov answered 404: NCT number NCT99999999 not found" in err
    assert any(line.startswith("malformed NCT id NCT0429119: expected NCT followed by 8 digits, found 7") for line in err)
    assert "Traceback" not in result.output
    record = last_run_record(tmp_path)
    assert list(record["unknown"]) == ["NCT99999999"] and list(record["malformed"]) == ["NCT0429119"]
    assert record["list_requests"] == 1


def test_second_run_downloads_nothing(server, config, tmp_path):
    first, out = run(server, config, tmp_path, *KNOWN)
    before = out.read_bytes()
    second, _ = run(server, config, tmp_path, *KNOWN)
    assert first.exit_code == second.exit_code == 0
    assert last_run_record(tmp_path)["downloads"] == 0
    assert [s.status for s in server.served] == [200, 304]
    assert out.read_bytes() == before


def test_total_failure_exit_2_without_traceback(server, config, tmp_path):
    server.inject("500", f"{CTGOV}/studies", times=10)
    result, out = run(server, config, tmp_path, *KNOWN)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "failed NCT id NCT04267848" in result.stderr and "still answered 500 after 3 attempts" in result.stderr
    assert not out.exists()


def test_only_malformed_ids_exit_2(server, config, tmp_path):
    result, _ = run(server, config, tmp_path, "NCT123", "hello")
    assert result.exit_code == 2 and "malformed NCT id NCT123" in result.stderr and server.served == []


@pytest.mark.parametrize("fault, times", [("html200", 1), ("truncated", 1), ("slow", 3)])
def test_fault_then_rerun_completes(server, config, tmp_path, fault, times):
    # bad bodies are not retried (a re-run asks again); timeouts are retried, so all 3 attempts fail
    server.inject(fault, f"{CTGOV}/studies", times=times, delay=1.5)
    bad, out = run(server, config, tmp_path, *KNOWN)
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "NCT batch 1" in bad.stderr and "NCT04267848" in bad.stderr
    store = RawStore(tmp_path / "work" / "raw")
    assert store.latest("ctgov", "NCT04267848") is None  # no partial record stored as if whole
    good, _ = run(server, config, tmp_path, *KNOWN)
    assert good.exit_code == 0 and [r["nct_id"] for r in rows(out)] == KNOWN


def test_fetch_trials_library(server, tmp_path):
    settings = load_settings(env=server.settings_env(), overrides={"ctgov": {"requests_per_second": 1000.0}})
    store = RawStore(tmp_path / "raw")
    with PoliteClient.from_settings(settings, raw_store=store, workdir=tmp_path) as http:
        res = fetch_trials(["NCT03064438", "NCT99999999"], settings=settings, raw_store=store, http=http,
                           out=tmp_path / "t.jsonl")
    assert res.written == ["NCT03064438"] and "NCT99999999" in res.unknown
    trial = res.trials[0]
    assert trial.has_results and trial.results[0].analyses[0].p_value == "0.366"
    assert json.loads(store.get_bytes(trial.raw_sha256))["protocolSection"]["identificationModule"]["nctId"] == "NCT03064438"
