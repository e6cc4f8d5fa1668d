"""Small shared pieces of the rule builders: residue codes, HGVS strings, sentence bounds, exact spans."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.mention import VariantMention


def aa1(s: str) -> str | None:
    """One-letter code of a residue written as one letter, three letters or a name (``*`` stop, ``X`` any); else None."""
    if not s:
        return None
    if len(s) == 1:
        return s if s in P.AA1 or s in "X*" else None
    low = s.lower()
    if low in P.AA3_TO_1:
        return P.AA3_TO_1[low]
    return P.AA_NAME_TO_1.get(low)


def hgvs_sub(wt: str, pos: str, mt: str) -> str | None:
    """HGVS protein form of a substitution (``p.Leu858Arg``); None when a residue has no three-letter code or is ``X``."""
    if wt not in P.AA1_TO_3 or mt not in P.AA1_TO_3 or mt == "X":
        return None
    return f"p.{P.AA1_TO_3[wt]}{pos}{P.AA1_TO_3[mt]}"


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    """The sentence around ``pos``, looked for at most 400 characters either way (keeps context checks linear)."""
    lo = max(0, pos - 400)
    hi = min(len(text), pos + 400)
    s = lo
    for m in P.SENTENCE_BREAK.finditer(text, lo, pos):
        s = m.end()
    e = hi
    m2 = P.SENTENCE_BREAK.search(text, pos, hi)
    if m2:
        e = m2.start()
    return s, e


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    # unbalanced trailing ")" / leading "("
    frag = text[s:e]
    if frag.endswith(")") and frag.count(")") > frag.count("("):
        e -= 1
    if frag.startswith("(") and frag.count("(") > frag.count(")"):
        s += 1
    return s, e


#: a rule builder: reads one regex match of the text under the rule id the rule table gives it, returns its
#: mention or None (rejected); builders shared by several rules look their parameters up by that id
Builder = Callable[[re.Match[str], str, str], "VariantMention | None"]


def make_mention(text: str, s: int, e: int, **kw: Any) -> VariantMention | None:
    """The mention of ``text[s:e]`` without surrounding space or an unbalanced parenthesis; None when empty."""
    s, e = _strip_span(text, s, e)
    if e <= s:
        return None
    return VariantMention(start=s, end=e, text=text[s:e], **kw)
