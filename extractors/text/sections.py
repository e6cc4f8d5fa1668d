"""Section labelling for plain and Markdown-ish article text (and PubMed page dumps).

Why: only title, abstract, body, table and caption text may feed extraction;
references, declarations (funding, conflicts of interest, contributions …),
front matter and web-page chrome must never produce triples. Text extracted
from PDFs and web pages has no markup, so sections are found from paragraph
shapes: headings are short stand-alone lines, known heading words switch the
state, and some paragraphs are recognised on their own (``Funding: …``,
``*Correspondence:``, e-mail lines, ``doi:`` lines).

Also used by the structured parsers through :func:`classify_heading`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.models import Section

# --------------------------------------------------------------------------- heading vocabulary


def _norm(heading: str) -> str:
    """Lower-case heading without numbering, markup and trailing colon."""
    h = heading.strip().strip("#*_ ").strip()
    h = re.sub(r"^(?:[0-9]+(?:\.[0-9]+)*\.?|[IVX]+\.|[A-H]\.)\s+", "", h)
    h = h.rstrip(":.").strip().lower()
    return re.sub(r"\s+", " ", h.replace("’", "'"))


_REFERENCE_HEADS = re.compile(r"^(?:references?(?: and notes| cited)?|bibliography|literature cited|works cited|reference list|cited literature)$")
_DECLARATION_HEADS = re.compile(
    r"^(?:acknowledg(?:e)?ments?|funding(?: information| sources?| statement)?|financial (?:support|disclosure)s?"
    r"|sources? of funding|grant support|conflicts? of interests?(?: statement)?|competing interests?|declaration of (?:competing )?interests?"
    r"|declarations?(?: of interest)?|disclosures?(?: statement)?|author(?:s'|s’|s)? contributions?|contributions|contributors"
    r"|credit authorship contribution statement|ethics(?: approval)?(?: and consent to participate| statement| declarations?)?"
    r"|ethical (?:statement|approval|considerations)|consent for publication|patient consent(?: statement)?"
    r"|data (?:availability|sharing)(?: statement)?|availability of data(?: and materials?)?|code availability"
    r"|abbreviations?(?: list)?|list of abbreviations|footnotes?|notes|author details|author information|authors' information"
    r"|affiliations?|correspondence|publisher's note|open access(?: statement)?|provenance and peer review|peer review(?: file)?"
    r"|reporting checklist|supplementary (?:information|materials?|data)|supporting information|electronic supplementary material"
    r"|additional files?|supplementary material \d+|rights and permissions|about this article|copyright|license|orcid)$"
)
_BOILERPLATE_HEADS = re.compile(
    r"^(?:conflict of interest statement|mesh terms|substances|similar articles|cited by|linkout - more resources"
    r"|full text links|publication types|related information|grants and funding|comment in|comment on|erratum in"
    r"|associated data|figures|actions|share|cite|page navigation|pubmed disclaimer|supplementary concepts"
    r"|gene symbol|keywords|secondary source id)$"
)
_ABSTRACT_HEADS = re.compile(r"^(?:abstract|summary|structured abstract|graphical abstract|highlights|key points)$")
_ABSTRACT_LABELS = (
    r"Background(?: and (?:Objectives?|Aims?|Purpose))?|Objectives?|Purpose|Aims?|Context|Rationale|Introduction"
    r"|Methods?|Materials and Methods|Patients and Methods|Design|Setting|Participants|Patients|Interventions?|Experimental Design"
    r"|Main Outcomes? and Measures?|Measurements|Results|Findings|Key Content and Findings|Conclusions?|Conclusions and Relevance"
    r"|Interpretation|Significance|Implications|Trial Registration|Clinical Trial Registration|Evidence Acquisition|Evidence Synthesis"
)
_ABSTRACT_LABEL_PARA = re.compile(rf"^(?:{_ABSTRACT_LABELS})(?:\s*[:.]\s*|\s+(?-i:(?=[A-Z(])))", re.IGNORECASE)
"""A structured-abstract paragraph: its label, then a colon or a capitalised sentence ("Patients with …" is prose)."""
_ABSTRACT_LABEL_HEAD = re.compile(rf"^(?!introduction$)(?:{_ABSTRACT_LABELS})$", re.IGNORECASE)
_BODY_HEADS = re.compile(
    r"^(?:introduction|background|methods?|materials and methods|patients and methods|methodology|results|discussion"
    r"|results and discussion|conclusions?|concluding remarks|case (?:report|presentation|description)s?|limitations"
    r"|statistical analysis|study design|outlook|future directions|perspectives?)$"
)


#: the label each heading vocabulary switches to, first match wins (boilerplate before declarations: PubMed's
#: "conflict of interest statement" is page chrome)
_HEAD_LABELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_REFERENCE_HEADS, "references"),
    (_BOILERPLATE_HEADS, "boilerplate"),
    (_DECLARATION_HEADS, "declarations"),
    (_ABSTRACT_HEADS, "abstract"),
    (_BODY_HEADS, "body"),
)


def classify_heading(heading: str) -> str | None:
    """Label a heading switches to: references, declarations, boilerplate, abstract, body, or None (unknown)."""
    h = _norm(heading)
    if not h:
        return None
    return next((label for rx, label in _HEAD_LABELS if rx.match(h)), None)


# --------------------------------------------------------------------------- paragraph rules

_DECL_PARA = re.compile(
    r"^[*†‡\[\]]*\s*(?:Correspondence|Corresponding authors?|Contributions|Author contributions|Funding|Financial support"
    r"|Conflicts? of [Ii]nterests?|Competing interests?|Disclosures?|Ethical [Ss]tatement|Ethics|Open Access Statement"
    r"|Provenance and Peer Review|Reporting Checklist|Peer Review File|Data Sharing Statement|Data [Aa]vailability"
    r"|Acknowledg(?:e)?ments?|Abbreviations|Footnotes?|Supplementary (?:Information|Material)|Publisher'?s [Nn]ote"
    r"|Trial registration|Received|Accepted|Published|Submitted)\b[^\n]{0,3}?[:.]"
    r"|^[*†‡\[\]]*\s*Correspondence\b|^©|^Copyright\b|^\(?c\) (?:The Author|\d{4})|^[*†‡]\s*\S|^\[[†‡*]\]"
    r"|^(?:Open Access\s+)?This (?:article|is an open access article) is (?:licensed|distributed)"
)
_FRONT_PARA = re.compile(
    r"^(?:doi\s*:|DOI\s*:|https?://(?:dx\.)?doi\.org/|Keywords?\b|Key ?words\b|Submitted\b|Received\b|Accepted\b|Published\b"
    r"|Published online\b|View this article at\b|Full list of author information|Citation\s*:|Cite this article\b|Email\s*:|E-mail\s*:"
    r"|Editor\s*:|Academic Editor\s*:|Article type\s*:)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+\.?$")
_ARTICLE_TYPE = re.compile(
    r"^(?:research(?: article)?|original (?:research|article)|review(?: article)?|open access|case report|letter|editorial"
    r"|commentary|brief report|short communication|perspective|clinical trial|meta-analysis|systematic review|article)$",
    re.IGNORECASE,
)
_PUBMED_MARKERS = ("PubMed Disclaimer", "An official website of the United States government", "Skip to main page content")
_PUBMED_CHROME = re.compile(
    r"^(?:Skip to main page content|U\.S\. flag|An official website of the United States government|Dot gov|Https"
    r"|The \.gov means it[’']s official\.?|The site is secure\.?|Federal government websites often end in .*|The https:// ensures .*"
    r"|Access keys .*|Review|Clinical Trial|Meta-Analysis|Affiliations|Free article|Free PMC article|Expand|Collapse|Cite|Share"
    r"|Save|Email|Send to|Display options|Full text links|PubMed Disclaimer|Actions|Page navigation|Proceed to details"
    r"|Similar articles|Cited by|Comment in|LinkOut - more resources|Publication types|MeSH terms|Substances|Grants and funding"
    r"|Related information|Figures|Associated data|Permalink|Copy|Format: .*|.* et al\. [^.]{2,60}\. \.?|\. \d{4} .*|PMID: ?\d+.*"
    r"|PMCID: ?PMC\d+.*|Epub \d{4}.*)$"
)

HEADING_MAX = 100


@dataclass
class _Para:
    start: int
    end: int
    text: str
    single_line: bool

    @property
    def is_heading_shape(self) -> bool:
        t = self.text.strip()
        return (
            self.single_line
            and 0 < len(t) <= HEADING_MAX
            and "\t" not in t
            and len(t.split()) <= 12
            and not re.search(r"[.,;]$", t)
            and (t[0].isupper() or t[0].isdigit() or t[0] in "#*")
        )


_PARA_SPLIT = re.compile(r"\n[ \t]*\n")


def _paragraphs(text: str) -> Iterator[_Para]:
    pos = 0
    for m in _PARA_SPLIT.finditer(text):
        if m.start() > pos:
            chunk = text[pos : m.start()]
            yield _Para(pos, m.start(), chunk, "\n" not in chunk.strip())
        pos = m.end()
    if pos < len(text):
        chunk = text[pos:]
        yield _Para(pos, len(text), chunk, "\n" not in chunk.strip())


_CONTINUED_STATE = {"title": "body_pending", "front_matter": "body_pending", "table": "body", "caption": "body"}
"""Labelling state a piece of a long text starts in, from the label the previous piece ended in."""


def label_sections(text: str, *, continues: str | None = None) -> list[Section]:
    """Label every character of ``text``: contiguous, non-overlapping sections covering it all.

    ``continues`` is the label the previous piece of the same text ended in, for a long text
    labelled piece by piece: the piece then has no title and goes on in that section.
    """
    if not text:
        return []
    paras = list(_paragraphs(text))
    if continues is not None:
        labels = _label_article(paras, start=_CONTINUED_STATE.get(continues, continues))
    elif any(marker in text for marker in _PUBMED_MARKERS):
        labels = _label_pubmed_page(paras)
    else:
        labels = _label_article(paras)
    labels = _overlay_tables(text, paras, labels)
    return _to_sections(text, paras, labels)


def _label_article(paras: list[_Para], start: str = "") -> list[tuple[str, str]]:
    """(label, heading) per paragraph for a journal article (``start``: the state a later piece starts in)."""
    out: list[tuple[str, str]] = []
    state = start or "front"  # front -> abstract -> body (-> declarations/references/boilerplate)
    heading = ""
    title_seen = bool(start)
    decl_continuation = False
    abstract_closed = False  # set once front matter/declarations interrupt the abstract
    return_state = ""  # "abstract" while a correspondence box interrupts a structured abstract
    has_abstract = any(
        (p.is_heading_shape and classify_heading(p.text) == "abstract") or _ABSTRACT_LABEL_PARA.match(p.text.strip())
        for p in paras[:60]
    )
    for p in paras:
        t = p.text.strip()
        kind = classify_heading(t) if p.is_heading_shape else None
        if state == "front" and not title_seen and _ARTICLE_TYPE.match(t):
            out.append(("front_matter", heading))  # "RESEARCH", "Open Access" above the title
            continue
        # headings switch state
        if p.is_heading_shape and kind is not None and not (kind == "abstract" and state == "body"):
            if state == "abstract" and not abstract_closed and kind == "body" and _ABSTRACT_LABEL_HEAD.match(_norm(t)):
                out.append(("abstract", t))
                heading = t
                continue
            if state == "references" and kind in ("body", "abstract"):
                kind = "references"
            if state == "declarations" and kind == "abstract":
                kind = "declarations"
            return_state = state if state == "abstract" and kind == "declarations" else ""
            state = {"abstract": "abstract", "body": "body"}.get(kind, kind)
            heading = t
            decl_continuation = kind == "declarations"
            out.append((_state_label(state), t))
            continue
        if state == "declarations" and return_state == "abstract" and _ABSTRACT_LABEL_PARA.match(t):
            state, return_state, heading = "abstract", "", "Abstract"
        # paragraph-level rules apply everywhere except inside references
        if state not in ("references",):
            if _DECL_PARA.match(t):
                decl_continuation = True
                abstract_closed = abstract_closed or state == "abstract"
                out.append(("declarations", heading))
                continue
            if _FRONT_PARA.match(t) or _EMAIL.match(t):
                abstract_closed = abstract_closed or state == "abstract"
                out.append(("front_matter", heading))
                continue
            if decl_continuation and state in ("front", "abstract") and len(t) <= 80 and not t.endswith("."):
                out.append(("declarations", heading))
                continue
        decl_continuation = state == "declarations"
        if state == "front":
            if not title_seen:
                if _ARTICLE_TYPE.match(t) or len(t) < 15:
                    out.append(("front_matter", heading))
                    continue
                title_seen = True
                out.append(("title", ""))
                if not has_abstract:
                    state = "body_pending"
                continue
            if has_abstract and _ABSTRACT_LABEL_PARA.match(t):
                state = "abstract"
                heading = "Abstract"
                out.append(("abstract", heading))
                continue
            out.append(("front_matter", heading))
            continue
        if state == "body_pending":
            # no abstract: author/affiliation lines until the first paragraph that reads as prose
            if p.is_heading_shape or (len(t) < 200 and not re.search(r"[.!?]\s+[A-Z]", t) and not _reads_as_prose(t)):
                out.append(("front_matter", heading))
                continue
            state = "body"
        if state == "abstract" and p.is_heading_shape and kind is None and not _ABSTRACT_LABEL_HEAD.match(_norm(t)):
            # an unknown heading ends a heading-less abstract only once the abstract has text
            if any(lbl == "abstract" and h == heading for lbl, h in out[-3:]):
                state = "body"
                heading = t
                out.append(("body", t))
                continue
        if state in ("body", "abstract") and p.is_heading_shape:
            heading = t
        out.append((_state_label(state), heading))
    return out


_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*$")


def _reads_as_prose(text: str) -> bool:
    """A short paragraph that is a sentence: ends like one and is mostly lower-case words.

    Author lists and affiliations (``Department of Oncology, X University Hospital, Y.``) are
    mostly capitalised; a one-sentence paragraph of an article without an abstract is not.
    """
    if "@" in text or not _SENTENCE_END.search(text.rstrip()):
        return False
    words = _WORD.findall(text)
    if len(words) < 5:
        return False
    return sum(w[0].islower() for w in words) >= 0.4 * len(words)


def _state_label(state: str) -> str:
    return {"front": "front_matter", "body_pending": "front_matter"}.get(state, state)


def _label_pubmed_page(paras: list[_Para]) -> list[tuple[str, str]]:
    """A PubMed abstract page: chrome, citation, title, authors, abstract, then lists (COI, MeSH …)."""
    out: list[tuple[str, str]] = []
    state = "front"
    heading = ""
    title: str | None = None
    for p in paras:
        t = p.text.strip()
        first = t.splitlines()[0].strip() if t else ""
        kind = classify_heading(first) if len(first) <= HEADING_MAX else None
        if first == "Abstract" or (state == "front" and first.lower() == "abstract"):
            state = "abstract"
            heading = "Abstract"
            out.append(("abstract", heading))
            continue
        if kind in ("references",):
            state, heading = "references", first
            out.append(("references", first))
            continue
        if kind in ("boilerplate", "declarations") or first in ("PubMed Disclaimer", "Conflict of interest statement"):
            state, heading = "boilerplate", first
            out.append(("boilerplate", first))
            continue
        if state == "front":
            lines = [ln.strip() for ln in t.splitlines() if ln.strip()]
            if all(_PUBMED_CHROME.match(ln) or _FRONT_PARA.match(ln) for ln in lines):
                out.append(("boilerplate", heading))
            elif title is None and len(t) >= 20 and p.single_line:
                title = t
                out.append(("title", ""))
            else:
                out.append(("front_matter", heading))
            continue
        if state == "abstract":
            if _FRONT_PARA.match(t) or _PUBMED_CHROME.match(t):
                out.append(("boilerplate", heading))
            else:
                out.append(("abstract", heading))
            continue
        out.append((state, heading))
    return out


def _overlay_tables(text: str, paras: list[_Para], labels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Within extractable text, caption paragraphs become ``caption`` and tab/pipe row blocks ``table``."""
    from extractors.text.cleanup import detect_tables_and_captions

    tables, captions = detect_tables_and_captions(text)
    starts = [(s, e, "caption") for s, e in captions] + [(s, e, "table") for s, e in tables]
    if not starts:
        return labels
    out = list(labels)
    for i, p in enumerate(paras):
        label, heading = out[i]
        if label not in ("body", "abstract"):
            continue
        for s, e, kind in starts:
            if s <= p.start < e or p.start <= s < p.end:
                out[i] = (kind, heading)
                if kind == "table" and e < p.end:
                    # caption line followed by rows in the same paragraph: whole paragraph is table
                    pass
                break
    return out


def _to_sections(text: str, paras: list[_Para], labels: list[tuple[str, str]]) -> list[Section]:
    """Merge paragraph labels into contiguous sections that cover the whole text."""
    sections: list[Section] = []
    for p, (label, heading) in zip(paras, labels, strict=True):
        start = p.start
        if sections and sections[-1].label == label and sections[-1].heading == heading:
            sections[-1].end = p.end
            continue
        if sections:
            sections[-1].end = start  # gap (blank lines) belongs to the previous section
        elif start > 0:
            start = 0
        sections.append(Section(label=label, start=start, end=p.end, heading=heading))  # type: ignore[arg-type]
    if sections:
        sections[-1].end = len(text)
    return sections
