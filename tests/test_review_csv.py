"""Spreadsheet round trip: export → fill decisions → import → run/release carries every decision."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_settings
from pipeline.curation import review


def cli(*args: str, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    """The bundled demo, run offline once (work dir + release 1.0.0); tests work on copies."""
    root = tmp_path_factory.mktemp("demo")
    cli("run", "--offline", "--workdir", root / "work", "--releases-dir", root / "releases")
    return root


@pytest.fixture()
def demo(demo_run: Path, tmp_path: Path) -> dict[str, Path]:
    shutil.copytree(demo_run, tmp_path / "d")
    return {"work": tmp_path / "d" / "work", "releases": tmp_path / "d" / "releases", "tmp": tmp_path}


def wd(demo: dict[str, Path]) -> list[str]:
    return ["--workdir", str(demo["work"])]


def settings_of(demo: dict[str, Path]):
    return load_settings(None, env={}, overrides={"pipeline": {"workdir": str(demo["work"]), "releases_dir": str(demo["releases"])}})


def read_export(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def export(demo: dict[str, Path], name: str) -> tuple[Path, list[dict[str, str]]]:
    """``review export`` of the whole work directory into ``tmp/name``: the file and its rows."""
    out = demo["tmp"] / name
    cli("review", "export", "--out", out, *wd(demo))
    return out, read_export(out)


def write_csv(path: Path, rows: list[dict[str, str]], *, bom: bool = False, crlf: bool = False) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n" if crlf else "\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes((("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8"))


def latest_release(releases: Path) -> Path:
    versions = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: tuple(int(x) for x in p.name.split(".")))
    return versions[-1]


def jsonl(path: Path) -> dict[str, dict]:
    return {r["triple_id"]: r for r in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip())}


# ------------------------------------------------------------------ export


def test_export_columns_bom_crlf_and_rows(demo):
    out = demo["tmp"] / "all.csv"
    cli("review", "export", "--out", out, *wd(demo))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = read_export(out)
    triples = [json.loads(x) for x in (demo["work"] / "normalized" / "triples.jsonl").read_text().splitlines() if x.strip()]
    assert len(rows) == len(triples) > 5
    cols = list(rows[0].keys())
    assert cols[:5] == ["triple_id", "decision", "reason", "note", "curator"]
    for c in ("drugs", "gene", "alteration", "outcome", "evidence", "confidence", "status", "doc_id", "measures", "nct_ids"):
        assert c in cols
    assert all(r["decision"] == r["reason"] == r["note"] == r["curator"] == "" for r in rows)
    by_id = {t["triple_id"]: t for t in triples}
    for r in rows:
        t = by_id[r["triple_id"]]
        assert r["evidence"] == t["evidence"] and r["gene"] == t["gene"] and r["drugs"] == "; ".join(t["drugs"])
        assert r["status"] == "pending"


def test_export_filters(demo):
    out, rows_all = export(demo, "f.csv")
    genes = sorted({r["gene"] for r in rows_all})
    assert {"EGFR", "ALK"} <= set(genes)
    cli("review", "export", "--out", out, "--gene", "EGFR", *wd(demo))
    assert {r["gene"] for r in read_export(out)} == {"EGFR"}
    cli("review", "export", "--out", out, "--gene", "EGFR", "--gene", "alk", *wd(demo))
    assert {r["gene"] for r in read_export(out)} == {"EGFR", "ALK"}
    drug = rows_all[0]["drugs"].split("; ")[0]
    cli("review", "export", "--out", out, "--drug", drug, *wd(demo))
    assert read_export(out) and all(drug in r["drugs"].split("; ") for r in read_export(out))
    doc = rows_all[-1]["doc_id"]
    cli("review", "export", "--out", out, "--doc", doc, *wd(demo))
    assert read_export(out) and {r["doc_id"] for r in read_export(out)} == {doc}
    bad = cli("review", "export", "--out", out, "--status", "done", *wd(demo), ok=False)
    assert bad.exit_code == 1 and "--status" in bad.output


def test_status_filter_after_import(demo):
    out, rows = export(demo, "s.csv")
    rows[0]["decision"] = "accept"
    write_csv(out, rows)
    cli("review", "import", out, "--curator", "ann", *wd(demo))
    cli("review", "export", "--out", out, "--status", "pending", *wd(demo))
    pending = read_export(out)
    assert len(pending) == len(rows) - 1 and rows[0]["triple_id"] not in {r["triple_id"] for r in pending}
    cli("review", "export", "--out", out, "--status", "accepted", *wd(demo))
    acc = read_export(out)
    assert [r["triple_id"] for r in acc] == [rows[0]["triple_id"]]
    assert acc[0]["last_decision"] == "accept" and acc[0]["last_curator"] == "ann"


# ------------------------------------------------------------------ round trip


def _fill(rows: list[dict[str, str]]) -> dict[str, str]:
    """Accept, reject, edit (outcome + drugs), edit (gene/alteration, JSON drugs); return ids by role."""
    acc, rej, ed1, ed2 = rows[0], rows[1], rows[2], rows[3]
    acc["decision"] = "accept"
    rej.update(decision="reject", reason="wrong_drug", note="drug belongs to the comparator arm")
    new_outcome = "investigation" if ed1["outcome"] != "investigation" else "resistance"
    ed1.update(decision="edit", outcome=new_outcome, drugs="osimertinib; gefitinib", note="outcome misread")
    ed2.update(decision="Edit", drugs='["amivantamab", "lazertinib"]', alteration="exon 20 insertion", curator="bo")
    return {"accept": acc["triple_id"], "reject": rej["triple_id"], "edit1": ed1["triple_id"], "edit2": ed2["triple_id"], "outcome": new_outcome}


@pytest.mark.slow
def test_round_trip_then_run_force_carries_every_decision(demo):
    out, rows = export(demo, "review.csv")
    ids = _fill(rows)
    write_csv(out, rows)
    res = cli("review", "import", out, "--curator", "ann", *wd(demo))
    assert "recorded 4 decision(s)" in res.output

    cli("run", "--offline", "--force", "--workdir", demo["work"], "--releases-dir", demo["releases"])
    rel = latest_release(demo["releases"])
    assert rel.name != "1.0.0"
    triples = jsonl(rel / "triples.jsonl")
    rejected = jsonl(rel / "rejected.jsonl")

    a = triples[ids["accept"]]
    assert a["curation_status"] == "accepted" and a["curator"] == "ann" and a["curated_at"]
    assert ids["reject"] not in triples
    assert rejected[ids["reject"]]["curation_status"] == "rejected"
    e1 = triples[ids["edit1"]]
    assert e1["curation_status"] == "edited" and e1["outcome"] == ids["outcome"]
    assert e1["drugs"] == ["gefitinib", "osimertinib"] and e1["curation_note"] == "outcome misread"
    e2 = triples[ids["edit2"]]
    assert e2["curation_status"] == "edited" and e2["curator"] == "bo"
    assert e2["drugs"] == ["amivantamab", "lazertinib"] and e2["alteration"] == "exon 20 insertion"
    others = [t for tid, t in triples.items() if tid not in ids.values()]
    assert others and all(t["curation_status"] == "pending" for t in others)

    # the other formats agree: rejected triple absent, statuses present
    csv_rows = {r["triple_id"]: r for r in csv.DictReader(io.StringIO((rel / "triples.csv").read_text(encoding="utf-8")))}
    assert ids["reject"] not in csv_rows and csv_rows[ids["edit1"]]["curation_status"] == "edited"
    pq_rows = {r["triple_id"]: r for r in pq.read_table(rel / "triples.parquet").to_pylist()}
    assert ids["reject"] not in pq_rows and pq_rows[ids["accept"]]["curation_status"] == "accepted"
    assert json.loads((rel / "manifest.json").read_text())["counts"]["rejected"] == 1

    # history is kept: a second decision on the same triple adds, never overwrites
    rows2 = read_export(out)
    row = next(r for r in rows2 if r["triple_id"] == ids["accept"])
    row.update(decision="reject", reason="duplicate")
    write_csv(out, [row])
    cli("review", "import", out, "--curator", "cy", *wd(demo))
    hist = review.decision_history(settings_of(demo), ids["accept"])
    assert [h["decision"] for h in hist] == ["accept", "reject"]
    cli("release", "--workdir", demo["work"], "--releases-dir", demo["releases"])
    rel2 = latest_release(demo["releases"])
    assert rel2 != rel and ids["accept"] not in jsonl(rel2 / "triples.jsonl")
    assert ids["accept"] in jsonl(rel2 / "rejected.jsonl")


def test_excel_style_bom_crlf_import_then_release(demo):
    out, rows = export(demo, "excel.csv")
    ids = _fill(rows)
    # Excel: BOM, CRLF, every cell quoted
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writeheader()
    w.writerows(rows)
    out.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    assert out.read_bytes().count(b"\r\n") >= len(rows)
    cli("review", "import", out, "--curator", "ann", *wd(demo))
    latest = review.latest_decisions(settings_of(demo))
    assert {tid: d["decision"] for tid, d in latest.items()} == {
        ids["accept"]: "accept", ids["reject"]: "reject", ids["edit1"]: "edit", ids["edit2"]: "edit",
    }
    assert latest[ids["reject"]]["reason"] == "wrong_drug"
    cli("release", "--workdir", demo["work"], "--releases-dir", demo["releases"])
    rel = latest_release(demo["releases"])
    triples = jsonl(rel / "triples.jsonl")
    assert triples[ids["accept"]]["curation_status"] == "accepted"
    assert triples[ids["edit1"]]["curation_status"] == "edited"
    assert ids["reject"] not in triples and ids["reject"] in jsonl(rel / "rejected.jsonl")


def test_accepting_an_edited_triple_never_drops_the_edit_silently(demo):
    out, rows = export(demo, "e.csv")
    tid, original_alt = rows[0]["triple_id"], rows[0]["alteration"]
    rows[0].update(decision="edit", alteration="exon 19 deletion")
    write_csv(out, [rows[0]])
    cli("review", "import", out, "--curator", "ann", *wd(demo))
    cli("review", "export", "--out", out, "--status", "edited", *wd(demo))
    again = read_export(out)
    assert [(r["triple_id"], r["alteration"]) for r in again] == [(tid, "exon 19 deletion")]
    # accept on the row as exported (showing the edit) is refused: it would drop the edit
    again[0]["decision"] = "accept"
    write_csv(out, again)
    res = cli("review", "import", out, "--curator", "ann", *wd(demo), ok=False)
    assert "row 2" in res.output and "carries an earlier edit" in res.output
    # putting the extracted value back under edit is an acceptance of the extracted triple
    again[0].update(decision="edit", alteration=original_alt)
    write_csv(out, again)
    cli("review", "import", out, "--curator", "ann", *wd(demo))
    hist = review.decision_history(settings_of(demo), tid)
    assert [h["decision"] for h in hist] == ["edit", "accept"]


def test_blank_rows_are_left_alone(demo):
    out, _ = export(demo, "blank.csv")
    res = cli("review", "import", out, "--curator", "ann", *wd(demo))
    assert "recorded 0 decision(s)" in res.output
    assert review.latest_decisions(settings_of(demo)) == {}


# ------------------------------------------------------------------ invalid rows change nothing


FIRST_ROW_ID = "<triple_id of the first row>"
"""Placeholder in ``BAD_ROWS`` for a value the test copies from the export's first row."""

