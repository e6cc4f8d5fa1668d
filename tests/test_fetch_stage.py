"""``oncotriples run`` LIVE (not --offline) against the replay server standing in for every service.

The replay server answers with the recorded responses in ``../shared/fixtures``:
PubMed efetch is modelled (the recorded ``PubmedArticle`` elements, served for the
requested PMIDs), PMC JATS and CT.gov records are served as recorded. Two answers
have no recording and are built here with the documented shape (API_NOTES.md), as
the replay server does for ``/version``: the esearch JSON resolving the test DOI,
and a metadata-only (front matter, no ``<body>``) efetch db=pmc answer.

The config names DOI 10.1056/NEJMoa1715274 (PMID 29768149, whose DataBankList
names NCT02149199 — a trial not among the recorded CT.gov studies, so the replay
answers 404), PMID 27797938 (PMCID PMC5442267: metadata-only → abstract kept),
PMCID PMC3040717 (recorded full text) and NCT04267848 + NCT03418623 (recorded).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from replay_server import BIOC, CTGOV, EUROPEPMC, EUTILS, ReplayServer, fixtures_available
from werkzeug.wrappers import Request, Response

from pipeline.config import load_settings
from pipeline.stages.context import RunStats, WorkDir
from pipeline.stages.fetch import FetchOutcome, fetch_all, load_cursors
from pipeline.stages.parse import parse_stage, prefer_full_text
from pipeline.state.db import StateDB
from schemas.models import Document

pytestmark = pytest.mark.skipif(not fixtures_available(), reason="../shared/fixtures not present")

ROOT = Path(__file__).resolve().parents[1]
DOI = "10.1056/NEJMoa1715274"
CONFIG = f"""
[http]
timeout = 10.0
max_retries = 1
backoff_base = 0.01
backoff_max = 0.05

[ncbi]
requests_per_second = 200.0
email = "test@example.org"

[ctgov]
requests_per_second = 200.0

[europepmc]
requests_per_second = 200.0

[sources]
dois = ["{DOI}"]
pmids = ["27797938"]
pmcids = ["PMC3040717"]
pubmed_queries = ["EGFR T790M osimertinib resistance review"]
min_year = 2019
max_results_per_query = 20
nct_ids = ["NCT04267848", "NCT03418623"]
follow_trials = true
"""

# documented esearch JSON shape (API_NOTES.md); no recording exists for this DOI lookup
DOI_ESEARCH = json.dumps({"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {
    "count": "1", "retmax": "1", "retstart": "0", "idlist": ["29768149"], "translationset": [],
    "querytranslation": f"{DOI}[doi]"}}).encode()
# efetch db=pmc for a non open-access article: front matter only, HTTP 200 (API_NOTES.md)
METADATA_ONLY_PMC = (
    b'<?xml version="1.0"?>\n<pmc-articleset><article article-type="research-article"><front>'
    b'<article-meta><article-id pub-id-type="pmid">27797938</article-id>'
    b'<article-id pub-id-type="pmc">5442267</article-id><title-group><article-title>'
    b"Leucocyte telomere length, genetic variants at the TERT gene region and risk of pancreatic cancer"
    b"</article-title></title-group></article-meta></front></article></pmc-articleset>\n"
)


def _pubmed_articles(fixtures: Path) -> dict[str, bytes]:
    """PMID → recorded ``<PubmedArticle>`` element (first occurrence), from every efetch fixture."""
    out: dict[str, bytes] = {}
    for file in sorted((fixtures / "pubmed_efetch").glob("*.xml")):
        for art in ET.fromstring(file.read_bytes()):
            pmid = art.findtext("MedlineCitation/PMID")
            if pmid and pmid not in out:
                out[pmid] = ET.tostring(art, encoding="utf-8", xml_declaration=False)
    return out


def _serve(srv: ReplayServer) -> None:
    """Routes of the recorded answers the run asks for (plus the two documented-shape ones)."""
    articles = _pubmed_articles(srv.fixtures)

    def efetch_pubmed(request: Request) -> Response:
        params = {**request.args, **request.form}
        ids = [i for i in str(params.get("id", "")).split(",") if i]
        body = b"".join(articles[i] for i in ids if i in articles)
        return Response(b'<?xml version="1.0"?>\n<PubmedArticleSet>' + body + b"</PubmedArticleSet>\n", 200,
                        content_type="text/xml")

    srv.add_bytes("GET", f"{EUTILS}/esearch.fcgi", DOI_ESEARCH, params={"term": f"{DOI}[doi]"})
    srv.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biopython_esearch8.xml")  # recorded zero hits
    srv.routes.append(type(srv.routes[0])("GET", f"{EUTILS}/efetch.fcgi", {"db": "pubmed"}, efetch_pubmed))
    srv.routes.append(type(srv.routes[0])("POST", f"{EUTILS}/efetch.fcgi", {"db": "pubmed"}, efetch_pubmed))
    srv.add_file("GET", f"{EUTILS}/efetch.fcgi", "pmc_jats/biomcp_efetch_pmc3040717.xml", params={"db": "pmc", "id": "3040717"})
    srv.add_bytes("GET", f"{EUTILS}/efetch.fcgi", METADATA_ONLY_PMC, params={"db": "pmc", "id": "5442267"}, content_type="text/xml")


@pytest.fixture()
def served(server: ReplayServer) -> ReplayServer:
    """The replay server with the routes of this module's configuration."""
    _serve(server)
    return server


