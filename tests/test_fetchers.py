"""Every fetcher against recorded responses on the local replay server, plus its faults."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from replay_server import BIOC, CTGOV, EUROPEPMC, EUTILS, fixture, fixtures_available

from pipeline.config import HttpSettings
from pipeline.sources.bioc.api import BiocFetcher
from pipeline.sources.ctgov.api import CtgovFetcher
from pipeline.sources.europepmc.api import EuropePmcFetcher
from pipeline.sources.eutils.api import EutilsFetcher
from pipeline.sources.http import PoliteClient
from pipeline.sources.rawstore import RawStore
from schemas.errors import ParseError, ServiceError, UnsafeXMLError

pytestmark = pytest.mark.skipif(not fixtures_available(), reason="../shared/fixtures not present")

FAST = HttpSettings(timeout=1.0, max_retries=2, backoff_base=0.001, backoff_max=0.01)
RATES = {"ctgov": 1000.0, "ncbi": 1000.0, "europepmc": 1000.0}
KNOWN = ["NCT04267848", "NCT03418623", "NCT03064438"]
REPLAY_SYNTHESIZE = True
"""Never-recorded ids are served as clones (the N=1500 paging test); see the ``replay_server`` fixture."""


@pytest.fixture()
def store(tmp_path: Path) -> RawStore:
    return RawStore(tmp_path / "raw")


@pytest.fixture()
def client(tmp_path: Path, store: RawStore):
    with PoliteClient(FAST, rates=RATES, cache_path=tmp_path / "cache.sqlite", raw_store=store,
                      ncbi_params={"tool": "oncotriples", "email": "test@example.org"}, sleep=lambda s: None) as c:
        yield c


def list_requests(client: PoliteClient) -> int:
    return sum(1 for e in client.log if "/studies?" in e.url)


# -- ClinicalTrials.gov ---------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 1500])
def test_ctgov_ids_cost_ceil_n_over_1000_list_requests(server, client, n):
    ids = KNOWN if n == 3 else [f"NCT{50_000_000 + i:08d}" for i in range(n)]
    if n > 3:
        client.raw_store = None  # 1500 fsynced raw objects take ~15 s; request counting is what is tested
    result = CtgovFetcher(client, base_url=server.url(CTGOV)).fetch_by_ids(ids)
    assert len(result.studies) == n and not result.unknown and not result.errors
    assert list_requests(client) == math.ceil(n / 1000) == len(client.log)
    sizes = [len(s.query["filter.ids"].split(",")) for s in server.served]
    assert sizes == ([3] if n == 3 else [1000, 500])


def test_ctgov_page_token_paging_within_a_batch(server, client):
    fetcher = CtgovFetcher(client, base_url=server.url(CTGOV), page_size=1000)
    fetcher.page_size = 2  # two ids per request, then pageToken within the batch is not needed
    result = fetcher.fetch_by_ids(KNOWN)
    assert set(result.studies) == set(KNOWN) and list_requests(client) == 2


def test_ctgov_unknown_and_malformed_explained_by_single_requests(server, client, store):
    result = CtgovFetcher(client, base_url=server.url(CTGOV)).fetch_by_ids(["NCT04267848", "NCT99999999"])
    assert set(result.studies) == {"NCT04267848"}
    assert result.unknown == {"NCT99999999": "NCT99999999: ctgov answered 404: NCT number NCT99999999 not found"}
    raw = result.studies["NCT04267848"].raw
    assert raw is not None and store.latest("ctgov", "NCT04267848").sha256 == raw.sha256
    assert json.loads(store.get_bytes(raw.sha256))["protocolSection"]["identificationModule"]["nctId"] == "NCT04267848"


def test_ctgov_failed_batch_is_reported_and_rerun_completes(server, client, store):
    fetcher = CtgovFetcher(client, base_url=server.url(CTGOV), page_size=2)
    server.inject("truncated", f"{CTGOV}/studies", params={"filter.ids": "NCT03064438"})
    first = fetcher.fetch_by_ids(KNOWN)
    assert set(first.studies) == {"NCT04267848", "NCT03418623"}
    assert "NCT03064438" in first.errors and "truncated JSON" in first.errors["NCT03064438"]
    assert "NCT batch 2" in first.errors["NCT03064438"]
    assert store.latest("ctgov", "NCT03064438") is None  # no partial record stored as if whole
    second = fetcher.fetch_by_ids(KNOWN)
    assert set(second.studies) == set(KNOWN) and not second.errors


def test_ctgov_html_error_page_with_200(server, client):
    server.inject("html200", f"{CTGOV}/studies")
    result = CtgovFetcher(client, base_url=server.url(CTGOV)).fetch_by_ids(KNOWN[:1])
    assert "HTML" in result.errors["NCT04267848"] and not result.studies


def test_ctgov_search_pages_with_page_token(server, client):
    base = {"query.cond": "Phelan-McDermid Syndrome"}
    server.add_file("GET", f"{CTGOV}/studies", "ctgov_v2/search/biomcp_search_phelan_limit5_20260811.json", params=base)
    token = json.loads(fixture("ctgov_v2/search/biomcp_search_phelan_limit5_20260811.json").read_text())["nextPageToken"]
    server.add_file("GET", f"{CTGOV}/studies", "ctgov_v2/search/biomcp_search_phelan_next_20260811.json",
                    params={**base, "pageToken": token})
    fetcher = CtgovFetcher(client, base_url=server.url(CTGOV))
    found = [s.nct_id for s in fetcher.search(cond="Phelan-McDermid Syndrome", page_size=5, max_studies=10)]
    assert found[:3] == ["NCT02710084", "NCT05105685", "NCT01525901"] and len(found) == 10
    assert [s.query.get("pageToken") for s in server.served] == [None, token]


def test_ctgov_incremental_query_term(server, client):
    server.add_file("GET", f"{CTGOV}/studies", "ctgov_v2/search/biomcp_search_nsclc_egfr_l858r_20260811.json",
                    params={"query.cond": "non-small cell lung cancer"})
    fetcher = CtgovFetcher(client, base_url=server.url(CTGOV))
    got = [s.nct_id for s in fetcher.search(cond="non-small cell lung cancer", intr="osimertinib",
                                            term="EGFR", updated_since="2024-01-01")]
    assert got == ["NCT06382129", "NCT06604689"]
    sent = server.served[-1].query
    assert sent["query.intr"] == "osimertinib"
    assert sent["query.term"] == "EGFR AND AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]"


def test_ctgov_version(server, client):
    assert CtgovFetcher(client, base_url=server.url(CTGOV)).data_timestamp() == "2026-08-11T09:00:05"


# -- E-utilities ------------------------------------------------------------------------


def test_esearch_json_paging_with_retstart(server, client):
    server.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biomcp_esearch_apc_e1317q_retmax100.json")
    ids = EutilsFetcher(client, base_url=server.url(EUTILS)).search_ids("APC p.E1317Q", max_results=150, page_size=100)
    assert len(ids) == 100 and ids[0] == "42555032"
    assert [s.query["retstart"] for s in server.served] == ["0", "100"]
    assert all(s.query["usehistory"] == "y" and s.query["tool"] for s in server.served)


def test_esearch_xml_with_history_and_zero_hits(server, client):
    from pipeline.sources.eutils.parse import parse_esearch

    res = parse_esearch(fixture("eutils/biopython_esearch2.xml").read_bytes())
    assert res.count == 42249 and res.webenv.startswith("MCID_") and res.query_key == "1" and len(res.ids) == 100
    server.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biopython_esearch8.xml")
    page = EutilsFetcher(client, base_url=server.url(EUTILS)).esearch_page("abcXYZ")
    assert page.count == 0 and page.ids == [] and any("PhraseNotFound" in n for n in page.notes)


def test_eutils_error_element_with_200_is_a_service_error(server, client):
    server.inject("xml_error200", f"{EUTILS}/esearch.fcgi")
    with pytest.raises(ServiceError, match="Neither query_key nor id specified"):
        EutilsFetcher(client, base_url=server.url(EUTILS)).esearch_page("anything")


@pytest.mark.parametrize("fault", ["billion_laughs", "xxe"])
def test_eutils_entity_xml_refused(server, client, store, fault):
    server.inject(fault, f"{EUTILS}/efetch.fcgi")
    with pytest.raises(UnsafeXMLError):
        EutilsFetcher(client, base_url=server.url(EUTILS)).efetch_pubmed(["12091962"])
    assert store.latest("pubmed", "12091962") is None


def test_doi_to_pmid(server, client):
    server.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biomcp_esearch_mlh1_g67e.json",
                    params={"term": "10.1200/JCO.21.01845[doi]"})
    server.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biopython_esearch8.xml")
    fetcher = EutilsFetcher(client, base_url=server.url(EUTILS))
    assert fetcher.doi_to_pmid("10.1200/JCO.21.01845") == json.loads(
        fixture("eutils/biomcp_esearch_mlh1_g67e.json").read_text())["esearchresult"]["idlist"][0]
    assert fetcher.doi_to_pmid("10.0000/none") is None


def test_efetch_pubmed_batches_get_and_post(server, client, store):
    server.add_file("GET", f"{EUTILS}/efetch.fcgi", "pubmed_efetch/biopython_pubmed1.xml", params={"db": "pubmed"})
    server.add_file("POST", f"{EUTILS}/efetch.fcgi", "pubmed_efetch/biopython_pubmed2.xml", params={"db": "pubmed"})
    fetcher = EutilsFetcher(client, base_url=server.url(EUTILS), batch_size=500, post_threshold=200)
    (small,) = fetcher.efetch_pubmed(["12091962", "9997"])
    assert small.returned == ["12091962", "9997"] and set(small.articles) == {"12091962", "9997"}
    assert b"<PMID" in store.get_bytes(store.latest("pubmed", "9997").sha256)
    many = [str(20_000_000 + i) for i in range(250)]
    (big,) = fetcher.efetch_pubmed(many)
    assert server.served[-1].method == "POST" and big.returned == ["11748933", "11700088"]
    assert len(big.missing) == 250


def test_efetch_pmc_full_text_and_metadata_only(server, client):
    server.add_file("GET", f"{EUTILS}/efetch.fcgi", "pmc_jats/biomcp_efetch_pmc3040717.xml", params={"db": "pmc"})
    got = EutilsFetcher(client, base_url=server.url(EUTILS)).efetch_pmc("PMC3040717")
    assert got.info.has_body and got.info.pmcid == "PMC3040717" and got.info.pmid == "20516115"
    from pipeline.sources.eutils.parse import pmc_article_info

    front_only = b"<pmc-articleset><article><front><article-meta><article-id pub-id-type='pmc'>1</article-id>" \
                 b"</article-meta></front></article></pmc-articleset>"
    (info,) = pmc_article_info(front_only)
    assert not info.has_body and "fall back to the abstract" in info.note


def test_elink(server, client):
    server.add_file("GET", f"{EUTILS}/elink.fcgi", "eutils/biopython_elink1.xml")
    links = EutilsFetcher(client, base_url=server.url(EUTILS)).elink(["9298984"], dbfrom="pubmed", db="pubmed")
    assert links and all(isinstance(v, list) for v in links.values())


# -- BioC ---------------------------------------------------------------------------------


def test_bioc_json_and_not_open_access(server, client):
    server.add_file("GET", f"{BIOC}/BioC_json/PMC10926278/unicode", "bioc/pmc_bioc_json_unicode_PMC10926278.json")
    server.add_bytes("GET", f"{BIOC}/BioC_json/PMC3040717/unicode",
                     b"[Error] : No result can be found. <BR><HR><B> - Fail to get the BioC", content_type="text/html")
    fetcher = BiocFetcher(client, base_url=server.url(BIOC))
    got = fetcher.fetch_json("PMC10926278")
    assert got.documents == ["PMC10926278"] and got.passages > 0 and got.raw is not None
    with pytest.raises(ServiceError, match="PMC3040717"):
        fetcher.fetch_json("PMC3040717")


# -- Europe PMC ---------------------------------------------------------------------------


def test_europepmc_cursor_paging_stops_on_short_page(server, client):
    first = json.loads(fixture("europepmc/pyeuropepmc_search_cancer.json").read_text())
    server.add_file("GET", f"{EUROPEPMC}/search", "europepmc/pyeuropepmc_search_cancer.json", params={"cursorMark": "*"})
    server.add_file("GET", f"{EUROPEPMC}/search", "europepmc/pyeuropepmc_search_cancer_page2.json",
                    params={"cursorMark": first["nextCursorMark"]})
    hits = list(EuropePmcFetcher(client, base_url=server.url(EUROPEPMC)).search("cancer", page_size=25))
    assert len(hits) == 30 and hits[0].pmid == "39709209"
    assert [s.query["cursorMark"] for s in server.served] == ["*", first["nextCursorMark"]]


def test_europepmc_cursor_repeat_stops(server, client):
    doc = json.loads(fixture("europepmc/pyeuropepmc_search_cancer.json").read_text())
    doc["nextCursorMark"] = "SAME"
    server.add_bytes("GET", f"{EUROPEPMC}/search", json.dumps(doc).encode())
    hits = list(EuropePmcFetcher(client, base_url=server.url(EUROPEPMC)).search("cancer", page_size=25))
    assert len(hits) == 50 and len(server.served) == 2  # '*' then 'SAME', which repeats → stop


def test_europepmc_no_results_and_truncated(server, client):
    server.add_file("GET", f"{EUROPEPMC}/search", "europepmc/pyeuropepmc_search_no_results.json")
    fetcher = EuropePmcFetcher(client, base_url=server.url(EUROPEPMC))
    assert list(fetcher.search("asdkfj")) == []
    server.inject("truncated", f"{EUROPEPMC}/search")
    with pytest.raises(ParseError, match="truncated or invalid JSON"):
        list(fetcher.search("asdkfj2"))


def test_europepmc_fulltext_and_error_bean(server, client):
    server.add_file("GET", f"{EUROPEPMC}/PMC3258128/fullTextXML", "europepmc/fulltext/PMC3258128_fullTextXML.xml")
    server.add_file("GET", f"{EUROPEPMC}/PMC3040717/fullTextXML",
                    "europepmc/biomcp_supplementaryFiles_PMC3040717_not_open_access.xml")
    fetcher = EuropePmcFetcher(client, base_url=server.url(EUROPEPMC))
    got = fetcher.fulltext_xml("PMC3258128")
    assert got.note == "" and got.raw is not None and got.raw.format_hint == "jats"
    with pytest.raises(ServiceError, match="not open access"):
        fetcher.fulltext_xml("PMC3040717")
