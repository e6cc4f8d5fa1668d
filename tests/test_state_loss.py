"""Losing the state database, or a decision, never goes unnoticed.

A run refuses to start over with an emptied or deleted state database where the work
directory or the releases show it was in use; releases carry their curation decisions
(``decisions.jsonl``) and ``review restore`` rebuilds them. A spreadsheet accept never
drops an earlier edit, and ``extract --out DIR`` is refused before any work is done.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
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


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


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
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and str(out) in lines[0] and "directory" in lines[0], result.output
    assert list(out.iterdir()) == []