def _run(tmp: Path, srv: ReplayServer, name: str = "stats") -> tuple[int, dict]:
    config = tmp / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    stats = tmp / f"{name}.json"
    env = {**os.environ, **srv.settings_env(), "ONCOTRIPLES_NCBI_EMAIL": "test@example.org"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "oncotriples"), "run", "--config", str(config), "--workdir", str(tmp / "work"),
         "--releases-dir", str(tmp / "releases"), "--ner-model", "none", "--stats-json", str(stats)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert stats.is_file(), proc.stderr[-3000:]
    return proc.returncode, json.loads(stats.read_text(encoding="utf-8"))


def _table(release: Path, name: str) -> list[dict[str, str]]:
    with (release / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _failures(figures: dict) -> dict[str, str]:
    return {f["item"]: f["message"] for f in figures["failures"]}


def test_live_run_against_replay_trials_links_and_second_run_downloads_nothing(tmp_path, served):
    server = served
    code, first = _run(tmp_path, server, "first")
    # the only item that failed: the trial PubMed names that the recorded CT.gov data does not hold
    assert _failures(first) == {"NCT02149199": "unknown NCT id: NCT02149199: ctgov answered 404: NCT number NCT02149199 not found"}
    assert code == 2 and first["release"] == "1.0.0"
    # 3 documents: two PubMed articles + one PMC full text (stored per article, not the batch container)
    assert first["documents_fetched"] == 3 and first["trials"] == 2
    release = tmp_path / "releases" / "1.0.0"

    trials = {r["nct_id"]: r for r in _table(release, "trials.csv")}
    assert set(trials) == {"NCT03418623", "NCT04267848"}
    assert trials["NCT04267848"]["overall_status"] == "RECRUITING"
    assert trials["NCT04267848"]["brief_title"].startswith("Testing the Addition of a Type of Drug Called Immunotherapy")
    assert "PHASE3" in trials["NCT04267848"]["phases"]
    assert trials["NCT03418623"]["overall_status"] == "COMPLETED"
    assert trials["NCT03418623"]["brief_title"].startswith("Effect of GET73 on MRS Measures")

    links = [(r["doc_id"], r["nct_id"], r["how"]) for r in _table(release, "document_trials.csv")]
    assert links == [("pubmed:29768149", "NCT02149199", "metadata")]

    docs = {r["doc_id"] for r in _table(release, "documents.csv")}
    # PMC5442267 answered metadata only: its PubMed abstract is the document; PMC3040717 is full text
    assert docs == {"pubmed:29768149", "pubmed:27797938", "pmc:PMC3040717"}
    # the fetch cursors live in the state database only
    assert not (tmp_path / "work" / "fetch_state.json").exists()
    with StateDB(tmp_path / "work" / "state.sqlite") as db:
        ctgov = db.fetch_state("ctgov")
        assert set(db.fetch_states()) == {"ctgov", "pmc", "pubmed"}
    assert ctgov.data_timestamp == "2026-08-11T09:00:05"
    assert set(ctgov.cursor["trials"]) == {"NCT03418623", "NCT04267848"}
    assert ctgov.cursor["unknown"] == {"NCT02149199": "2026-08-11T09:00:05"}

    server.served.clear()
    code2, second = _run(tmp_path, server, "second")
    assert code2 == 2 and set(_failures(second)) == {"NCT02149199"}
    statuses = [(s.path, s.status) for s in server.served]
    assert statuses and all(status == 304 for _, status in statuses), statuses  # zero body downloads
    assert (f"{CTGOV}/version", 304) in statuses and not any(p.startswith(f"{CTGOV}/studies") for p, _ in statuses)
    assert second["documents_fetched"] == 0 and second["documents_extracted"] == 0


def test_a_500_on_one_item_is_recorded_and_the_rest_lands(tmp_path, served):
    server = served
    server.inject("500", f"{EUTILS}/efetch.fcgi", params={"db": "pmc", "id": "3040717"}, times=2)  # both attempts
    code, figures = _run(tmp_path, server)
    failures = _failures(figures)
    assert code == 2 and set(failures) == {"PMC3040717", "NCT02149199"}
    assert "500" in failures["PMC3040717"] and failures["PMC3040717"].endswith("(no full text this run)")
    release = tmp_path / "releases" / figures["release"]
    assert {r["nct_id"] for r in _table(release, "trials.csv")} == {"NCT03418623", "NCT04267848"}
    assert {r["doc_id"] for r in _table(release, "documents.csv")} == {"pubmed:29768149", "pubmed:27797938"}
    # the re-run completes the item that failed
    code2, again = _run(tmp_path, server, "again")
    assert set(_failures(again)) == {"NCT02149199"} and again["documents_fetched"] == 1


def _doc(doc_id: str, source: str, pmid: str = "", pmcid: str = "", notes: list[str] | None = None) -> Document:
    return Document(doc_id=doc_id, source=source, source_id=doc_id.split(":", 1)[1], text="x", pmid=pmid, pmcid=pmcid, notes=notes or [])


def test_prefer_full_text_rule():
    abstract = _doc("pubmed:1", "pubmed", pmid="1", pmcid="PMC9")
    full = _doc("pmc:PMC9", "pmc", pmid="1", pmcid="PMC9")
    assert [d.doc_id for d in prefer_full_text([abstract, full])] == ["pmc:PMC9"]
    meta_only = _doc("pmc:PMC9", "pmc", pmid="1", notes=["metadata-only: JATS has no <body>; text is title and abstract only"])
    kept = prefer_full_text([abstract, meta_only])
    assert [d.doc_id for d in kept] == ["pubmed:1"] and "metadata-only" in kept[0].notes[-1]
    alone = _doc("pmc:PMC7", "pmc", pmcid="PMC7", notes=["metadata-only: no body"])
    assert [d.doc_id for d in prefer_full_text([alone])] == ["pmc:PMC7"]


# -- full-text fallback (Europe PMC, BioC-PMC) and the cursor store, in process ----------------------------


def _metadata_only(numeric: str, title: str) -> bytes:
    """An efetch db=pmc answer without ``<body>`` (documented shape, API_NOTES.md), with a title and abstract."""
    return (
        f'<?xml version="1.0"?>\n<pmc-articleset><article article-type="research-article"><front><article-meta>'
        f'<article-id pub-id-type="pmc">{numeric}</article-id><title-group><article-title>{title}</article-title>'
        f"</title-group><abstract><p>{title}: the abstract only.</p></abstract></article-meta></front></article>"
        f"</pmc-articleset>\n"
    ).encode()


def _serve_full_text(srv: ReplayServer) -> None:
    """PMC3040717: full text in PMC. PMC3258128: metadata-only in PMC, full text in Europe PMC.
    PMC10926278: metadata-only in PMC, Europe PMC answers its recorded not-open-access ``errorBean``,
    BioC-PMC has it (recorded JSON)."""
    srv.add_file("GET", f"{EUTILS}/efetch.fcgi", "pmc_jats/biomcp_efetch_pmc3040717.xml", params={"db": "pmc", "id": "3040717"})
    for numeric, title in (("3258128", "Hepato-specific microRNA-122"), ("10926278", "A physiology report")):
        srv.add_bytes("GET", f"{EUTILS}/efetch.fcgi", _metadata_only(numeric, title), params={"db": "pmc", "id": numeric},
                      content_type="text/xml")
    srv.add_file("GET", f"{EUROPEPMC}/PMC3258128/fullTextXML", "europepmc/fulltext/PMC3258128_fullTextXML.xml")
    srv.add_file("GET", f"{EUROPEPMC}/PMC10926278/fullTextXML",
                 "europepmc/biomcp_supplementaryFiles_PMC3040717_not_open_access.xml")
    srv.add_file("GET", f"{BIOC}/BioC_json/PMC10926278/unicode", "bioc/pmc_bioc_json_unicode_PMC10926278.json")


def _settings(srv: ReplayServer, tmp: Path, **sources):
    return load_settings(env=srv.settings_env(), overrides={
        "pipeline": {"workdir": str(tmp / "work")},
        "http": {"timeout": 10.0, "max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.05},
        "ncbi": {"requests_per_second": 200.0, "email": "test@example.org"},
        "ctgov": {"requests_per_second": 200.0},
        "europepmc": {"requests_per_second": 200.0},
        "sources": {"dois": [], "pmids": [], "pubmed_queries": [], "nct_ids": [], "follow_trials": False,
                    "pmcids": ["PMC3040717", "PMC3258128", "PMC10926278"], **sources},
    })


def _fetch(settings, stats: RunStats | None = None) -> tuple[FetchOutcome, RunStats]:
    stats = stats or RunStats()
    work = WorkDir(settings.workdir)
    with StateDB(settings.state_db) as db:
        return fetch_all(settings, work, stats, state=db), stats


def test_full_text_fallback_is_off_by_default(tmp_path, server):
    _serve_full_text(server)
    outcome, stats = _fetch(_settings(server, tmp_path))
    assert stats.failed == 0 and outcome.pmcids_metadata_only == ["PMC3258128", "PMC10926278"]
    assert outcome.pmcids_full_text_fallback == {} and set(outcome.sources) == {"pmc"}
    assert not any(s.path.startswith((EUROPEPMC, BIOC)) for s in server.served)
    assert outcome.documents == 1  # the PMC full text; the metadata-only answers are not documents


def test_full_text_fallback_asks_services_in_order_and_parse_prefers_the_full_text(tmp_path, server):
    _serve_full_text(server)
    settings = _settings(server, tmp_path, full_text_fallback=["europepmc", "bioc"])
    outcome, stats = _fetch(settings)
    assert stats.failed == 0, stats.failures
    assert outcome.pmcids_full_text_fallback == {"PMC3258128": "europepmc", "PMC10926278": "pmc-bioc"}
    asked = [s.path for s in server.served if s.path.startswith((EUROPEPMC, BIOC))]
    # in order, and only until one has the article; PMC3040717 (full text in PMC) is never asked
    assert asked == [f"{EUROPEPMC}/PMC3258128/fullTextXML", f"{EUROPEPMC}/PMC10926278/fullTextXML",
                     f"{BIOC}/BioC_json/PMC10926278/unicode"]
    assert any("PMC10926278: europepmc has no full text" in n and "not open access" in n for n in outcome.notes)
    assert any(n.startswith("PMC3258128: PMC answered metadata only") and n.endswith("the full text from europepmc is used")
               for n in outcome.notes)
    assert {"europepmc", "pmc-bioc"} <= set(outcome.sources) and outcome.documents == 3
    work = WorkDir(settings.workdir)
    assert work.raw.latest("europepmc", "PMC3258128").format_hint == "jats"
    assert work.raw.latest("pmc-bioc", "PMC10926278").format_hint == "bioc_json"

    documents, _ = parse_stage(work, RunStats())
    assert {d.doc_id for d in documents} == {"pmc:PMC3040717", "europepmc:PMC3258128", "pmc-bioc:PMC10926278"}
    europe = next(d for d in documents if d.source == "europepmc")
    assert "microRNA-122" in europe.title and len(europe.text) > 10_000  # the body, not the abstract

    server.served.clear()
    again, stats2 = _fetch(settings)
    assert stats2.failed == 0 and again.documents == 0
    # everything revalidated (304) but the refused errorBean, which is never cached so it is asked again
    assert [(s.path, s.status) for s in server.served if s.status != 304] == [(f"{EUROPEPMC}/PMC10926278/fullTextXML", 200)]
    assert again.pmcids_full_text_fallback == outcome.pmcids_full_text_fallback


def test_a_failing_fallback_is_a_failure_of_that_item_and_the_abstract_stays(tmp_path, server):
    _serve_full_text(server)
    server.inject("500", f"{EUROPEPMC}/PMC3258128/fullTextXML", times=2)  # both attempts
    outcome, stats = _fetch(_settings(server, tmp_path, full_text_fallback=["europepmc"]))
    failures = {f.item: f.message for f in stats.failures}
    assert set(failures) == {"europepmc:PMC3258128"} and "500" in failures["europepmc:PMC3258128"]
    assert outcome.pmcids_full_text_fallback == {}
    assert any(n.startswith("PMC3258128: PMC answered metadata only") and n.endswith("the PubMed abstract is used")
               for n in outcome.notes)


def test_cursors_of_an_older_fetch_state_json_move_into_the_state_db(tmp_path, server):
    settings = _settings(server, tmp_path, pmcids=[])
    legacy = {"ctgov": {"data_timestamp": "2026-08-11T09:00:05", "last_success": "2026-11-01",
                        "trials": {"NCT04267848": "2026-11-01"}, "unknown": {}},
              "pubmed": {"last_success": "2026-11-01"}}
    settings.workdir.mkdir(parents=True)
    (settings.workdir / "fetch_state.json").write_text(json.dumps(legacy), encoding="utf-8")
    with StateDB(settings.state_db) as db:
        assert load_cursors(db, WorkDir(settings.workdir)) == {
            "ctgov": legacy["ctgov"], "pubmed": legacy["pubmed"]}
    _fetch(settings)
    assert not (settings.workdir / "fetch_state.json").exists()
    with StateDB(settings.state_db) as db:
        ctgov = db.fetch_state("ctgov")
        assert (ctgov.last_success, ctgov.data_timestamp) == ("2026-11-01", "2026-08-11T09:00:05")
        assert ctgov.cursor == {"trials": {"NCT04267848": "2026-11-01"}, "unknown": {}}
        assert load_cursors(db, WorkDir(settings.workdir))["ctgov"] == legacy["ctgov"]