BAD_ROWS = [
    pytest.param({"triple_id": "ffffffffffffffff", "decision": "accept"}, "unknown triple_id", id="unknown_id"),
    pytest.param({"decision": "approve"}, "decision 'approve' is not one of accept, reject, edit", id="bad_decision"),
    pytest.param({"decision": "reject"}, "reject needs a reason code", id="reject_no_reason"),
    pytest.param({"decision": "reject", "reason": "looks odd"}, "reason 'looks odd' is not one of",
                 id="reject_bad_reason"),
    pytest.param({"decision": "edit", "outcome": "cured"},
                 "outcome 'cured' is not one of resistance, sensitivity, investigation", id="edit_bad_outcome"),
    pytest.param({"decision": "edit", "gene": "  "}, "gene is empty", id="edit_empty_gene"),
    pytest.param({"decision": "edit", "alteration": ""}, "alteration is empty", id="edit_empty_alteration"),
    pytest.param({"decision": "edit", "drugs": '["osimertinib", '}, "not valid JSON", id="edit_bad_drugs_json"),
    pytest.param({"decision": "edit", "drugs": "osimertinib; "}, "has an empty name", id="edit_empty_drug"),
    pytest.param({"decision": "edit"}, "edit changes no field", id="edit_nothing_changed"),
    pytest.param({"decision": "accept", "gene": "BRAF"},
                 "decision is accept but gene differs from the extracted triple", id="accept_with_changes"),
    pytest.param({"triple_id": FIRST_ROW_ID, "decision": "reject", "reason": "other"},
                 "duplicate triple_id (also on row 2)", id="duplicate"),
    pytest.param({"reason": "other"}, "decision is empty but reason", id="leftover_reason"),
]
"""Changes that make the third exported row invalid, and the message that must name the problem."""


