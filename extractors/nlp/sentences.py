"""A fast rule-based sentence splitter for scientific text, as a spaCy component.

Statistical parsers are slow and trip on biomedical abbreviations; a few
rules do better here: break at blank lines (paragraphs are units of their
own) and after ``.?!`` followed by an upper-case letter, digit or opening
bracket, unless the period closes a known abbreviation (``et al.``, ``vs.``,
``Fig.``, ``e.g.``) or an initial. A single line break is where PDF and
e-mail text wraps, so it ends a sentence only when the lines look like
separate units (:func:`line_break_ends_sentence`): table rows, list items,
a line closed by ``.?!:``, or a short heading line above a longer one.
"""

from __future__ import annotations

import re

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from extractors.nlp.extensions import doc_text
from schemas.versions import SENTENCE_RULES_VERSION

ABBREVIATIONS = frozenset(
    {
        "al", "vs", "fig", "figs", "e.g", "i.e", "eg", "ie", "no", "nos", "dr", "approx", "ca",
        "cf", "etc", "ref", "refs", "resp", "suppl", "tab", "vol", "mr", "mrs", "ms", "st",
        "sp", "spp", "inc", "ltd", "co", "jr", "sr", "prof", "u.s", "ver", "ed", "eds", "min",
        "max", "mo", "mos", "wk", "wks", "yr", "yrs", "hr", "hrs", "p", "pp", "v", "cat",
        "corp", "dept", "est", "govt",
    }
)
"""Lower-cased words (without the final period) after which a period does not end a sentence."""

_WORD_BEFORE_PERIOD = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z.]*)\.$")


def _ends_with_abbreviation(text_before: str) -> bool:
    match = _WORD_BEFORE_PERIOD.search(text_before[-20:])
    if not match:
        return False
    word = match.group(1).lower()
    if word in ABBREVIATIONS:
        return True
    # single initials ("J. Smith") and dotted abbreviations ("e.g.", "U.S.")
    return len(word) == 1 or "." in word


_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•·–—▪◦‣][ \t]|\d{1,3}[.)][ \t]|\(?[a-z]\)[ \t])")
_LINE_CLOSED = re.compile(r"[.?!:][\"'’”)\]]*$")
HEADING_LINE_RATIO = 0.5
"""A line without end punctuation is a heading when it is shorter than this share of the next line."""


def line_break_ends_sentence(text: str, newline: int) -> bool:
    """Whether the single line break at ``text[newline]`` ends a sentence (else it is a wrap)."""
    line_start = text.rfind("\n", 0, newline) + 1
    next_end = text.find("\n", newline + 1)
    prev_line = text[line_start:newline].strip(" ")
    next_line = text[newline + 1 : len(text) if next_end < 0 else next_end].strip(" ")
    if not prev_line.strip() or not next_line.strip():
        return True
    if "\t" in prev_line or "\t" in next_line or _LIST_ITEM.match(next_line):
        return True
    if _LINE_CLOSED.search(prev_line):
        first = next_line[:1]
        if prev_line.endswith(".") and first.islower() and _ends_with_abbreviation(prev_line):
            return False
        return True
    starts_unit = next_line[:1].isupper() or next_line[:1].isdigit()
    return starts_unit and len(prev_line) < HEADING_LINE_RATIO * len(next_line) and not prev_line.endswith((",", ";", "-", "("))


def sentence_starts(doc: Doc) -> list[bool]:
    """Return, per token, whether it starts a sentence."""
    starts = [False] * len(doc)
    if not len(doc):
        return starts
    starts[0] = True
    text = doc_text(doc)
    depth = 0
    last_end = 0  # end of the last non-space token
    for i, tok in enumerate(doc):
        if i == 0:
            if not tok.is_space:
                last_end = tok.idx + len(tok.text)
            continue
        prev = doc[i - 1]
        if "\n" in prev.text or "\n" in prev.whitespace_:
            if tok.is_space:
                continue
            gap = text[last_end : tok.idx]
            newline = last_end + gap.index("\n")
            last_end = tok.idx + len(tok.text)
            if gap.count("\n") >= 2 or line_break_ends_sentence(text, newline):
                starts[i] = True
                depth = 0
            continue
        if not tok.is_space:
            last_end = tok.idx + len(tok.text)
        if tok.is_space:
            continue
        if prev.text in ("(", "["):
            depth += 1
        elif prev.text in (")", "]") and depth:
            depth -= 1
        last = prev.text[-1:]
        if last in ".?!" and (prev.whitespace_ or prev.is_space):
            first = tok.text[:1]
            if not (first.isupper() or first.isdigit() or first in "([“\"'*"):
                continue
            if last == "." and _ends_with_abbreviation(text[max(0, prev.idx - 20) : prev.idx + len(prev.text)]):
                continue
            starts[i] = True
    return starts


@Language.factory("oncotriples_sentences", default_config={})
def make_sentence_splitter(nlp: Language, name: str) -> SentenceSplitter:
    return SentenceSplitter()


class SentenceSplitter:
    """Sets ``token.is_sent_start`` from :func:`sentence_starts`."""

    version = SENTENCE_RULES_VERSION

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        # one array write: setting token.is_sent_start one by one re-checks the whole doc each time (quadratic)
        values = numpy.array([1 if start else -1 for start in sentence_starts(doc)], dtype="int64").astype("uint64")
        doc.from_array([SENT_START], values.reshape(-1, 1))
        return doc
