"""Release files as users meet them: file modes follow the umask, ``created`` is the real time
(or SOURCE_DATE_EPOCH), CIViC rows carry the triple's disease, and after a curation round the
summary counts the rows written and the changelog names the edited fields."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from table_files import jsonl, read_csv, write_csv
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_settings
from pipeline.stages.release import CIVIC_COLUMNS, civic_rows
from schemas.errors import ConfigError
from schemas.files import atomic_write_bytes, write_jsonl
from schemas.models import Triple

UMASK = 0o027
"""The module's release is written under this umask: neither the old fixed 0600 nor a hard-coded 0644 passes."""

DATA_FILES = ("triples.csv", "triples.jsonl", "triples.parquet", "documents.csv", "trials.csv", "document_trials.csv", "civic_evidence.tsv", "README.md", "CHANGELOG.md", "changes.jsonl")


def cli(*args: object, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def run_demo(root: Path, *, env: dict[str, str] | None = None) -> Path:
    """``run --offline`` (rules only) into ``root``; returns the releases folder."""
    saved = {k: os.environ.get(k) for k in ("SOURCE_DATE_EPOCH",)}
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    os.environ.update(env or {})
    try:
        cli("run", "--offline", "--ner-model", "none", "--workdir", root / "work", "--releases-dir", root / "releases")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return root / "releases"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("demo")
    old = os.umask(UMASK)
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        run_demo(root)
        after = datetime.now(UTC)
    finally:
        os.umask(old)
    return {"root": root, "before": before, "after": after}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------ file modes


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002], ids=oct)
def test_atomic_writes_give_the_mode_open_would(tmp_path: Path, mask: int) -> None:
    from schemas.files import current_umask

    old = os.umask(mask)
    try:
        assert current_umask() == mask
        atomic_write_bytes(tmp_path / "a.bin", b"x")
        write_jsonl(tmp_path / "b.jsonl", [{"a": 1}])
        with open(tmp_path / "plain", "wb"):
            pass
    finally:
        os.umask(old)
    assert mode(tmp_path / "a.bin") == mode(tmp_path / "b.jsonl") == mode(tmp_path / "plain") == 0o666 & ~mask


def test_release_and_work_dir_files_follow_the_umask(demo: dict[str, object]) -> None:
    root = Path(str(demo["root"]))
    release = root / "releases" / "1.0.0"
    assert mode(release) == 0o777 & ~UMASK
    files = sorted(release.iterdir())
    assert files and {f.name: mode(f) for f in files} == {f.name: 0o666 & ~UMASK for f in files}
    work = root / "work"
    state = [work / "fetch_meta.json", *(p for d in ("normalized", "extracted", "parsed", "raw/records") for p in sorted((work / d).rglob("*")))]
    assert len([p for p in state if p.is_file()]) > 10
    assert {str(p.relative_to(work)): mode(p) for p in state if p.is_file()} == {str(p.relative_to(work)): 0o666 & ~UMASK for p in state if p.is_file()}


# ------------------------------------------------------------------ created


@pytest.mark.parametrize(
    ("epoch", "now", "expected"),
    [
        (None, datetime(2027, 3, 4, 5, 6, 7, 890, tzinfo=UTC), "2027-03-04T05:06:07Z"),
        (0, datetime(2027, 3, 4, tzinfo=UTC), "1970-01-01T00:00:00Z"),
        (1700000000, None, "2023-11-14T22:13:20Z"),
    ],
)
def test_creation_time(epoch: int | None, now: datetime | None, expected: str) -> None:
    from pipeline.stages.release import creation_time

    assert creation_time(epoch, now) == expected


def test_created_is_the_real_creation_time(demo: dict[str, object]) -> None:
    release = Path(str(demo["root"])) / "releases" / "1.0.0"
    created = json.loads((release / "manifest.json").read_text(encoding="utf-8"))["created"]
    assert created != "2026-11-01T00:00:00Z"
    when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert demo["before"] <= when <= demo["after"]  # type: ignore[operator]
    assert json.loads((release / "datapackage.json").read_text(encoding="utf-8"))["created"] == created