@pytest.mark.parametrize(("changes", "expected"), BAD_ROWS)
def test_an_invalid_row_changes_nothing_and_is_named(demo, changes, expected):
    out, rows = export(demo, "bad.csv")
    rows[0]["decision"] = "accept"
    rows[1].update(decision="reject", reason="duplicate")
    rows[2].update({k: rows[0]["triple_id"] if v == FIRST_ROW_ID else v for k, v in changes.items()})
    write_csv(out, rows, bom=True, crlf=True)
    before = sorted(p.name for p in demo["releases"].iterdir())
    res = cli("review", "import", out, "--curator", "ann", *wd(demo), ok=False)
    assert res.exit_code == 1
    assert "row 4" in res.output and expected in res.output, res.output
    assert "nothing was applied" in res.output
    assert review.latest_decisions(settings_of(demo)) == {}
    cli("release", "--workdir", demo["work"], "--releases-dir", demo["releases"])
    assert sorted(p.name for p in demo["releases"].iterdir()) == before


def test_every_invalid_row_is_reported(demo):
    out, rows = export(demo, "bad.csv")
    rows[0]["decision"] = "nope"
    rows[3]["decision"] = "reject"
    write_csv(out, rows)
    with pytest.raises(review.ReviewImportError) as err:
        review.import_csv(settings_of(demo), out, curator="ann")
    assert [row for row, _ in err.value.problems] == [2, 5]


