"""Multi-article inputs (PubMed sets, PMC article sets, BioC collections): one document per article.

Why: ``oncotriples extract`` once kept only the first article of such a file. Every article must
become its own document, ``<stem>-<PMID | PMCID | BioC id>``, while a single-article file keeps
the file stem as its ``doc_id`` (and so its ``triple_id``s).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.stages.extract import extract_paths

FIRST = "The EGFR C797S mutation confers resistance to osimertinib in patients with EGFR-mutant NSCLC."
SECOND = "The KRAS G12C mutation predicts response to sotorasib in patients with KRAS-mutant NSCLC."


def _pubmed_article(pmid: str, title: str, abstract: str) -> str:
    return f"""<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">{pmid}</PMID>
    <Article PubModel="Print">
      <Journal><Title>Journal of Thoracic Oncology</Title>
        <JournalIssue CitedMedium="Internet"><PubDate><Year>2020</Year></PubDate></JournalIssue></Journal>
      <ArticleTitle>{title}</ArticleTitle>
      <Abstract><AbstractText>{abstract}</AbstractText></Abstract>
    </Article>
  </MedlineCitation>
  <PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData>
</PubmedArticle>"""


def _pubmed(*articles: tuple[str, str, str]) -> str:
    body = "\n".join(_pubmed_article(*a) for a in articles)
    return f'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet>\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n'


def _jats_article(pmcid: str, title: str, abstract: str) -> str:
    return f"""<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
  <front>
    <journal-meta><journal-title-group><journal-title>Lung Cancer</journal-title></journal-title-group></journal-meta>
    <article-meta>
      <article-id pub-id-type="pmc">{pmcid.removeprefix("PMC")}</article-id>
      <title-group><article-title>{title}</article-title></title-group>
      <pub-date pub-type="epub"><year>2021</year></pub-date>
      <abstract><p>{abstract}</p></abstract>
    </article-meta>
  </front>
  <body><sec><title>Results</title><p>{abstract}</p></sec></body>
