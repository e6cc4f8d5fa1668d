"""CT.gov v2 JSON → Trial, bad bodies, NCT id finding, and the registry-triple inputs."""

from __future__ import annotations

import json

import pytest
from replay_server import fixture, fixtures_available

from pipeline.sources.ctgov.parse import (
    inclusion_criteria,
    parse_studies_page,
    parse_study_json,
    parse_version,
    study_to_trial,
    trial_triples_inputs,
)
from pipeline.sources.europepmc.parse import check_fulltext_xml, parse_search
from pipeline.sources.eutils.parse import parse_esearch, pubmed_article_ids, safe_xml
from schemas.errors import ParseError, ServiceError, UnsafeXMLError
from schemas.vocab import find_nct_ids, normalize_nct_id, unique_nct_ids

needs_fixtures = pytest.mark.skipif(not fixtures_available(), reason="../shared/fixtures not present")


def _bytes(rel: str) -> bytes:
    return fixture(rel).read_bytes()


@needs_fixtures
@pytest.mark.parametrize("path", sorted(p.name for p in fixture("ctgov_v2/studies").glob("*.json")) if fixtures_available() else [])
def test_every_recorded_study_parses(path):
    trial = parse_study_json(_bytes(f"ctgov_v2/studies/{path}"), raw_sha256="abc")
    assert trial.nct_id.startswith("NCT") and trial.brief_title and trial.overall_status.isupper()
    assert trial.raw_sha256 == "abc"


@needs_fixtures
def test_nsclc_trial_fields():
    t = parse_study_json(_bytes("ctgov_v2/studies/NCT04267848.json"))
    assert t.nct_id == "NCT04267848" and t.overall_status == "RECRUITING" and t.phases == ["PHASE3"]
    assert t.study_type == "INTERVENTIONAL" and "Lung Non-Small Cell Carcinoma" in t.conditions
    assert ("Carboplatin", "DRUG") in [(i.name, i.type) for i in t.interventions]
    assert t.enrollment == 1210 and t.sponsor == "National Cancer Institute (NCI)"
    assert t.reference_pmids == ["33878954"] and not t.has_results and t.results == []
    assert t.arms and t.primary_outcomes and t.eligibility_criteria.startswith("Inclusion Criteria")


@needs_fixtures
def test_posted_results_with_analyses():
    t = parse_study_json(_bytes("ctgov_v2/studies/NCT03064438.json"))
    assert t.has_results and len(t.results) == 10
    first = t.results[0]
    assert first.title == "Change From Baseline in Total Lesion Count at Week 12"
    assert first.unit == "number of lesions" and first.dispersion_type == "Standard Error"
    assert first.groups == {"OG000": "ACU-D1 Ointment", "OG001": "ACU-D1 Ointment Vehicle"}
    assert first.values[0] == {"group": "OG000", "value": "-10.2", "lower": "", "upper": "", "spread": "1.08"}
    a = first.analyses[0]
    assert (a.p_value, a.ci_pct, a.ci_low, a.ci_high, a.param_value) == ("0.366", "95", "-2.162", "5.727", "1.8")


def test_hazard_ratio_analysis_shape():
    study = {
        "protocolSection": {"identificationModule": {"nctId": "NCT00000001", "briefTitle": "t"}},
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [{
            "title": "Progression-free survival", "paramType": "MEDIAN", "unitOfMeasure": "months",
            "groups": [{"id": "OG000", "title": "Osimertinib"}],
            "classes": [{"categories": [{"measurements": [
                {"groupId": "OG000", "value": "18.9", "lowerLimit": "15.2", "upperLimit": "21.4"}]}]}],
            "analyses": [{"paramType": "Hazard Ratio (HR)", "paramValue": "0.46", "ciPctValue": "95",
                          "ciLowerLimit": "0.37", "ciUpperLimit": "0.57", "pValue": "<0.001",
                          "groupIds": ["OG000", "OG001"], "statisticalMethod": "Log Rank"}]}]}},
        "hasResults": True,
    }
    t = study_to_trial(study)
    a = t.results[0].analyses[0]
    assert (a.param_type, a.param_value, a.ci_low, a.ci_high, a.p_value) == ("Hazard Ratio (HR)", "0.46", "0.37", "0.57", "<0.001")
    assert t.results[0].values[0]["lower"] == "15.2"


@needs_fixtures
def test_search_page_paging_fields():
    page = parse_studies_page(_bytes("ctgov_v2/search/biomcp_search_phelan_limit5_20260811.json"))
    assert len(page.studies) == 5 and page.total_count == 21 and page.next_page_token
    last = parse_studies_page(_bytes("ctgov_v2/search/biomcp_search_phelan_limit50_20260811.json"))
    assert last.next_page_token is None


