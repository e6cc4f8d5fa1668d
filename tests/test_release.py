"""Releases: deterministic bytes, never overwritten, valid Frictionless package, verify catches
tampering, version rules (major/minor/patch), `releases` / `verify` / `diff` commands."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Settings, load_settings
from pipeline.curation.decisions import record_decision
from pipeline.stages.release import (
    ChangeSet,
    build_release_files,
    list_releases,
    next_version,
    write_release,
)
from pipeline.stages.runner import RunOptions, run_job
from schemas.errors import ReleaseExistsError
from schemas.models import SCHEMA_VERSION

MAJOR = SCHEMA_VERSION.split(".")[0]


SOURCE_DATE_EPOCH = 1700000000
"""Fixed ``created`` for the byte-identity tests (the reproducible-builds convention)."""


def settings_for(root: Path) -> Settings:
    return load_settings(overrides={"pipeline": {"workdir": str(root / "work"), "releases_dir": str(root / "releases"), "ner_model": "none", "source_date_epoch": SOURCE_DATE_EPOCH}})


def run(settings: Settings, nlp) -> dict:
    return run_job(settings, RunOptions(offline=True), nlp_factory=lambda: nlp).as_dict()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory, nlp_rules) -> Settings:
    s = settings_for(tmp_path_factory.mktemp("released"))
    assert run(s, nlp_rules)["release"] == f"{MAJOR}.0.0"
    return s


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


# ------------------------------------------------------------------ determinism and immutability


def test_same_inputs_give_byte_identical_releases(tmp_path: Path, released: Settings, nlp_rules) -> None:
    other = settings_for(tmp_path)
    run(other, nlp_rules)
    version = f"{MAJOR}.0.0"
    a, b = folder_bytes(released.releases_dir / version), folder_bytes(other.releases_dir / version)
    assert a.keys() == b.keys() and {"triples.csv", "triples.parquet", "triples.jsonl", "civic_evidence.tsv", "CHANGELOG.md", "changes.jsonl", "decisions.jsonl", "manifest.json", "SHA256SUMS", "datapackage.json"} <= a.keys()
    assert a == b


def test_build_release_files_is_pure(released: Settings) -> None:
    from pipeline.stages.release import ReleaseContent, diff_triples
    from schemas.models import Triple

    rows = [json.loads(line) for line in (released.releases_dir / f"{MAJOR}.0.0" / "triples.jsonl").read_text(encoding="utf-8").splitlines()]
    triples = [Triple.model_validate({k: v for k, v in r.items() if k not in ("curator", "curated_at", "curation_note")}) for r in rows]
    content = ReleaseContent(triples=triples, versions={"x": "1"}, run_id="r", created="2026-11-01T00:00:00Z")
    changes = diff_triples({}, {t.triple_id: t.model_dump(mode="json") for t in triples})
    assert build_release_files("9.9.9", content, None, changes) == build_release_files("9.9.9", content, None, changes)


def test_existing_release_is_never_overwritten(released: Settings) -> None:
    version = f"{MAJOR}.0.0"
    before = folder_bytes(released.releases_dir / version)
    with pytest.raises(ReleaseExistsError, match="never overwritten"):
        write_release(released.releases_dir, version, {"triples.csv": b"tampered\n"})
    assert folder_bytes(released.releases_dir / version) == before
    assert not list(released.releases_dir.glob(".tmp-*"))


def test_frictionless_validates_the_datapackage(released: Settings) -> None:
    descriptor = released.releases_dir / f"{MAJOR}.0.0" / "datapackage.json"
    exe = Path(sys.executable).parent / "frictionless"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "frictionless"]
    proc = subprocess.run([*cmd, "validate", "--json", str(descriptor)], capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(proc.stdout)
    errors = {t["name"]: [e["type"] for e in t["errors"]] for t in report["tasks"] if not t["valid"]}
    assert proc.returncode == 0 and report["valid"], errors or report["errors"]


# ------------------------------------------------------------------ Parquet as users query it


def release_jsonl(release: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (release / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_duckdb_unnests_the_parquet_list_columns(released: Settings) -> None:
    import duckdb

    release = released.releases_dir / f"{MAJOR}.0.0"
    with duckdb.connect() as con:
        con.execute(f"set file_search_path = '{release}'")
        counts = dict(con.sql("select d, count(*) from 'triples.parquet', unnest(drugs) as t(d) group by d").fetchall())
        measures = con.sql("select m.metric, m.value from 'triples.parquet', unnest(measures_structured) as t(m)").fetchall()
        trials = dict(con.sql("select n, count(*) from 'triples.parquet', unnest(nct_ids) as t(n) group by n").fetchall())
    rows = release_jsonl(release, "triples.jsonl")
    expected: dict[str, int] = {}
    for r in rows:
        for d in r["drugs"]:
            expected[d] = expected.get(d, 0) + 1
    assert counts == expected and len(counts) > 3
    assert sorted(measures) == sorted((m["metric"], m["value"]) for r in rows for m in r["measures_structured"]) and measures
    assert sum(trials.values()) == sum(len(r["nct_ids"]) for r in rows)


@pytest.mark.parametrize("column", ["drugs", "measures", "nct_ids", "rule_ids", "measures_structured"])
def test_parquet_list_columns_hold_what_jsonl_holds(released: Settings, column: str) -> None:
    import pyarrow.parquet as pq

    release = released.releases_dir / f"{MAJOR}.0.0"
    table = pq.read_table(release / "triples.parquet")
    assert str(table.schema.field(column).type).startswith("list<")
    assert table.column(column).to_pylist() == [r[column] for r in release_jsonl(release, "triples.jsonl")]


def test_arrow_schema_follows_the_table_schema() -> None:
    import pyarrow as pa

    from schemas.export import TABLE_MODELS, arrow_schema, table_schema

    expect = {"string": pa.types.is_string, "integer": pa.types.is_int64, "number": pa.types.is_float64, "boolean": pa.types.is_boolean,
              "array": pa.types.is_list, "object": lambda t: pa.types.is_struct(t) or pa.types.is_map(t)}
    for table in TABLE_MODELS:
        fields = table_schema(table)["fields"]
        schema = arrow_schema(table)
        assert schema.names == [f["name"] for f in fields], table
        wrong = [f["name"] for f in fields if not expect[f["type"]](schema.field(f["name"]).type)]
        assert not wrong, (table, wrong)
    assert arrow_schema("triples").field("measures_structured").type.value_type.names[:2] == ["metric", "value"]


# ------------------------------------------------------------------ verify, releases, diff


def test_verify_passes_then_detects_tampering(tmp_path: Path, released: Settings) -> None:
    rel = tmp_path / "releases"
    shutil.copytree(released.releases_dir, rel)
    version = f"{MAJOR}.0.0"
    ok = invoke("verify", version, "--releases-dir", str(rel))
    assert ok.exit_code == 0 and "OK" in ok.stdout
    csv = rel / version / "triples.csv"
    csv.write_bytes(csv.read_bytes().replace(b"EGFR", b"EGFX", 1))
    bad = invoke("verify", version, "--releases-dir", str(rel))
    assert bad.exit_code == 1
    assert "triples.csv: checksum mismatch" in bad.stderr and "FAILED" in bad.stderr
    (rel / version / "extra.txt").write_text("x")
    (rel / version / "civic_evidence.tsv").unlink()
    worse = invoke("verify", version, "--releases-dir", str(rel))
    assert worse.exit_code == 1 and "civic_evidence.tsv: missing" in worse.stderr and "extra.txt: not in SHA256SUMS" in worse.stderr
    missing = invoke("verify", "7.7.7", "--releases-dir", str(rel))
    assert missing.exit_code == 1 and "no release 7.7.7" in missing.stderr


def test_version_rules_and_commands_across_curation_releases(tmp_path: Path, nlp_rules) -> None:
    """minor when triples are removed (a reject), patch for corrections only (an accept), none when nothing changed."""
    s = settings_for(tmp_path)
    first = run(s, nlp_rules)
    v1 = first["release"]
    rows = [json.loads(line) for line in (s.releases_dir / v1 / "triples.jsonl").read_text(encoding="utf-8").splitlines()]
    record_decision(s, rows[0]["triple_id"], "accept", curator="ann")
    patch = run(s, nlp_rules)
    assert patch["release"] == f"{MAJOR}.0.1" and (patch["added"], patch["removed"], patch["changed"]) == (0, 0, 1)
    record_decision(s, rows[1]["triple_id"], "reject", reason="not_asserted", curator="ann")
    minor = run(s, nlp_rules)
    assert minor["release"] == f"{MAJOR}.1.0" and (minor["added"], minor["removed"]) == (0, 1)
    assert run(s, nlp_rules)["release"] == f"{MAJOR}.1.0"  # nothing changed: no new release
    assert list_releases(s.releases_dir) == [v1, f"{MAJOR}.0.1", f"{MAJOR}.1.0"]
    rejected = (s.releases_dir / f"{MAJOR}.1.0" / "rejected.jsonl").read_text(encoding="utf-8")
    assert rows[1]["triple_id"] in rejected
    patch_rows = [json.loads(line) for line in (s.releases_dir / f"{MAJOR}.0.1" / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert patch_rows == [{"change": "changed", **{k: rows[0][k] for k in ("triple_id", "doc_id", "drugs", "gene", "alteration", "outcome")}, "fields": ["curation_status"]}]

    listing = invoke("releases", "--releases-dir", str(s.releases_dir), "--json")
    assert listing.exit_code == 0
    figures = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [f["version"] for f in figures] == list_releases(s.releases_dir)
    assert figures[-1]["triples"] == first["triples"] - 1 and figures[-1]["rejected"] == 1 and figures[-1]["removed"] == 1
    table = invoke("releases", "--releases-dir", str(s.releases_dir))
    assert table.exit_code == 0 and f"{MAJOR}.1.0" in table.stdout and "DEMO" in table.stdout
    for a, b in ((v1, f"{MAJOR}.0.1"), (f"{MAJOR}.0.1", f"{MAJOR}.1.0")):
        d = invoke("diff", a, b, "--releases-dir", str(s.releases_dir))
        assert d.exit_code == 0 and d.stdout == (s.releases_dir / b / "CHANGELOG.md").read_text(encoding="utf-8")
    js = invoke("diff", v1, f"{MAJOR}.1.0", "--releases-dir", str(s.releases_dir), "--json")
    changes = [json.loads(line) for line in js.stdout.splitlines()]
    assert sorted(c["change"] for c in changes) == ["changed", "removed"]


def test_next_version_rules() -> None:
    added, removed, changed = ChangeSet(added=[{}]), ChangeSet(removed=[{}]), ChangeSet(changed=[{}])
    assert next_version(None, None, ChangeSet()) == f"{MAJOR}.0.0"
    assert next_version("1.2.3", SCHEMA_VERSION, added) == "1.3.0"
    assert next_version("1.2.3", SCHEMA_VERSION, removed) == "1.3.0"
    assert next_version("1.2.3", SCHEMA_VERSION, changed) == "1.2.4"
    assert next_version("1.2.3", SCHEMA_VERSION, ChangeSet()) is None
    older_schema = f"{int(MAJOR) - 1}.9.0" if int(MAJOR) > 0 else "-1.0.0"
    assert next_version("1.2.3", older_schema, ChangeSet()) == "2.0.0"
    assert next_version("1.2.3", older_schema, added) == "2.0.0"