def test_missing_curator_and_unreadable_files(demo):
    out, rows = export(demo, "c.csv")
    rows[0]["decision"] = "accept"
    write_csv(out, rows)
    res = cli("review", "import", out, *wd(demo), ok=False)
    assert res.exit_code == 1 and "row 2" in res.output and "no curator name" in res.output
    res = cli("review", "import", demo["tmp"] / "missing.csv", *wd(demo), ok=False)
    assert res.exit_code == 1 and "cannot read" in res.output
    (demo["tmp"] / "latin1.csv").write_bytes("triple_id,decision,note\r\nx,accept,caf\xe9\r\n".encode("latin-1"))
    res = cli("review", "import", demo["tmp"] / "latin1.csv", "--curator", "a", *wd(demo), ok=False)
    assert res.exit_code == 1 and "not UTF-8" in res.output
    (demo["tmp"] / "nocol.csv").write_text("id,decision\nx,accept\n", encoding="utf-8")
    res = cli("review", "import", demo["tmp"] / "nocol.csv", "--curator", "a", *wd(demo), ok=False)
    assert res.exit_code == 1 and "no 'triple_id' column" in res.output
    assert review.latest_decisions(settings_of(demo)) == {}


def test_parse_drugs_formats():
    assert review.parse_drugs("a; b ;c") == ["a", "b", "c"]
    assert review.parse_drugs('["a", "b; c"]') == ["a", "b; c"]
    assert review.format_drugs(["a", "b; c"]) == '["a", "b; c"]'
    assert review.parse_drugs('["a, b"]') == ["a, b"]
    for bad in ("", ";", '["a", 1]', '{"a": 1}', "[broken", "a, b", '"a"'):
        with pytest.raises(ValueError):
            review.parse_drugs(bad)