@needs_fixtures
def test_truncated_json_is_refused():
    data = _bytes("ctgov_v2/studies/NCT03418623.json")
    with pytest.raises(ParseError, match="truncated JSON"):
        parse_study_json(data[: len(data) // 2])


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML"),
        (b"", "empty"),
        (b'{"studies": "nope"}', "no 'studies' list"),
        (b'{"studies": [{"protocolSection": {}}]}', "nctId"),
    ],
)
def test_bad_pages_are_refused(body, message):
    with pytest.raises(ParseError, match=message):
        parse_studies_page(body)


def test_version():
    assert parse_version(b'{"apiVersion":"2.0.5","dataTimestamp":"2026-08-11T09:00:05"}')["dataTimestamp"]


def test_inclusion_criteria_and_triple_inputs():
    study = {"protocolSection": {
        "identificationModule": {"nctId": "NCT01234567", "briefTitle": "Osimertinib in EGFR T790M-positive NSCLC",
                                 "officialTitle": "A Phase II Study"},
        "conditionsModule": {"conditions": ["NSCLC"], "keywords": ["MET amplification"]},
        "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n* EGFR C797S\n\nExclusion Criteria:\n\n* ALK-rearranged"},
        "armsInterventionsModule": {"armGroups": [{"label": "A", "description": "osimertinib 80 mg"}]},
    }}
    pairs = dict(trial_triples_inputs(study_to_trial(study)))
    assert pairs["brief_title"].startswith("Osimertinib") and pairs["official_title"] == "A Phase II Study"
    assert pairs["conditions[0]"] == "NSCLC" and pairs["keywords[0]"] == "MET amplification"
    assert "C797S" in pairs["eligibility_criteria.inclusion"] and "ALK" not in pairs["eligibility_criteria.inclusion"]
    assert pairs["arms[0].description"] == "osimertinib 80 mg"
    assert inclusion_criteria("no headings here") == "no headings here"


def test_nct_ids_found_normalized_and_malformed_reported():
    text = "see NCT04291196, nct 02296125 and (NCT-01234567); the typo NCT0429119 and NCT123456789."
    mentions = find_nct_ids(text)
    assert [(m.nct_id, m.status) for m in mentions] == [
        ("NCT04291196", "ok"), ("NCT02296125", "ok"), ("NCT01234567", "ok"),
        ("NCT0429119", "malformed"), ("NCT123456789", "malformed"),
    ]
    bad = mentions[3]
    assert text[bad.start:bad.end] == "NCT0429119" and "found 7" in bad.reason
    assert unique_nct_ids(text + " NCT04291196")[0] == ["NCT04291196", "NCT02296125", "NCT01234567"]
    assert normalize_nct_id(" nct04291196 ") == "NCT04291196" and normalize_nct_id("NCT0429119") is None
    assert find_nct_ids("FNCT12345678 xNCT12345678") == []


# -- E-utilities / Europe PMC result parsers -----------------------------------------------


@needs_fixtures
def test_esearch_parsers_and_errors():
    res = parse_esearch(_bytes("eutils/biomcp_esearch_pten_d326n.json"))
    assert res.count == 3 and res.ids == ["32150788", "29373119", "17427195"]
    with pytest.raises(ServiceError, match="Neither query_key nor id specified"):
        parse_esearch(_bytes("eutils/biopython_esummary8.xml"))
    with pytest.raises(ServiceError, match="rate limit"):
        parse_esearch(_bytes("eutils/biomcp_esummary_http429_rate_limit.json"))
    with pytest.raises(ServiceError):
        parse_esearch(b'{"esearchresult": {"ERROR": "Invalid db name specified: pubmd"}}')


def test_unsafe_xml_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    for body in (laughs, xxe):
        with pytest.raises(UnsafeXMLError):
            safe_xml(body)
    with pytest.raises(ParseError, match="HTML"):
        safe_xml(b"<!DOCTYPE html><html><body><p>oops</body></html>")


@needs_fixtures
def test_pubmed_ids_and_europepmc():
    assert pubmed_article_ids(_bytes("pubmed_efetch/biopython_pubmed1.xml")) == ["12091962", "9997"]
    page = parse_search(_bytes("europepmc/pyeuropepmc_search_cancer.json"))
    assert page.hit_count == 5059039 and len(page.hits) == 25 and page.next_cursor
    assert check_fulltext_xml(_bytes("europepmc/fulltext/PMC12458764_fullTextXML.xml")) == ""
    with pytest.raises(ServiceError, match="not open access"):
        check_fulltext_xml(_bytes("europepmc/biomcp_supplementaryFiles_PMC3040717_not_open_access.xml"))
    assert json.loads(_bytes("europepmc/pyeuropepmc_search_no_results.json"))["hitCount"] == 0
    assert parse_search(_bytes("europepmc/pyeuropepmc_search_no_results.json")).hits == []
