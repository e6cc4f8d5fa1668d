"""Losing the state database, or a decision, never goes unnoticed.

A run refuses to start over with an emptied or deleted state database where the work
directory or the releases show it was in use; releases carry their curation decisions
(``decisions.jsonl``) and ``review restore`` rebuilds them. A spreadsheet accept never
drops an earlier edit, and ``extract --out DIR`` is refused before any work is done.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from table_files import jsonl, read_csv, write_csv
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_settings
from pipeline.curation import decisions
from schemas.models import SCHEMA_VERSION

MAJOR = SCHEMA_VERSION.split(".")[0]


def cli(*args: object, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def opts(root: Path) -> list[str]:
    return ["--workdir", str(root / "work"), "--releases-dir", str(root / "releases")]


def run(root: Path, *, ok: bool = True):
    return cli("run", "--offline", "--ner-model", "none", *opts(root), ok=ok)




def latest(root: Path) -> dict:
    s = load_settings(None, env={}, overrides={"pipeline": {"workdir": str(root / "work"), "releases_dir": str(root / "releases")}})
    return decisions.latest_decisions(s)


@pytest.fixture(scope="module")
def curated_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The demo run, one reject and one accept imported from the spreadsheet, run again: release x.1.0."""
    root = tmp_path_factory.mktemp("curated")
    run(root)
    sheet = root / "review.csv"
    cli("review", "export", "--out", sheet, *opts(root))
    rows = read_csv(sheet)
    rows[0].update(decision="reject", reason="not_asserted", curator="ann")
    rows[1].update(decision="accept", curator="ann")
    write_csv(sheet, rows)
    cli("review", "import", sheet, *opts(root))
    assert "release " + f"{MAJOR}.1.0" in run(root).output
    return root, {"reject": rows[0]["triple_id"], "accept": rows[1]["triple_id"]}


@pytest.fixture()
def curated(curated_run: tuple[Path, dict[str, str]], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root, ids = curated_run
    shutil.copytree(root, tmp_path / "c")
    return tmp_path / "c", ids


def releases(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "releases").iterdir() if not p.name.startswith("."))


# ------------------------------------------------------------------ item 1: the state database emptied or deleted


@pytest.mark.parametrize("fault", ["emptied", "deleted"])
def test_run_refuses_a_lost_state_database(curated: tuple[Path, dict[str, str]], fault: str) -> None:
    root, _ = curated
    db = root / "work" / "state.sqlite"
    if fault == "emptied":
        db.write_bytes(b"")
    else:
        db.unlink()
    before = releases(root)
    result = run(root, ok=False)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert str(db) in lines[0] and "oncotriples review restore" in lines[0], lines[0]
    assert releases(root) == before
    assert not db.exists() or db.stat().st_size == 0  # no fresh database was created


def test_review_commands_refuse_a_lost_state_database(curated: tuple[Path, dict[str, str]]) -> None:
    root, _ = curated
    (root / "work" / "state.sqlite").unlink()
    result = cli("review", "export", "--out", root / "x.csv", *opts(root), ok=False)
    assert result.exit_code == 1 and "review restore" in result.output and not (root / "x.csv").exists()
    assert not (root / "work" / "state.sqlite").exists()


def test_new_work_directory_beside_curated_releases_is_refused(curated: tuple[Path, dict[str, str]]) -> None:
    root, _ = curated
    shutil.rmtree(root / "work")
    before = releases(root)
    result = run(root, ok=False)
    assert result.exit_code == 1 and "review restore" in result.output and f"{MAJOR}.1.0" in result.output, result.output
    assert releases(root) == before


def test_release_carries_its_decisions(curated: tuple[Path, dict[str, str]]) -> None:
    root, ids = curated
    rel = root / "releases" / f"{MAJOR}.1.0"
    rows = {r["triple_id"]: r for r in jsonl(rel / "decisions.jsonl")}
    assert {tid: r["decision"] for tid, r in rows.items()} == {ids["reject"]: "reject", ids["accept"]: "accept"}
    assert rows[ids["reject"]]["reason"] == "not_asserted" and rows[ids["reject"]]["curator"] == "ann"
    digest = hashlib.sha256((rel / "decisions.jsonl").read_bytes()).hexdigest()
    assert json.loads((rel / "manifest.json").read_text(encoding="utf-8"))["files"]["decisions.jsonl"] == digest
    assert f"{digest}  decisions.jsonl" in (rel / "SHA256SUMS").read_text(encoding="utf-8")
    assert cli("verify", f"{MAJOR}.1.0", "--releases-dir", root / "releases").exit_code == 0


