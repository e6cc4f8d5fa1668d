"""HTML (PMC article pages and generic web pages) to a Document, with BeautifulSoup.

Why: HTML pages wrap the article in navigation, banners and scripts. The
parser drops page chrome, finds the article container (PMC's
``main-article-body``, ``<article>``, ``<main>``, else ``<body>``), walks
block elements in order and labels them from section classes (``abstract``,
``ref-list``, ``fn-group``, ``ack``) and from heading words.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from extractors.text.builder import CELL_SEP, ROW_SEP, DocBuilder, year_of
from extractors.text.sections import classify_heading
from schemas.vocab import PMCID_IN_TEXT_RE

Node = str | tuple[str, bool]

CHROME_TAGS = ("script", "style", "noscript", "svg", "nav", "header", "footer", "aside", "form", "button", "template", "iframe", "select", "input")
BLOCK_TAGS = frozenset({"p", "li", "dd", "dt", "blockquote", "pre", "figcaption", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr"})
CONTAINER_SKIP_CLASS = re.compile(r"\b(?:usa-banner|pmc-header|usa-modal|share|social|cookie|navigation|breadcrumb|pmc-sidenav|ncbi-footer|sidebar)\b", re.I)


def _classes(tag: Tag) -> str:
    return " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "")


def _strings(tag: Tag) -> list[Node]:
    return [str(s) for s in tag.descendants if isinstance(s, NavigableString) and not isinstance(s, Comment)]


class HtmlWalker:
    def __init__(self, builder: DocBuilder) -> None:
        self.b = builder

    def walk(self, tag: Tag, label: str, heading: str) -> str:
        """Walk children; returns the label/heading state after this container (headings carry on)."""
        state = (label, heading)
        for child in tag.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if child.strip():
                    self.b.add([str(child)], state[0], state[1])
                continue
            if not isinstance(child, Tag):
                continue
            state = self.visit(child, *state)
        return state  # type: ignore[return-value]

    def visit(self, tag: Tag, label: str, heading: str) -> tuple[str, str]:
        name = tag.name
        cls = _classes(tag).lower()
        if CONTAINER_SKIP_CLASS.search(cls):
            return label, heading
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = tag.get_text(" ", strip=True)
            kind = classify_heading(text)
            if re.match(r"^(?:table|figure|fig\.?)\s*\d", text, re.I):
                self.b.add(_strings(tag), "caption" if label in ("body", "abstract") else label, heading)
                return label, heading
            if kind == "boilerplate":
                kind = "declarations"
            new_label = {"abstract": "abstract", "body": "body"}.get(kind or "", kind or label)
            if label == "references" and kind is None:
                new_label = "references"
            if label == "front_matter" and kind is None:
                new_label = "body"
            self.b.add(_strings(tag), new_label, text)
            return new_label, text
        if name == "table":
            extractable = label in ("body", "abstract")
            cap = tag.find("caption")
            if cap is not None:
                self.b.add(_strings(cap), "caption" if extractable else label, heading)
            nodes: list[Node] = []
            for r, tr in enumerate(tag.find_all("tr")):
                if r:
                    nodes.append((ROW_SEP, False))
                for c, cell in enumerate(tr.find_all(["td", "th"])):
                    if c:
                        nodes.append((CELL_SEP, False))
                    nodes.extend(_strings(cell) or [(" ", False)])
            self.b.add(nodes, "table" if extractable else label, heading)
            return label, heading
        if name in ("figcaption", "caption"):
            self.b.add(_strings(tag), "caption" if label in ("body", "abstract") else label, heading)
            return label, heading
        if name in BLOCK_TAGS and not tag.find(list(BLOCK_TAGS - {"h1", "h2", "h3", "h4", "h5", "h6"})):
            self.b.add(_strings(tag), label, heading)
            return label, heading
        sub_label = self._container_label(cls, label)
        if sub_label != label:
            self.walk(tag, sub_label, heading)
            return label, heading
        return self.walk(tag, label, heading)  # type: ignore[return-value]

    @staticmethod
    def _container_label(cls: str, label: str) -> str:
        if re.search(r"\babstract\b", cls):
            return "abstract"
        if re.search(r"\bref-list\b|\breferences?\b|\bbibliography\b", cls):
            return "references"
        if re.search(r"\b(?:fn-group|ack|footnotes?|notes|permissions|license|copyright)\b", cls):
            return "declarations"
        if re.search(r"\b(?:front-matter|history|article-meta|contrib|affiliations?|authors?)\b", cls):
            return "front_matter"
        return label


def _meta(soup: BeautifulSoup, name: str) -> str:
    tag = soup.find("meta", attrs={"name": name})
    return str(tag.get("content", "")).strip() if isinstance(tag, Tag) else ""


def parse_html(raw: str, builder: DocBuilder) -> dict[str, object]:
    """Emit the page's blocks; return metadata from ``citation_*`` meta tags."""
    soup = BeautifulSoup(raw, "lxml")
    meta = {
        "title": _meta(soup, "citation_title") or _meta(soup, "dc.title"),
        "doi": _meta(soup, "citation_doi") or _meta(soup, "dc.identifier").removeprefix("doi:"),
        "pmid": _meta(soup, "citation_pmid"),
        "journal": _meta(soup, "citation_journal_title"),
        "year": year_of(_meta(soup, "citation_publication_date") or _meta(soup, "citation_date") or _meta(soup, "dc.date")),
    }
    m = PMCID_IN_TEXT_RE.search(_meta(soup, "citation_fulltext_html_url") + _meta(soup, "citation_abstract_html_url") + _meta(soup, "citation_pmcid"))
    meta["pmcid"] = m.group() if m else ""
    for tag in soup.find_all(CHROME_TAGS):
        tag.decompose()
    root = soup.select_one("section.main-article-body") or soup.find("article") or soup.find("main") or soup.body or soup
    title_text = meta["title"]
    if root is not None and not root.find("h1"):
        h1 = soup.find("h1") or soup.find("title")
        if isinstance(h1, Tag):
            t = builder.add(_strings(h1), "title")
            title_text = title_text or t
    walker = HtmlWalker(builder)
    if isinstance(root, Tag):
        first_h1 = root.find("h1")
        if isinstance(first_h1, Tag):
            title_text = title_text or first_h1.get_text(" ", strip=True)
        walker.walk(root, "front_matter" if root.find(class_=re.compile("abstract")) else "body", "")
    # an <h1> inside the article is the title
    for s in builder.sections:
        if s.heading and s.heading == title_text and s.label != "title":
            s.label = "title"
            s.heading = ""
            break
    return {**meta, "title": title_text, "publication_types": [], "trial_ids": [], "notes": []}
