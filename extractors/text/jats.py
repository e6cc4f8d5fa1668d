"""JATS XML (PMC efetch ``<pmc-articleset>``, Europe PMC ``fullTextXML`` bare ``<article>``) to Documents.

Why element-driven: JATS already says what each block is (``abstract``,
``sec/title``, ``fig/caption``, ``table-wrap``, ``ref-list``, ``ack``,
``fn-group``), which beats guessing from text. Section titles are still
classified (``Funding``, ``Competing interests`` sections inside ``body``).
A record without ``<body>`` (non-OA articles come back metadata-only with
HTTP 200) keeps title and abstract and records a note.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - element type only
from collections.abc import Iterator

from extractors.text.builder import CELL_SEP, ROW_SEP, DocBuilder, nct_ids_in, year_of
from extractors.text.safe_xml import local, text_of
from extractors.text.sections import classify_heading

Node = str | tuple[str, bool]
FLOAT_OK = frozenset({"body", "abstract", "declarations"})
"""Figures/tables are article content even when a manuscript parks them in ``<back>``."""

NESTED_BLOCKS = frozenset(
    {"fig", "fig-group", "table-wrap", "table-wrap-group", "list", "disp-quote", "boxed-text", "def-list",
     "supplementary-material", "disp-formula", "graphic", "media", "table", "p", "sec", "statement"}
)
SKIP_INLINE = frozenset({"tex-math", "annotation", "object-id", "alt-text", "graphic", "inline-graphic"})


def inline_nodes(elem: ET.Element, nested: list[ET.Element] | None = None, skip: frozenset[str] = NESTED_BLOCKS) -> list[Node]:
    """Text nodes of ``elem`` in order; block-level children go to ``nested`` for separate blocks."""
    out: list[Node] = []
    if elem.text:
        out.append(elem.text)
    for child in elem:
        name = local(child.tag)
        if name in skip:
            if nested is not None:
                nested.append(child)
        elif name in SKIP_INLINE or not name:
            pass
        else:
            out.extend(inline_nodes(child, nested, skip))
        if child.tail:
            out.append(child.tail)
    return out


def _with_space(nodes: list[Node]) -> list[Node]:
    return [*nodes, (" ", False)]


class JatsWalker:
    """Emit blocks for one JATS ``<article>`` into a :class:`DocBuilder`."""

    def __init__(self, builder: DocBuilder) -> None:
        self.b = builder

    def block(self, nodes: list[Node], label: str, heading: str) -> None:
        self.b.add(nodes, label, heading)

    def walk(self, elem: ET.Element, label: str, heading: str) -> None:
        name = local(elem.tag)
        if name in ("sec", "app", "abstract", "trans-abstract", "notes", "glossary", "ack", "fn-group", "bio"):
            title = next((c for c in elem if local(c.tag) == "title"), None)
            new_label = self._section_label(elem, title, label)
            new_heading = heading
            if title is not None and text_of(title):
                new_heading = text_of(title)
                self.block(inline_nodes(title), new_label, new_heading)
            for child in elem:
                if child is not title and local(child.tag) not in ("label",):
                    self.walk(child, new_label, new_heading)
            return
        if name == "ref-list":
            for child in elem:
                cname = local(child.tag)
                if cname == "ref":
                    self.block(inline_nodes(child, skip=frozenset()), "references", "References")
                elif cname == "title":
                    self.block(inline_nodes(child), "references", "References")
                elif cname == "ref-list":
                    self.walk(child, "references", "References")
            return
        if name in ("p", "title", "def", "term", "attrib", "statement", "verse-line"):
            nested: list[ET.Element] = []
            self.block(inline_nodes(elem, nested), label, heading)
            for child in nested:
                self.walk(child, label, heading)
            return
        if name in ("fig", "supplementary-material", "boxed-text"):
            cap_label = "caption" if label in FLOAT_OK else label
            nodes: list[Node] = []
            nested = []
            for child in elem:
                if local(child.tag) in ("label", "caption"):
                    nodes.extend(_with_space(inline_nodes(child, nested, skip=frozenset({"table", "fig", "list"}))))
            self.block(nodes, cap_label, heading)
            if name == "boxed-text":
                for child in elem:
                    if local(child.tag) not in ("label", "caption"):
                        self.walk(child, label, heading)
            return
        if name == "table-wrap":
            extractable = label in FLOAT_OK
            nodes = []
            for child in elem:
                if local(child.tag) in ("label", "caption"):
                    nodes.extend(_with_space(inline_nodes(child, skip=frozenset({"table", "fig"}))))
            self.block(nodes, "caption" if extractable else label, heading)
            for table in elem.iter():
                if local(table.tag) == "table":
                    self.block(list(table_nodes(table)), "table" if extractable else label, heading)
            for child in elem:
                if local(child.tag) == "table-wrap-foot":
                    self.block(inline_nodes(child, skip=frozenset()), "caption" if extractable else label, heading)
            return
        if name in ("disp-formula", "graphic", "media", "object-id", "label", "tex-math", "alternatives"):
            return
        for child in elem:
            self.walk(child, label, heading)

    @staticmethod
    def _section_label(elem: ET.Element, title: ET.Element | None, label: str) -> str:
        name = local(elem.tag)
        if name in ("abstract", "trans-abstract"):
            return "front_matter" if elem.get("abstract-type") in ("graphical", "teaser") else "abstract"
        if name in ("ack", "fn-group", "notes", "glossary", "bio"):
            return "declarations"
        sec_type = (elem.get("sec-type") or "").lower()
        if sec_type in ("supplementary-material", "coi-statement", "data-availability", "ethics-statement", "funding-information", "author-contributions", "abbreviations"):
            return "declarations"
        if label in ("references", "declarations", "front_matter", "boilerplate"):
            return label
        kind = classify_heading(text_of(title)) if title is not None else None
        if kind in ("references", "declarations"):
            return kind
        if kind == "boilerplate":
            return "declarations"
        return label


def table_nodes(table: ET.Element) -> Iterator[Node]:
    """Rows as nodes: cells separated by CELL_SEP, rows by ROW_SEP (tabs/newlines after cleanup)."""
    first_row = True
    for tr in table.iter():
        if local(tr.tag) != "tr":
            continue
        if not first_row:
            yield (ROW_SEP, False)
        first_row = False
        first_cell = True
        for cell in tr:
            if local(cell.tag) not in ("td", "th"):
                continue
            if not first_cell:
                yield (CELL_SEP, False)
            first_cell = False
            nodes = inline_nodes(cell, skip=frozenset())
            yield from nodes if nodes else [(" ", False)]


def article_ids(meta: ET.Element | None) -> dict[str, str]:
    ids: dict[str, str] = {}
    if meta is None:
        return ids
    for aid in meta.findall("article-id"):
        kind = (aid.get("pub-id-type") or "").lower()
        value = text_of(aid)
        if kind and value:
            ids.setdefault(kind, value)
    return ids


def pmcid_from(ids: dict[str, str]) -> str:
    for key in ("pmcid", "pmc", "pmcaid"):
        value = ids.get(key, "")
        if value:
            digits = value.upper().removeprefix("PMC")
            if digits.isdigit():
                return f"PMC{digits}"
    return ""


def pub_year(meta: ET.Element | None) -> int | None:
    if meta is None:
        return None
    dates = meta.findall("pub-date")
    order = ("epub", "ppub", "pub", "collection", "")
    dates.sort(key=lambda d: order.index(t) if (t := (d.get("pub-type") or d.get("date-type") or "")) in order else len(order))
    for d in dates:
        y = year_of(text_of(d.find("year")))
        if y:
            return y
    return None


def parse_article(article: ET.Element, builder: DocBuilder) -> dict[str, object]:
    """Emit one article's blocks; return its metadata for the Document."""
    front = next((c for c in article if local(c.tag) == "front"), None)
    meta = front.find("article-meta") if front is not None else None
    journal_meta = front.find("journal-meta") if front is not None else None
    walker = JatsWalker(builder)
    title = ""
    if meta is not None:
        tg = meta.find("title-group")
        at = tg.find("article-title") if tg is not None else None
        if at is not None:
            title = builder.add(inline_nodes(at, skip=frozenset()), "title")
        contribs = meta.find("contrib-group")
        if contribs is not None:
            names: list[Node] = []
            for c in contribs.iter():
                if local(c.tag) in ("surname", "given-names"):
                    names.extend(_with_space(inline_nodes(c)))
            builder.add(names, "front_matter")
        for aff in meta.iter("aff"):
            builder.add(inline_nodes(aff, skip=frozenset({"label"})), "front_matter")
        for abstract in [c for c in meta if local(c.tag) in ("abstract", "trans-abstract")]:
            walker.walk(abstract, "abstract", "Abstract")
        for kwd in meta.findall("kwd-group"):
            kw: list[Node] = []
            for k in kwd:
                if local(k.tag) == "kwd":
                    kw.extend([*inline_nodes(k), ("; ", False)])
            builder.add(kw, "front_matter", "Keywords")
    body = next((c for c in article if local(c.tag) == "body"), None)
    notes: list[str] = []
    if body is not None:
        walker.walk(body, "body", "")
    else:
        notes.append("metadata-only: JATS has no <body>; text is title and abstract only")
    floats = next((c for c in article if local(c.tag) == "floats-group"), None)
    if floats is not None:  # figures and tables collected after the body (PMC efetch)
        walker.walk(floats, "body" if body is not None else "front_matter", "")
    back = next((c for c in article if local(c.tag) == "back"), None)
    if back is not None:
        walker.walk(back, "declarations", "")
    ids = article_ids(meta)
    trial_ids = [text_of(e) for e in article.iter() if local(e.tag) == "ext-link" and (e.get("ext-link-type") or "").lower() in ("clinical-trial", "clinicaltrials", "ctgov")]
    journal = ""
    if journal_meta is not None:
        jt = next((e for e in journal_meta.iter() if local(e.tag) == "journal-title"), None)
        journal = text_of(jt)
    return {
        "title": title,
        "doi": ids.get("doi", ""),
        "pmid": ids.get("pmid", ""),
        "pmcid": pmcid_from(ids),
        "journal": journal,
        "year": pub_year(meta),
        "publication_types": [article.get("article-type")] if article.get("article-type") else [],
        "trial_ids": trial_ids,
        "notes": notes,
    }


def articles_in(root: ET.Element) -> list[ET.Element]:
    """``<article>`` elements of a ``pmc-articleset`` (or the bare root)."""
    if local(root.tag) == "article":
        return [root]
    return [e for e in root.iter() if local(e.tag) == "article"]


def metadata_nct(meta: dict[str, object], text: str) -> list[str]:
    return nct_ids_in(text, meta.get("trial_ids", []))  # type: ignore[arg-type]