@pytest.mark.parametrize("fault", ["deleted", "new_workdir"])
def test_review_restore_rebuilds_decisions_and_is_idempotent(curated: tuple[Path, dict[str, str]], fault: str) -> None:
    root, ids = curated
    if fault == "deleted":
        (root / "work" / "state.sqlite").unlink()
    else:
        shutil.rmtree(root / "work")
    rel = root / "releases" / f"{MAJOR}.1.0"
    first = cli("review", "restore", rel, *opts(root))
    assert "restored 2 decision(s)" in first.output, first.output
    assert {tid: d.decision for tid, d in latest(root).items()} == {ids["reject"]: "reject", ids["accept"]: "accept"}
    again = cli("review", "restore", f"{MAJOR}.1.0", *opts(root))  # a version under --releases-dir works too
    assert "restored 0 decision(s)" in again.output, again.output
    assert len(latest(root)) == 2
    run(root)
    assert releases(root)[-1] == f"{MAJOR}.1.0"  # same triples, same curation: no release restores the rejected triple
    assert ids["reject"] in {r["triple_id"] for r in jsonl(rel / "rejected.jsonl")}


def test_restore_never_overwrites_a_newer_decision(curated: tuple[Path, dict[str, str]]) -> None:
    root, ids = curated
    s = load_settings(None, env={}, overrides={"pipeline": {"workdir": str(root / "work"), "releases_dir": str(root / "releases")}})
    decisions.record_decision(s, ids["reject"], "accept", curator="bob")
    result = cli("review", "restore", root / "releases" / f"{MAJOR}.1.0", *opts(root))
    assert "restored 0 decision(s)" in result.output, result.output
    assert latest(root)[ids["reject"]].decision == "accept" and latest(root)[ids["reject"]].curator == "bob"


def test_restore_refuses_a_tampered_journal(curated: tuple[Path, dict[str, str]]) -> None:
    root, _ = curated
    (root / "work" / "state.sqlite").unlink()
    journal = root / "releases" / f"{MAJOR}.1.0" / "decisions.jsonl"
    journal.write_bytes(journal.read_bytes().replace(b"not_asserted", b"duplicate"))
    result = cli("review", "restore", journal.parent, *opts(root), ok=False)
    assert result.exit_code == 1 and "decisions.jsonl" in result.output and "checksum" in result.output
    assert not (root / "work" / "state.sqlite").exists()


# ------------------------------------------------------------------ item 5: an edit dropped by a later accept


def test_spreadsheet_accept_after_an_edit_is_refused(curated: tuple[Path, dict[str, str]]) -> None:
    root, _ = curated
    sheet = root / "before.csv"
    cli("review", "export", "--out", sheet, *opts(root))
    rows = read_csv(sheet)
    target = next(r for r in rows if r["status"] == "pending")
    edit = [dict(target, decision="edit", gene="KRAS", curator="ann")]
    write_csv(root / "edit.csv", edit)
    cli("review", "import", root / "edit.csv", *opts(root))
    # the sheet exported before the edit still shows the extracted values: accepting from it drops the edit
    write_csv(root / "accept.csv", [dict(target, decision="accept", curator="bob")])
    result = cli("review", "import", root / "accept.csv", *opts(root), ok=False)
    assert result.exit_code == 1 and "carries an earlier edit of gene (KRAS)" in result.output, result.output
    d = latest(root)[target["triple_id"]]
    assert d.decision == "edit" and d.edits == {"gene": "KRAS"}
    # going back to the extracted values on purpose is an edit that restores them
    write_csv(root / "back.csv", [dict(target, decision="edit", curator="bob")])
    cli("review", "import", root / "back.csv", *opts(root))
    assert latest(root)[target["triple_id"]].decision == "accept"


# ------------------------------------------------------------------ extract --out DIR


def test_extract_out_directory_is_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import extractors.nlp.build

    def no_work(*_a: object, **_k: object) -> None:
        raise AssertionError("the NLP pipeline was built before --out was checked")

    monkeypatch.setattr(extractors.nlp.build, "build_nlp", no_work)
    doc = tmp_path / "a.txt"
    doc.write_text("The EGFR C797S mutation confers resistance to osimertinib.\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(app, ["extract", str(doc), "--out", str(out)])
    assert result.exit_code == 1, (result.output, result.exception)  # a usage error (schemas.exit_codes.ExitCode.ERROR)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and str(out) in lines[0] and "directory" in lines[0], result.output
    assert list(out.iterdir()) == []