def test_source_date_epoch_sets_created_and_content_does_not_depend_on_it(tmp_path: Path, demo: dict[str, object]) -> None:
    reproducible = run_demo(tmp_path, env={"SOURCE_DATE_EPOCH": "1700000000"}) / "1.0.0"
    manifest = json.loads((reproducible / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["created"] == "2023-11-14T22:13:20Z"
    assert json.loads((reproducible / "datapackage.json").read_text(encoding="utf-8"))["created"] == "2023-11-14T22:13:20Z"
    other = Path(str(demo["root"])) / "releases" / "1.0.0"
    for name in DATA_FILES:
        assert (reproducible / name).read_bytes() == (other / name).read_bytes(), name
    other_files = json.loads((other / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {k: v for k, v in manifest["files"].items() if k != "datapackage.json"} == {k: v for k, v in other_files.items() if k != "datapackage.json"}


@pytest.mark.parametrize("value", ["tomorrow", "-5", "1.5"])
def test_a_bad_source_date_epoch_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="source_date_epoch"):
        load_settings(env={"SOURCE_DATE_EPOCH": value})


# ------------------------------------------------------------------ CIViC disease


class DiseaseTriple(Triple):
    """A triple record with a ``disease`` field (as the disease-id work adds it)."""

    disease: str = ""


def triple(**kw: object) -> Triple:
    base = {"doc_id": "d", "evidence": "e", "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "T790M", "outcome": "resistance", "triple_id": "t"}
    return Triple.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (triple(), ""),
        (DiseaseTriple.model_validate({**triple().model_dump(), "disease": "Lung Adenocarcinoma"}), "Lung Adenocarcinoma"),
        (DiseaseTriple.model_validate({**triple().model_dump(), "disease": ""}), ""),
    ],
)
def test_civic_disease_is_the_triples_or_blank(record: Triple, expected: str) -> None:
    assert civic_rows([record])[0]["disease"] == expected


def test_released_civic_rows_carry_no_constant_disease(demo: dict[str, object]) -> None:
    tsv = (Path(str(demo["root"])) / "releases" / "1.0.0" / "civic_evidence.tsv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(tsv), delimiter="\t"))
    assert list(rows[0].keys()) == CIVIC_COLUMNS and len(rows) > 5
    triples = {t["triple_id"]: t for t in jsonl(Path(str(demo["root"])) / "releases" / "1.0.0" / "triples.jsonl")}
    assert all(r["disease"] == triples[r["triple_id"]]["disease"] for r in rows)  # each row its own triple's disease
    assert "Non-small Cell Lung Carcinoma" not in {r["disease"] for r in rows}


# ------------------------------------------------------------------ after a curation round




@pytest.fixture()
def curated(demo: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """A copy of the demo after ``review import`` (2 rejects, 1 edit of outcome and drugs, 1 accept) and ``release``."""
    root = tmp_path / "d"
    shutil.copytree(Path(str(demo["root"])), root)
    work = ["--workdir", root / "work"]
    out = tmp_path / "review.csv"
    cli("review", "export", "--out", out, *work)
    rows = read_csv(out)
    rows[0].update(decision="reject", reason="wrong_drug")
    rows[1].update(decision="reject", reason="duplicate")
    new_outcome = "investigation" if rows[2]["outcome"] != "investigation" else "resistance"
    rows[2].update(decision="edit", outcome=new_outcome, drugs="erlotinib; gefitinib")
    rows[3].update(decision="accept")
    write_csv(out, rows)
    cli("review", "import", out, "--curator", "ann", *work)
    result = cli("release", *work, "--releases-dir", root / "releases")
    again = cli("run", "--offline", "--ner-model", "none", *work, "--releases-dir", root / "releases")  # nothing changed: 1.1.0 stays
    return {"root": root, "rows": rows, "summary": result.stderr, "run_summary": again.stderr, "outcome": new_outcome}


def test_release_summary_counts_the_rows_written(curated: dict[str, object]) -> None:
    release = Path(str(curated["root"])) / "releases" / "1.1.0"
    written = len(jsonl(release / "triples.jsonl"))
    rows = curated["rows"]
    assert written == len(rows) - 2  # type: ignore[arg-type]
    assert f"release 1.1.0: {written} triples (+0 -2 ~2)" in str(curated["summary"])
    assert f"triples {len(rows)} (+0 -0 ~0), failed 0; release 1.1.0 ({written} triples)" in str(curated["run_summary"])  # type: ignore[arg-type]


def test_changelog_lists_the_edited_fields(curated: dict[str, object]) -> None:
    release = Path(str(curated["root"])) / "releases" / "1.1.0"
    rows: list[dict[str, str]] = curated["rows"]  # type: ignore[assignment]
    edited, accepted = rows[2]["triple_id"], rows[3]["triple_id"]
    changes = {c["triple_id"]: c for c in jsonl(release / "changes.jsonl") if c["change"] == "changed"}
    assert changes[edited]["fields"] == ["drugs", "outcome", "curation_status"]
    assert changes[edited]["outcome"] == curated["outcome"]
    assert changes[accepted]["fields"] == ["curation_status"]
    changelog = (release / "CHANGELOG.md").read_text(encoding="utf-8")
    line = next(x for x in changelog.splitlines() if x.startswith(f"- `{edited}`"))
    assert line.endswith("(fields: drugs, outcome, curation_status)")


def test_assertions_follow_curation(curated: dict[str, object]) -> None:
    release = Path(str(curated["root"])) / "releases" / "1.1.0"
    rows: list[dict[str, str]] = curated["rows"]  # type: ignore[assignment]
    assertions = jsonl(release / "assertions.jsonl")
    supporting = {tid: a for a in assertions for tid in a["triple_ids"]}
    assert sorted(supporting) == sorted(t["triple_id"] for t in jsonl(release / "triples.jsonl"))
    assert rows[0]["triple_id"] not in supporting and rows[1]["triple_id"] not in supporting  # rejected
    edited = supporting[rows[2]["triple_id"]]
    assert edited["outcome"] == curated["outcome"] and edited["n_curated"] >= 1
    assert json.loads((release / "manifest.json").read_text(encoding="utf-8"))["counts"]["assertions"] == len(assertions)


def test_a_new_source_date_epoch_keeps_an_up_to_date_release_current(tmp_path: Path, nlp_rules) -> None:
    """SOURCE_DATE_EPOCH only stamps ``created``: a job that sets a new one each time still finds nothing to do."""
    from pipeline.stages.runner import RunOptions, run_job

    base = load_settings(env={}, overrides={"pipeline": {"workdir": str(tmp_path / "work"), "releases_dir": str(tmp_path / "releases"), "ner_model": "none"}})
    figures = []
    for epoch in (1700000000, 1800000000):
        s = base.model_copy(update={"pipeline": base.pipeline.model_copy(update={"source_date_epoch": epoch})})
        figures.append(run_job(s, RunOptions(offline=True), nlp_factory=lambda: nlp_rules).as_dict())
    assert [(f["release"], f["up_to_date"]) for f in figures] == [("1.0.0", False), ("1.0.0", True)]
