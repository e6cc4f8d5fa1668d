"""The ``assertions`` table: released triples rolled up across documents (INDRA style), and its
three files, descriptor entries and checksums in a release."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pipeline.stages.assertions import roll_up
from pipeline.stages.release import ChangeSet, ReleaseContent, build_release_files
from schemas.models import Assertion, Triple
from schemas.vocab import EVIDENCE_LEVELS, EVIDENCE_STRENGTH, assertion_key, assertion_key_id


def t(doc: str = "d1", drugs: tuple[str, ...] = ("osimertinib",), gene: str = "EGFR", alteration: str = "C797S", outcome: str = "resistance", *,
      level: str = "review", confidence: float = 0.5, start: int = 0, status: str = "pending", disease: str | None = None, nct: tuple[str, ...] = (),
      disease_ids: tuple[str, ...] = ()) -> Triple:
    fields = {
        "doc_id": doc, "evidence": f"{doc} {start}", "sentence": f"{doc} {start}", "drugs": list(drugs), "gene": gene, "alteration": alteration,
        "outcome": outcome, "evidence_level": level, "confidence": confidence, "sentence_start": start, "sentence_end": start + 10,
        "curation_status": status, "nct_ids": list(nct), "disease": disease or "", "disease_ids": list(disease_ids),
    }
    fields["triple_id"] = f"{doc}-{'+'.join(drugs)}-{gene}-{alteration}-{outcome}-{start}-{disease}"
    return Triple.model_validate(fields)


def one(triples: list[Triple]) -> Assertion:
    rows = roll_up(triples)
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------------ grouping


@pytest.mark.parametrize(
    ("triples", "n_rows"),
    [
        ([t("d1"), t("d2")], 1),  # same claim in two documents
        ([t("d1", ("osimertinib", "savolitinib")), t("d2", ("Savolitinib", "Osimertinib"))], 1),  # drug order and case
        ([t("d1", alteration="T790M+C797S"), t("d2", alteration="C797S+T790M")], 1),  # compound order
        ([t("d1", gene="egfr"), t("d2", gene="EGFR")], 1),
        ([t("d1"), t("d2", outcome="sensitivity")], 2),  # another outcome is another assertion
        ([t("d1"), t("d2", ("gefitinib",))], 2),
        ([t("d1"), t("d2", alteration="T790M")], 2),
        ([t("d1", disease="lung adenocarcinoma"), t("d2", disease="Lung Adenocarcinoma")], 1),
        ([t("d1", disease="lung adenocarcinoma"), t("d2", disease="squamous cell lung carcinoma")], 2),  # grouped by disease when present
        ([t("d1", disease=""), t("d2")], 1),  # an empty disease is the same as none
        # one ontology class under two labels is one disease; two classes are two
        ([t("d1", disease="NSCLC", disease_ids=("MONDO:0005233",)), t("d2", disease="non-small cell lung carcinoma", disease_ids=("MONDO:0005233",))], 1),
        ([t("d1", disease="lung cancer", disease_ids=("MONDO:0008903",)), t("d2", disease="lung cancer", disease_ids=("MONDO:0005233",))], 2),
        ([], 0),
    ],
)
def test_roll_up_groups_by_drug_gene_alteration_outcome_disease(triples: list[Triple], n_rows: int) -> None:
    rows = roll_up(triples)
    assert len(rows) == n_rows
    assert sorted(tid for a in rows for tid in a.triple_ids) == sorted(x.triple_id for x in triples)
    assert len({a.assertion_id for a in rows}) == n_rows


def test_roll_up_figures() -> None:
    triples = [
        t("d1", level="review", confidence=0.2, start=0),
        t("d1", ("Osimertinib",), level="preclinical", confidence=0.4, start=50, status="accepted"),  # a second sentence of d1
        t("d2", level="clinical_trial", confidence=0.9, start=0, status="edited", nct=("NCT03778229",)),
        t("d3", outcome="sensitivity", confidence=0.7),
        t("d4", outcome="investigation", confidence=0.1),
        t("d5", ("gefitinib",), outcome="sensitivity"),  # other drug: no conflict
    ]
    by_outcome = {(tuple(d.lower() for d in a.drugs), a.outcome): a for a in roll_up(triples)}
    a = by_outcome[(("osimertinib",), "resistance")]
    assert (a.n_documents, a.n_sentences, a.n_triples) == (2, 3, 3)
    assert a.best_evidence_level == "clinical_trial"
    assert a.n_conflicting == 2  # d3 sensitivity + d4 investigation
    assert a.mean_confidence == 0.5
    assert a.n_curated == 2
    assert a.doc_ids == ["d1", "d2"] and a.nct_ids == ["NCT03778229"] and a.triple_ids == sorted(x.triple_id for x in triples[:3])
    assert a.gene == "EGFR" and a.disease == ""
    assert by_outcome[(("osimertinib",), "sensitivity")].n_conflicting == 4  # 3 resistance + 1 investigation
    assert by_outcome[(("gefitinib",), "sensitivity")].n_conflicting == 0


def test_conflicts_count_across_diseases_and_disease_is_kept() -> None:
    rows = roll_up([t("d1", disease="Lung Adenocarcinoma"), t("d2", outcome="sensitivity", disease="Colorectal Carcinoma")])
    assert {(a.disease, a.n_conflicting) for a in rows} == {("Lung Adenocarcinoma", 1), ("Colorectal Carcinoma", 1)}


def test_assertion_id_is_deterministic_and_ignores_the_supporting_triples() -> None:
    a = one([t("d1"), t("d2")])
    assert one([t("d2"), t("d1")]) == a
    assert one([t("d9", confidence=0.9)]).assertion_id == a.assertion_id
    assert a.assertion_id == assertion_key_id(assertion_key(["osimertinib"], "EGFR", "C797S", "resistance", ""))
    assert one([t("d1", disease="Lung Adenocarcinoma")]).assertion_id != a.assertion_id


def test_evidence_strength_orders_every_level_once() -> None:
    assert sorted(EVIDENCE_STRENGTH) == sorted(EVIDENCE_LEVELS)


@pytest.mark.parametrize(("levels", "best"), [(["review", "preclinical"], "preclinical"), (["case_report", "retrospective"], "retrospective"), (["review"], "review")])
def test_best_evidence_level(levels: list[str], best: str) -> None:
    assert one([t(f"d{i}", level=level) for i, level in enumerate(levels)]).best_evidence_level == best


# ------------------------------------------------------------------ in a release


def build(triples: list[Triple], rejected: list[Triple] | None = None) -> dict[str, bytes]:
    content = ReleaseContent(triples=triples, rejected=rejected or [], versions={"x": "1"}, run_id="r", created="2026-12-03T00:00:00Z")
    return build_release_files("1.0.0", content, None, ChangeSet())


def jsonl(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.decode("utf-8").splitlines() if x.strip()]


def test_release_writes_assertions_in_three_formats_described_and_checksummed() -> None:
    import pyarrow.parquet as pq

    files = build([t("d1", ("osimertinib", "savolitinib")), t("d2", ("savolitinib", "osimertinib")), t("d3", outcome="sensitivity")])
    rows = jsonl(files["assertions.jsonl"])
    assert sorted((r["drugs"], r["n_documents"]) for r in rows) == [(["osimertinib"], 1), (["osimertinib", "savolitinib"], 2)]
    parquet = pq.read_table(io.BytesIO(files["assertions.parquet"]))
    assert str(parquet.schema.field("triple_ids").type) == "list<element: string>"
    assert parquet.to_pylist() == rows
    table = list(csv.DictReader(io.StringIO(files["assertions.csv"].decode("utf-8"))))
    assert [json.loads(r["triple_ids"]) for r in table] == [r["triple_ids"] for r in rows]
    descriptor = json.loads(files["datapackage.json"])
    names = {r["name"]: r for r in descriptor["resources"]}
    committed = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "table" / "assertions.json").read_text(encoding="utf-8"))
    assert names["assertions"]["schema"] == committed and names["assertions"]["path"] == "assertions.csv"
    assert names["assertions_parquet"]["path"] == "assertions.parquet"
    manifest = json.loads(files["manifest.json"])
    sums = files["SHA256SUMS"].decode("utf-8")
    for name in ("assertions.csv", "assertions.jsonl", "assertions.parquet"):
        assert name in manifest["files"] and f"  {name}\n" in sums
    assert manifest["counts"]["assertions"] == 2
    card = files["README.md"].decode("utf-8")
    assert "from 'assertions.parquet'" in card and "unnest(drugs)" in card and "| 2 |" in card


def test_rejected_triples_feed_no_assertion() -> None:
    kept = [t("d1"), t("d2", outcome="sensitivity")]
    gone = [t("d3", status="rejected"), t("d4", outcome="investigation", status="rejected")]
    rows = jsonl(build(kept, rejected=gone)["assertions.jsonl"])
    assert {r["outcome"]: r["n_triples"] for r in rows} == {"resistance": 1, "sensitivity": 1}
    assert {r["outcome"]: r["n_conflicting"] for r in rows} == {"resistance": 1, "sensitivity": 1}
    assert not {x.triple_id for x in gone} & {tid for r in rows for tid in r["triple_ids"]}


def test_a_release_without_triples_has_empty_typed_tables() -> None:
    import pyarrow.parquet as pq

    files = build([])
    for table in ("triples", "assertions"):
        parquet = pq.read_table(io.BytesIO(files[f"{table}.parquet"]))
        assert parquet.num_rows == 0 and str(parquet.schema.field("triple_ids" if table == "assertions" else "drugs").type) == "list<element: string>"
        assert files[f"{table}.jsonl"] == b""
