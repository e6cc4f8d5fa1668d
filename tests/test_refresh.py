"""Incremental refresh: a second run re-extracts nothing; a changed document or rule-set version
re-extracts exactly the affected documents, and the next release's changelog lists exactly the
resulting triple changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from demo_snapshot import make_snapshot
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Settings, load_settings
from pipeline.sources.rawstore import RawStore
from pipeline.stages.release import diff_triples, load_release_triples
from pipeline.stages.runner import RunOptions, run_job
from pipeline.state.db import StateDB

STATS_KEYS = {"documents_fetched", "documents_extracted", "triples", "added", "removed", "changed", "failed", "durations"}
CHANGED_DOC = "demo_egfr_review"


def edit_document(snap: RawStore) -> None:
    """A newer fetch of one demo document: one sentence rewritten, one figure corrected."""
    rec = snap.latest("demo", CHANGED_DOC)
    text = snap.get_bytes(rec.sha256).decode("utf-8")
    new = text.replace("Amivantamab may overcome resistance mediated by *EGFR* exon 20 insertions.",
                       "Amivantamab may overcome resistance mediated by *MET* exon 14 skipping mutations.")
    new = new.replace("ORR of 49%", "ORR of 55%")
    assert new != text
    snap.put(new.encode("utf-8"), source=rec.source, source_id=rec.source_id, url=rec.url, status=200,
             content_type=rec.content_type, format_hint=rec.format_hint, fetched_at="2026-11-02T00:00:00.000000Z")


def settings_for(root: Path, snapshot: Path) -> Settings:
    return load_settings(overrides={"pipeline": {
        "workdir": str(root / "work"), "releases_dir": str(root / "releases"), "demo_dir": str(snapshot), "ner_model": "none",
    }})


def run(settings: Settings, nlp, **options) -> dict:
    return run_job(settings, RunOptions(offline=True, **options), nlp_factory=lambda: nlp).as_dict()


def test_second_run_extracts_nothing_and_is_faster(tmp_path: Path, nlp_rules) -> None:
    s = settings_for(tmp_path, make_snapshot(tmp_path / "snap").root)
    first, second = run(s, nlp_rules), run(s, nlp_rules)
    assert STATS_KEYS <= set(first) and {"fetch", "parse", "extract", "normalize", "release"} <= set(first["durations"])
    assert first["documents_extracted"] == 2 and first["release"] == "1.0.0" and first["added"] == first["triples"] > 0
    assert (second["documents_fetched"], second["documents_extracted"], second["added"], second["removed"], second["changed"]) == (0, 0, 0, 0, 0)
    assert second["documents_skipped"] == 2 and second["triples"] == first["triples"] and second["release"] == "1.0.0"
    # nothing changed: the up-to-date check skips parse, extract, normalize and release altogether
    assert second["up_to_date"] is True and not first["up_to_date"] and set(second["durations"]) == {"fetch"}
    assert second["run_key"] == first["run_key"] and second["inputs_key"] == first["inputs_key"]
    with StateDB(s.state_db) as db:
        assert [r.outcome for r in db.runs()] == ["ok", "ok"]
        assert {d.doc_id: d.status for d in db.documents()} == {"ctgov:NCT03778229": "parsed", "demo_alk_update": "extracted", CHANGED_DOC: "extracted"}
        assert len(db.triples(current=True)) == first["triples"]


def _tree(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_up_to_date_run_writes_nothing(tmp_path: Path, nlp_rules) -> None:
    s = settings_for(tmp_path, make_snapshot(tmp_path / "snap").root)
    run(s, nlp_rules)
    before = {"releases": _tree(s.releases_dir), "normalized": _tree(s.workdir / "normalized"), "extracted": _tree(s.workdir / "extracted")}
    assert run(s, nlp_rules)["up_to_date"] is True
    assert {"releases": _tree(s.releases_dir), "normalized": _tree(s.workdir / "normalized"), "extracted": _tree(s.workdir / "extracted")} == before


def _decide(s: Settings) -> None:
    from pipeline.curation.decisions import record_decision

    with StateDB(s.state_db) as db:
        triple_id = db.triples(current=True)[0].triple_id
    record_decision(s, triple_id, "accept", curator="tester")


def _drop_release(s: Settings) -> None:
    import shutil

    shutil.rmtree(s.releases_dir / "1.0.0")


def _stage_run(s: Settings) -> None:
    run_job(s, RunOptions(offline=True, release=False, fetch=False, until="extract"), nlp_factory=lambda: None)


@pytest.mark.parametrize(
    ("change", "expect_release"),
    [
        pytest.param(_decide, "1.0.1", id="curation-decision"),
        pytest.param(_drop_release, "1.0.0", id="release-deleted"),
        pytest.param(_stage_run, "1.0.0", id="stage-run-in-between"),
    ],
)
def test_up_to_date_check_is_disabled_by_any_change(tmp_path: Path, nlp_rules, change, expect_release) -> None:
    """A curation decision, a missing release or another job in between: the next run does the full work."""
    s = settings_for(tmp_path, make_snapshot(tmp_path / "snap").root)
    first = run(s, nlp_rules)
    change(s)
    after = run(s, nlp_rules)
    assert after["up_to_date"] is False and after["documents_extracted"] == 0 and after["documents_skipped"] == 2
    assert after["release"] == expect_release and (s.releases_dir / expect_release / "manifest.json").is_file()
    assert after["triples"] == first["triples"]
    assert run(s, nlp_rules)["up_to_date"] is True


def test_changed_setting_disables_up_to_date_check(tmp_path: Path, nlp_rules) -> None:
    s = settings_for(tmp_path, make_snapshot(tmp_path / "snap").root)
    run(s, nlp_rules)
    changed = s.model_copy(update={"http": s.http.model_copy(update={"timeout": s.http.timeout + 1})})
    assert run(changed, nlp_rules)["up_to_date"] is False
    assert run(changed, nlp_rules)["up_to_date"] is True


def test_changed_document_reextracts_only_it_and_changelog_lists_exactly_the_changes(tmp_path: Path, nlp_rules) -> None:
    snap = make_snapshot(tmp_path / "snap")
    s = settings_for(tmp_path / "incremental", snap.root)
    run(s, nlp_rules)
    with StateDB(s.state_db) as db:
        untouched_before = db.document("demo_alk_update")
    edit_document(snap)
    stats = run(s, nlp_rules)
    assert (stats["documents_fetched"], stats["documents_extracted"], stats["documents_skipped"]) == (1, 1, 1)
    with StateDB(s.state_db) as db:
        assert db.document("demo_alk_update").last_extracted == untouched_before.last_extracted
        assert db.document(CHANGED_DOC).content_sha256 == snap.latest("demo", CHANGED_DOC).sha256

    # the expected release: everything extracted from scratch from the edited snapshot
    fresh = settings_for(tmp_path / "fresh", snap.root)
    run(fresh, nlp_rules)
    rel = s.releases_dir
    new_version = stats["release"]
    assert new_version != "1.0.0"
    assert (rel / new_version / "triples.jsonl").read_bytes() == (fresh.releases_dir / "1.0.0" / "triples.jsonl").read_bytes()
    expected = diff_triples(load_release_triples(rel / "1.0.0"), load_release_triples(fresh.releases_dir / "1.0.0"))
    assert not expected.empty
    rows = [json.loads(line) for line in (rel / new_version / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == [{"change": "added", **a} for a in expected.added] + [{"change": "removed", **r} for r in expected.removed] + [{"change": "changed", **c} for c in expected.changed]
    assert {r["doc_id"] for r in rows} == {CHANGED_DOC}
    assert (stats["added"], stats["removed"], stats["changed"]) == (len(expected.added), len(expected.removed), len(expected.changed))
    changelog = (rel / new_version / "CHANGELOG.md").read_text(encoding="utf-8")
    for r in rows:
        assert f"`{r['triple_id']}`" in changelog
    # `oncotriples diff` prints the same summary as the CHANGELOG
    result = CliRunner().invoke(app, ["diff", "1.0.0", new_version, "--releases-dir", str(rel)])
    assert result.exit_code == 0, result.output
    assert result.stdout == changelog


def test_ruleset_version_bump_reextracts_every_document(tmp_path: Path, nlp_rules, monkeypatch: pytest.MonkeyPatch) -> None:
    import schemas.versions

    s = settings_for(tmp_path, make_snapshot(tmp_path / "snap").root)
    first = run(s, nlp_rules)
    monkeypatch.setattr(schemas.versions, "TRIPLE_RULESET_VERSION", schemas.versions.TRIPLE_RULESET_VERSION + "-test-bump")
    bumped = run(s, nlp_rules)
    assert (bumped["documents_fetched"], bumped["documents_extracted"], bumped["documents_skipped"]) == (0, 2, 0)
    # same rules under a new version name: the same triples, so no new release
    assert (bumped["added"], bumped["removed"], bumped["changed"], bumped["release"]) == (0, 0, 0, first["release"])
    with StateDB(s.state_db) as db:
        assert db.document(CHANGED_DOC).versions["triples"].endswith("-test-bump")
    again = run(s, nlp_rules)
    assert again["documents_extracted"] == 0


def test_force_reextracts_everything(tmp_path: Path, nlp_rules) -> None:
    s = settings_for(tmp_path, make_snapshot(tmp_path / "snap").root)
    run(s, nlp_rules)
    forced = run(s, nlp_rules, force=True)
    assert (forced["documents_extracted"], forced["documents_skipped"], forced["added"], forced["removed"]) == (2, 0, 0, 0)


def test_cli_stats_json_two_runs(tmp_path: Path) -> None:
    """The external contract: `oncotriples run --offline --stats-json` twice; the second extracts 0 documents."""
    figures = []
    for name in ("first", "second"):
        out = tmp_path / f"{name}.json"
        proc = subprocess.run(
            [sys.executable, "-c", "from pipeline.cli import app; app()", "run", "--offline", "--ner-model", "none", "--json",
             "--workdir", str(tmp_path / "work"), "--releases-dir", str(tmp_path / "releases"), "--stats-json", str(out)],
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert proc.returncode == 0, proc.stderr
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        assert summary["status"] == "ok" and summary["exit_code"] == 0
        figures.append(json.loads(out.read_text(encoding="utf-8")))
    first, second = figures
    assert STATS_KEYS <= set(first) and STATS_KEYS <= set(second)
    assert first["documents_extracted"] == 2 and second["documents_extracted"] == 0 and second["documents_fetched"] == 0
    assert second["triples"] == first["triples"] and second["added"] == second["removed"] == second["changed"] == 0
    assert second["up_to_date"] is True and second["release"] == first["release"]
