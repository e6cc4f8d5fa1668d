"""PubMed efetch XML (``<PubmedArticleSet>``) to one block list per article.

Why: the abstract's ``Label`` attributes give the structured abstract
(BACKGROUND/METHODS/RESULTS…) as section headings; the metadata carries DOI,
PMCID, publication types and the trial registry ids (DataBankList
``ClinicalTrials.gov`` AccessionNumber). MeSH headings are kept as a
``boilerplate`` block: visible, never extracted from.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - element type only

from extractors.text.builder import DocBuilder, year_of
from extractors.text.jats import inline_nodes
from extractors.text.safe_xml import local, text_of


def articles_in(root: ET.Element) -> list[ET.Element]:
    """``PubmedArticle`` and ``PubmedBookArticle`` elements in document order."""
    if local(root.tag) in ("PubmedArticle", "PubmedBookArticle"):
        return [root]
    return [e for e in root if local(e.tag) in ("PubmedArticle", "PubmedBookArticle")]


def parse_article(art: ET.Element, builder: DocBuilder) -> dict[str, object]:
    """Emit one article's blocks and return its metadata."""
    citation = art.find("MedlineCitation")
    book = art.find("BookDocument")
    base = citation if citation is not None else book
    article = citation.find("Article") if citation is not None else book
    pmid = text_of(base.find("PMID")) if base is not None else ""
    title = ""
    if article is not None:
        t = article.find("ArticleTitle")
        if t is None:
            t = article.find("BookTitle")
        if t is not None:
            title = builder.add(inline_nodes(t, skip=frozenset()), "title")
        abstract = article.find("Abstract")
        if abstract is not None:
            for at in abstract.findall("AbstractText"):
                heading = (at.get("Label") or "").strip().title() or "Abstract"
                if at.get("Label"):
                    builder.add([(heading, False)], "abstract", heading)
                builder.add(inline_nodes(at, skip=frozenset()), "abstract", heading)
            copyright_info = abstract.find("CopyrightInformation")
            if copyright_info is not None:
                builder.add(inline_nodes(copyright_info), "declarations", "Copyright")
        authors = article.find("AuthorList")
        if authors is not None:
            names: list[str | tuple[str, bool]] = []
            for a in authors:
                for part in ("ForeName", "LastName", "CollectiveName"):
                    e = a.find(part)
                    if e is not None and e.text:
                        names.extend([e.text, (" ", False)])
                names.append((", ", False))
            builder.add(names, "front_matter", "Authors")
    if citation is not None:
        mesh = citation.find("MeshHeadingList")
        if mesh is not None:
            terms: list[str | tuple[str, bool]] = []
            for mh in mesh:
                d = mh.find("DescriptorName")
                if d is not None and d.text:
                    terms.extend([d.text, ("; ", False)])
            builder.add(terms, "boilerplate", "MeSH terms")
        kw = citation.find("KeywordList")
        if kw is not None:
            words: list[str | tuple[str, bool]] = []
            for k in kw:
                words.extend([*inline_nodes(k), ("; ", False)])
            builder.add(words, "front_matter", "Keywords")
    return _metadata(art, article, pmid, title)


def _metadata(art: ET.Element, article: ET.Element | None, pmid: str, title: str) -> dict[str, object]:
    doi = pmcid = journal = ""
    year = None
    types: list[str] = []
    trials: list[str] = []
    if article is not None:
        for eloc in article.findall("ELocationID"):
            if eloc.get("EIdType") == "doi" and not doi:
                doi = text_of(eloc)
        journal = text_of(article.find("Journal/Title"))
        pub = article.find("Journal/JournalIssue/PubDate")
        if pub is not None:
            year = year_of(text_of(pub.find("Year"))) or year_of(text_of(pub.find("MedlineDate")))
        if year is None:
            year = year_of(text_of(article.find("ArticleDate/Year")))
        types = [text_of(p) for p in article.findall("PublicationTypeList/PublicationType") if text_of(p)]
        for bank in article.findall("DataBankList/DataBank"):
            if "clinicaltrials" in text_of(bank.find("DataBankName")).lower().replace(" ", ""):
                trials.extend(text_of(a) for a in bank.findall("AccessionNumberList/AccessionNumber"))
    for aid in art.findall("PubmedData/ArticleIdList/ArticleId"):
        kind = aid.get("IdType")
        if kind == "doi" and not doi:
            doi = text_of(aid)
        elif kind == "pmc" and not pmcid:
            pmcid = text_of(aid)
    return {
        "title": title, "doi": doi, "pmid": pmid, "pmcid": pmcid, "journal": journal,
        "year": year, "publication_types": types, "trial_ids": trials, "notes": [],
    }