</article>"""


def _jats(*articles: tuple[str, str, str]) -> str:
    body = "\n".join(_jats_article(*a) for a in articles)
    return f'<?xml version="1.0" ?>\n<pmc-articleset>\n{body}\n</pmc-articleset>\n'


def _bioc_document(ident: str, title: str, abstract: str) -> str:
    passages = "".join(
        f"""
    <passage><infon key="section_type">{st}</infon><infon key="type">{pt}</infon><offset>0</offset><text>{text}</text></passage>"""
        for st, pt, text in (("TITLE", "front", title), ("ABSTRACT", "abstract", abstract))
    )
    return f"  <document><id>{ident}</id>{passages}\n  </document>"


def _bioc(*documents: tuple[str, str, str]) -> str:
    body = "\n".join(_bioc_document(*d) for d in documents)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE collection SYSTEM "BioC.dtd">\n<collection><source>PMC</source><date>20240101</date><key>BioC.key</key>\n{body}\n</collection>\n'


def _bioc_json(*documents: tuple[str, str, str]) -> str:
    docs: list[dict[str, Any]] = [
        {
            "id": ident,
            "infons": {},
            "passages": [
                {"infons": {"section_type": st, "type": pt}, "offset": 0, "text": text, "annotations": []}
                for st, pt, text in (("TITLE", "front", title), ("ABSTRACT", "abstract", abstract))
            ],
        }
        for ident, title, abstract in documents
    ]
    return json.dumps({"source": "PMC", "date": "20240101", "key": "BioC.key", "documents": docs})


CASES = [
    pytest.param(_pubmed, "set.xml", ("11748933", "11700088"), ("set-11748933", "set-11700088"), id="pubmed-efetch-set"),
    pytest.param(_jats, "articles.xml", ("PMC6329583", "PMC3040717"), ("articles-PMC6329583", "articles-PMC3040717"), id="pmc-articleset"),
    pytest.param(_bioc, "collection.xml", ("PMC10020673", "PMC10926278"), ("collection-PMC10020673", "collection-PMC10926278"), id="bioc-xml-collection"),
    pytest.param(_bioc_json, "collection.json", ("PMC10020673", "PMC10926278"), ("collection-PMC10020673", "collection-PMC10926278"), id="bioc-json-collection"),
    pytest.param(_bioc, "named.xml", ("doc-a", "doc-b"), ("named-doc-a", "named-doc-b"), id="bioc-plain-document-ids"),
    pytest.param(_pubmed, "dup.xml", ("11748933", "11748933"), ("dup-11748933", "dup-11748933.2"), id="repeated-pmid-stays-unique"),
]


@pytest.mark.parametrize(("build", "name", "idents", "doc_ids"), CASES)
def test_every_article_becomes_a_document(nlp_rules: Any, tmp_path: Path, build: Any, name: str, idents: tuple[str, str], doc_ids: tuple[str, str]) -> None:
    path = tmp_path / name
    path.write_text(build((idents[0], "Osimertinib resistance", FIRST), (idents[1], "Sotorasib response", SECOND)), encoding="utf-8")
    result = extract_paths([path], nlp_rules)
    assert not result.failures, result.failures
    assert [d.doc_id for d in result.documents] == list(doc_ids)
    by_doc = {(t.doc_id, t.alteration) for t in result.triples}
    assert (doc_ids[0], "C797S") in by_doc, by_doc
    assert (doc_ids[1], "G12C") in by_doc, by_doc
    assert len({t.triple_id for t in result.triples}) == len(result.triples)


@pytest.mark.parametrize(
    ("build", "ident"),
    [
        pytest.param(_pubmed, "11748933", id="pubmed-one-article"),
        pytest.param(_jats, "PMC6329583", id="pmc-one-article"),
        pytest.param(_bioc, "PMC10020673", id="bioc-xml-one-document"),
        pytest.param(_bioc_json, "PMC10020673", id="bioc-json-one-document"),
    ],
)
def test_single_article_keeps_file_stem(nlp_rules: Any, tmp_path: Path, build: Any, ident: str) -> None:
    path = tmp_path / "paper.xml"
    path.write_text(build((ident, "Osimertinib resistance", FIRST)), encoding="utf-8")
    result = extract_paths([path], nlp_rules)
    assert not result.failures, result.failures
    assert [d.doc_id for d in result.documents] == ["paper"]
    assert result.triples and {t.doc_id for t in result.triples} == {"paper"}
    assert not any("only the first" in n for d in result.documents for n in d.notes)


UNREADABLE = ("1234", "56 78")
"""Title and abstract of an article with no readable text (digits only)."""


@pytest.mark.parametrize(
    ("build", "name", "idents", "bad_doc_id"),
    [
        pytest.param(_pubmed, "set.xml", ("11748933", "99999999", "11700088"), "set-99999999", id="pubmed-efetch-set"),
        pytest.param(_jats, "articles.xml", ("PMC6329583", "PMC9999999", "PMC3040717"), "articles-PMC9999999", id="pmc-articleset"),
        pytest.param(_bioc, "collection.xml", ("PMC10020673", "PMC99", "PMC10926278"), "collection-PMC99", id="bioc-xml-collection"),
        pytest.param(_bioc_json, "collection.json", ("PMC10020673", "PMC99", "PMC10926278"), "collection-PMC99", id="bioc-json-collection"),
    ],
)
def test_unreadable_article_is_a_recorded_failure_and_the_others_are_kept(
    nlp_rules: Any, tmp_path: Path, build: Any, name: str, idents: tuple[str, str, str], bad_doc_id: str
) -> None:
    path = tmp_path / name
    text = build((idents[0], "Osimertinib resistance", FIRST), (idents[1], *UNREADABLE), (idents[2], "Sotorasib response", SECOND))
    path.write_text(text.replace(f"<title>Results</title><p>{UNREADABLE[1]}</p>", f"<p>{UNREADABLE[1]}</p>"), encoding="utf-8")
    result = extract_paths([path], nlp_rules)
    assert [d.doc_id for d in result.documents] == [f"{path.stem}-{idents[0]}", f"{path.stem}-{idents[2]}"]
    assert {t.alteration for t in result.triples} >= {"C797S", "G12C"}
    assert len(result.failures) == 1, result.failures
    failure = result.failures[0]
    assert failure.input == str(path)
    assert failure.message.startswith(f"{path}: article {idents[1]} (2 of 3") and bad_doc_id in failure.message and "\n" not in failure.message


def test_extract_command_reports_the_unreadable_article_and_exits_2(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "set.xml"
    path.write_text(_pubmed(("11748933", "Osimertinib resistance", FIRST), ("99999999", *UNREADABLE)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-c", "from pipeline.cli import app; app()", "extract", str(path), "--out", str(out), "--ner-model", "none"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "article 99999999" in errors[0] and str(path) in errors[0], proc.stderr
    assert "WARNING" not in proc.stderr
    assert {json.loads(line)["doc_id"] for line in out.read_text(encoding="utf-8").splitlines()} == {"set-11748933"}
