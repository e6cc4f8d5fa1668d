"""Text repair for real-world inputs, keeping every clean character traceable to the raw text.

Why: PDF and web extractions carry defects (split words, dropped ``fi``
ligatures, running page heads, Markdown/LaTeX markup, entities) that break
tokenisation and entity matching. Each repair is a small step that returns
*edits* (``start, end, replacement``) against its input; a generic applier
builds the new text with one ``"".join`` and a list of copied runs, and the
runs are composed with the previous map by a two-pointer merge. Every step is
therefore linear in the text length, and the final ``offset_map`` satisfies
``clean[cs:cs+n] == raw[rs:rs+n]`` for every segment. Characters that do not
exist in the raw text (an inserted ``fi``, a ``≥`` for ``\\geq``) are simply
not covered by a segment; :func:`raw_offset` maps them to the nearest raw
position.

Repairs that change words (ligatures, hyphenation) decide by lookup in
``data/lexicons/words.txt`` (built by ``scripts/build_wordlist.py``), never by
guessing.
"""

from __future__ import annotations

import bisect
import html
import html.entities
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from schemas.models import OffsetSegment

log = logging.getLogger(__name__)

Edit = tuple[int, int, str]
"""Replace ``text[start:end]`` with the string (``""`` deletes)."""
Seg = tuple[int, int, int]
"""``(clean_start, raw_start, length)`` — the compact form of :class:`OffsetSegment`."""


@dataclass
class CleanText:
    """Clean text, its map back to the raw text, and detected table/caption spans."""

    text: str
    segments: list[Seg] = field(default_factory=list)
    table_spans: list[tuple[int, int]] = field(default_factory=list)
    caption_spans: list[tuple[int, int]] = field(default_factory=list)
    repairs: Counter[str] = field(default_factory=Counter)

    @property
    def offset_map(self) -> list[OffsetSegment]:
        """The map as schema records (built on demand: tuples are far smaller in memory)."""
        return [OffsetSegment(clean_start=c, raw_start=r, length=n) for c, r, n in self.segments]

    def raw_offset(self, clean_pos: int) -> int:
        """Raw position of a clean position (nearest mapped raw position for inserted chars)."""
        return raw_offset(self.segments, clean_pos)


# --------------------------------------------------------------------------- offset machinery


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Seg]]:
    """Apply sorted, non-overlapping edits; return new text and copied runs (new -> old).

    A replacement that occurs inside the text it replaces (``*ALK*`` -> ``ALK``,
    ``&amp;`` -> ``&``) is recorded as copied from there, so it stays mapped.
    """
    parts: list[str] = []
    pieces: list[Seg] = []
    pos = 0
    out = 0
    for start, end, repl in edits:
        if start < pos:
            raise ValueError(f"overlapping edit at {start} (previous ended at {pos})")
        if start > pos:
            parts.append(text[pos:start])
            pieces.append((out, pos, start - pos))
            out += start - pos
        if repl:
            k = text.find(repl, start, end)
            if k >= 0:
                pieces.append((out, k, len(repl)))
            parts.append(repl)
            out += len(repl)
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
        pieces.append((out, pos, len(text) - pos))
    return "".join(parts), pieces


def compose(outer: list[Seg], inner: list[Seg]) -> list[Seg]:
    """Compose maps: ``outer`` (new -> mid) after ``inner`` (mid -> raw) gives new -> raw.

    Both lists are sorted and monotone, so one forward pass suffices.
    """
    result: list[Seg] = []
    j = 0
    n_inner = len(inner)
    for o_start, m_start, length in outer:
        m_end = m_start + length
        while j < n_inner and inner[j][0] + inner[j][2] <= m_start:
            j += 1
        k = j
        while k < n_inner and inner[k][0] < m_end:
            ic, ir, il = inner[k]
            lo = max(ic, m_start)
            hi = min(ic + il, m_end)
            if hi > lo:
                append_seg(result, o_start + (lo - m_start), ir + (lo - ic), hi - lo)
            k += 1
    return result


def append_seg(segs: list[Seg], c: int, r: int, n: int) -> None:
    """Append the segment ``(c, r, n)``, merging it into the last one when both sides continue it."""
    if segs:
        pc, pr, pn = segs[-1]
        if pc + pn == c and pr + pn == r:
            segs[-1] = (pc, pr, pn + n)
            return
    segs.append((c, r, n))


def raw_offset(segments: list[Seg], clean_pos: int) -> int:
    """Map a clean offset to a raw offset; unmapped chars go to the nearest preceding mapped end."""
    if not segments:
        return 0
    i = bisect.bisect_right(segments, (clean_pos, float("inf"), 0)) - 1
    if i < 0:
        return segments[0][1]
    c, r, n = segments[i]
    if clean_pos < c + n:
        return r + (clean_pos - c)
    return r + n


Step = Callable[[str], list[Edit]]


def run_steps(raw: str, steps: Iterable[tuple[str, Step]]) -> tuple[str, list[Seg], Counter[str]]:
    """Run repair steps in order, composing their maps; count edits per step."""
    text = raw
    segs: list[Seg] = [(0, 0, len(raw))] if raw else []
    counts: Counter[str] = Counter()
    for name, step in steps:
        edits = step(text)
        if not edits:
            continue
        counts[name] += len(edits)
        text, pieces = apply_edits(text, edits)
        segs = compose(pieces, segs)
    return text, segs, counts


# --------------------------------------------------------------------------- word list


@dataclass(frozen=True)
class WordList:
    """Known words (dictionary + corpus) and the subset frequent enough to count as real words."""

    known: frozenset[str]
    common: frozenset[str]

    def is_word(self, word: str) -> bool:
        return word.lower() in self.known

    def is_common(self, word: str) -> bool:
        return word.lower() in self.common


COMMON_CORPUS_COUNT = 20
"""A fragment seen this often in the biomedical corpora is a real word, not a ligature stump."""


@cache
def default_wordlist() -> WordList:
    """Load ``data/lexicons/words.txt`` once (word<TAB>corpus count<TAB>dictionary flag)."""
    from schemas.resources import data_path

    path = data_path("lexicons", "words.txt")
    known: set[str] = set()
    common: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            word, _, rest = line.rstrip("\n").partition("\t")
            count, _, flag = rest.partition("\t")
            if not word:
                continue
            known.add(word)
            if int(count or 0) >= COMMON_CORPUS_COUNT or (flag == "d" and len(word) >= 4):
                common.add(word)
    common.update({"a", "i"})
    return WordList(frozenset(known), frozenset(common))


# --------------------------------------------------------------------------- repair steps

_CRLF = re.compile(r"\r\n?")


def fix_newlines(text: str) -> list[Edit]:
    r"""``\r\n`` and lone ``\r`` become ``\n`` so line rules see one convention."""
    return [(m.start(), m.start() + 1, "") if m.group() == "\r\n" else (m.start(), m.end(), "\n") for m in _CRLF.finditer(text)]


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decode_entities(text: str) -> list[Edit]:
    """HTML/XML character references (``&amp;``, ``&#8805;``, ``&ge;``) to characters."""
    edits: list[Edit] = []
    for m in _ENTITY.finditer(text):
        ent = m.group()
        if ent[1] != "#" and ent[1:] not in html.entities.html5:
            continue
        value = html.unescape(ent)
        if value != ent and "\x00" not in value:
            edits.append((m.start(), m.end(), value))
    return edits


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾"
_SUP_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
_DELETE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_SPACE_CHARS = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_UNIT_SQUARE = re.compile(r"(?:^|[^A-Za-z])[cmkd]?m$")


@cache
def _nfkc_class() -> re.Pattern[str]:
    """Regex matching the BMP characters that NFKC changes (superscripts excluded: handled apart)."""
    chars = []
    for cp in range(0x80, 0x10000):
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or c in _SUPERSCRIPTS:
            continue
        if c in _DELETE_CHARS or c in _SPACE_CHARS or unicodedata.normalize("NFKC", c) != c:
            chars.append(re.escape(c))
    return re.compile("[" + "".join(chars) + "]")


def normalize_unicode(text: str) -> list[Edit]:
    """NFKC per character, keeping meaning: ``ALK⁺``→``ALK+``, ``IC₅₀``→``IC50``, ``ﬁ``→``fi``.

    Superscript digit runs after a word (``Desai¹``) are affiliation/reference
    markers and are dropped; after a number they are exponents (``10⁵``→``10^5``);
    ``m²`` stays a unit (``m2``). Soft hyphens and zero-width characters are deleted.
    """
    edits: list[Edit] = []
    for m in _SUP_RUN.finditer(text):
        run = m.group()
        plain = unicodedata.normalize("NFKC", run)
        prev = text[m.start() - 1] if m.start() else " "
        if set(run) <= {"⁺", "⁻"}:
            repl = plain
        elif prev.isdigit():
            repl = "^" + plain
        elif run in ("²", "³") and _UNIT_SQUARE.search(text[max(0, m.start() - 4) : m.start()]):
            repl = plain
        elif prev.isalpha() or prev in ").],;*†‡ " or prev == "\n":
            repl = ""
        else:
            repl = plain
        edits.append((m.start(), m.end(), repl))
    pattern = _nfkc_class()
    for m in pattern.finditer(text):
        c = m.group()
        if c in _DELETE_CHARS:
            repl = ""
        elif c in _SPACE_CHARS:
            repl = " "
        else:
            repl = unicodedata.normalize("NFKC", c)
        edits.append((m.start(), m.end(), repl))
    edits.sort()
    return edits


_LATEX_SYMBOLS = {
    "geq": "≥", "ge": "≥", "leq": "≤", "le": "≤", "times": "×", "pm": "±", "mp": "∓",
    "approx": "≈", "sim": "~", "cdot": "·", "neq": "≠", "ne": "≠", "infty": "∞",
    "rightarrow": "→", "to": "→", "leftarrow": "←", "alpha": "α", "beta": "β",
    "gamma": "γ", "delta": "δ", "Delta": "Δ", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "sigma": "σ", "tau": "τ", "chi": "χ", "degree": "°", "circ": "°", "ldots": "…",
    "dots": "…", "lt": "<", "gt": ">",
}
_LATEX_CMD = re.compile(r"\\(?:([A-Za-z]+)(?![A-Za-z])|([%$&#_{}])|([,;:! ]))")
_LATEX_WRAP = re.compile(r"\\(?:text|mathrm|mathbf|mathit|textbf|textit|emph|operatorname|textrm|mathsf|boldsymbol)\{([^{}\n]{0,200})\}")
_LATEX_SCRIPT = re.compile(r"([\^_])\{([^{}\n]{1,60})\}")
_MARKER_CONTENT = re.compile(r"^[\d,\s–\-*†‡§¶#a-z]*[\d*†‡§¶#][\d,\s–\-*†‡§¶#a-z]*$|^[†‡§¶*]+$")
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?=[^\s$])([^$\n]{1,300}?)(?<=[^\s\\])\$(?![\d$])")


def _unwrap(rx: re.Pattern[str], text: str, head: int, tail: int = 1) -> Iterator[Edit]:
    """Edits deleting the markup around each match of ``rx``: its first ``head`` and last ``tail`` characters."""
    for m in rx.finditer(text):
        yield (m.start(), m.start() + head, "")
        yield (m.end() - tail, m.end(), "")


def _delete(rx: re.Pattern[str], text: str, keep: int = 0) -> Iterator[Edit]:
    """Edits deleting each match of ``rx`` but its first ``keep`` characters."""
    return ((m.start() + keep, m.end(), "") for m in rx.finditer(text))


def strip_latex(text: str) -> list[Edit]:
    r"""Inline LaTeX to plain text: ``$P=0.0001$``→``P=0.0001``, ``\geq``→``≥``, ``^{2,3}`` markers dropped."""
    edits = list(_unwrap(_INLINE_MATH, text, 1))
    for m in _LATEX_WRAP.finditer(text):
        inner_start = m.start(1)
        edits.append((m.start(), inner_start, ""))
        edits.append((m.end() - 1, m.end(), ""))
    for m in _LATEX_SCRIPT.finditer(text):
        caret, content = m.group(1), m.group(2)
        prev = text[m.start() - 1] if m.start() else " "
        if caret == "^" and not prev.isdigit() and _MARKER_CONTENT.match(content):
            edits.append((m.start(), m.end(), ""))  # reference/affiliation marker
        elif caret == "^" and prev.isdigit():
            edits.append((m.start() + 1, m.start() + 2, ""))  # keep ^ for exponents
            edits.append((m.end() - 1, m.end(), ""))
        else:
            edits.append((m.start(), m.start() + 2, ""))
            edits.append((m.end() - 1, m.end(), ""))
    for m in _LATEX_CMD.finditer(text):
        name, escaped, space = m.groups()
        if name is not None:
            if name in _LATEX_SYMBOLS:
                edits.append((m.start(), m.end(), _LATEX_SYMBOLS[name]))
        elif escaped is not None:
            edits.append((m.start(), m.start() + 1, ""))
        else:
            edits.append((m.start(), m.end(), " "))
    return _dedupe(edits)


def _dedupe(edits: list[Edit]) -> list[Edit]:
    """Sort edits (longest first at one start) and drop any that overlap an earlier one."""
    edits.sort(key=lambda e: (e[0], -e[1]))
    out: list[Edit] = []
    end = -1
    for e in edits:
        if e[0] >= end:
            out.append(e)
            end = max(e[1], e[0] + (1 if e[0] == e[1] else 0))
    return out


_MD_STRONG = re.compile(r"(\*\*|__)(?=[^\s*_])([^\n]+?)(?<=[^\s*_\\])\1")
_MD_EM_STAR = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*\\])\*(?![\w*])")
_MD_EM_UNDER = re.compile(r"(?<![\w\\])_(?=[^\s_])([^_\n]+?)(?<=[^\s_\\])_(?!\w)")
_MD_HEADING = re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+")
_MD_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((?:https?://|/|#)[^)\s]{0,500}\)")
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]{1,500})>")
_MD_ESCAPE = re.compile(r"\\([<>*_\[\]()#+\-.!`|{}~])")
_MD_TABLE_RULE = re.compile(r"(?m)^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*\|?[ \t]*(?:\n|$)")


def strip_markdown(text: str) -> list[Edit]:
    """Markdown markup to plain text, keeping the content: ``*ALK*``→``ALK``, ``**x**``, ``_x_``, links."""
    edits = [
        *_unwrap(_MD_STRONG, text, 2, 2),
        *_unwrap(_MD_EM_STAR, text, 1),
        *_unwrap(_MD_EM_UNDER, text, 1),
        *_delete(_MD_HEADING, text),
    ]
    for m in _MD_LINK.finditer(text):
        edits.append((m.start(), m.start(1), ""))
        edits.append((m.end(1), m.end(), ""))
    edits.extend(_unwrap(_MD_AUTOLINK, text, 1))
    edits.extend((m.start(), m.start() + 1, "") for m in _MD_ESCAPE.finditer(text))
    edits.extend(_delete(_MD_TABLE_RULE, text))
    return _dedupe(edits)


_PAGE_OF = r"Page\s+\d{1,4}\s+of\s+\d{1,4}"
_RUNNING_HEAD = (
    r"[A-Z][\w'’\-]+(?:\s+et\s+al\.?|\s+(?:and|&)\s+[A-Z][\w'’\-]+)\s+"
    r"[A-Z][^\n()]{2,100}?\s*\((?:19|20)\d{2}\)\s*\d{1,4}:\s?(?:\d{1,6}|\.\.\.|…)?"
)
_PAGE_HEAD_AT_LINE_START = re.compile(rf"(?m)^[ \t]*(?:{_PAGE_OF}[ \t]*)?{_RUNNING_HEAD}(?:[ \t]*{_PAGE_OF})?")
_PAGE_OF_RX = re.compile(_PAGE_OF)
_FOOTER_LINES = re.compile(
    r"(?m)^[ \t]*(?:"
    r"©[^\n]{0,120}All rights reserved\.?"
    r"|Downloaded from \S+[^\n]{0,200}"
    r"|[^\n]{0,80}\b(?:19|20)\d{2};\s*\d+\(\d+\):\s*[\w-]+\s*\|\s*https?://\S+"
    r")[ \t]*$"
)
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")
_DIGITS = re.compile(r"\d+")
_WORDISH = re.compile(r"[A-Za-z]{2,}")
REPEAT_MIN = 3


def remove_page_headers(text: str) -> list[Edit]:
    """Drop running heads/footers: page-header shapes (even glued to text) and lines repeated ≥3 times.

    Repeated lines are compared with digits masked, so ``Desai and Lovly. ... 3``
    and ``... 4`` count together. Table rows (tabs), bullets and lines without two
    words are never treated as running heads.
    """
    edits: list[Edit] = []
    for m in _PAGE_HEAD_AT_LINE_START.finditer(text):
        edits.append(_line_aware(text, m.start(), m.end()))
    for m in _FOOTER_LINES.finditer(text):
        edits.append(_line_aware(text, m.start(), m.end()))
    for m in _PAGE_OF_RX.finditer(text):
        edits.append(_line_aware(text, m.start(), m.end()))
    counts: Counter[str] = Counter()
    lines: list[tuple[int, int, str]] = []
    for m in _LINE.finditer(text):
        line = m.group().strip()
        if 8 <= len(line) <= 150 and "\t" not in line and line[0] not in "-*•|" and len(_WORDISH.findall(line)) >= 2:
            key = _DIGITS.sub("#", line)
            counts[key] += 1
            lines.append((m.start(), m.end(), key))
    # a running head repeats once per page; a line repeated more often than every 8th line is content
    ceiling = max(REPEAT_MIN, text.count("\n") // 8)
    for start, end, key in lines:
        if REPEAT_MIN <= counts[key] <= ceiling:
            edits.append((start, end, ""))
    return _dedupe(edits)


def _line_aware(text: str, start: int, end: int) -> Edit:
    """Widen a header span to its whole line when nothing else is on the line."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    le = len(text) if le < 0 else le
    if not text[ls:start].strip() and not text[end:le].strip():
        return (ls, min(le + 1, len(text)), "")
    return (start, end, "")


_HYPHEN_BREAK = re.compile(r"([A-Za-z0-9]+)-[ \t]*\n[ \t]*([A-Za-z][A-Za-z0-9]*)")
_TOKEN_WITH_HYPHENS = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def dehyphenate(text: str, words: WordList | None = None) -> list[Edit]:
    """Join words split across lines (``osi-\\nmertinib``) but keep real hyphens.

    Decided in order: the document itself writes the joined or the hyphenated
    form elsewhere; a left part with capitals/digits (``EGFR-``, ``T790M-``) is a
    compound; the joined form is a known word; both parts are words
    (``third-generation``); otherwise the parts are fragments, so join.
    """
    matches = list(_HYPHEN_BREAK.finditer(text))
    if not matches:
        return []
    words = words or default_wordlist()
    seen: set[str] = set()
    for m in _TOKEN_WITH_HYPHENS.finditer(text):
        seen.add(m.group().lower())
    edits: list[Edit] = []
    for m in matches:
        left, right = m.group(1), m.group(2)
        joined = (left + right).lower()
        hyphenated = f"{left}-{right}".lower()
        hyphen_pos = m.end(1)
        if joined in seen:
            join = True
        elif hyphenated in seen:
            join = False
        elif any(c.isupper() or c.isdigit() for c in left[1:] + right) or left[0].isdigit():
            join = False
        elif words.is_word(joined):
            join = True
        elif words.is_word(left) and words.is_word(right) and len(left) > 1:
            join = False
        else:
            join = True
        if join:
            edits.append((hyphen_pos, m.start(2), ""))
        else:
            edits.append((hyphen_pos + 1, m.start(2), ""))
    return edits


_LIGATURES = ("ffi", "ffl", "ff", "fi", "fl")
_ALPHA_TOKEN = re.compile(r"[A-Za-z]+")


def fix_ligatures(text: str, words: WordList | None = None) -> list[Edit]:
    """Restore dropped ``fi/fl/ff/ffi/ffl`` ligatures (``identi ed``, ``con rmed``, `` rst``).

    Only a token that is not a common word can be a stump; the repair must give
    a known word. When the stump is itself in the word list (``cacy`` occurs in
    corpora with the same defect), the repair needs a second candidate in the
    document as evidence that the source lost its ligatures.
    """
    words = words or default_wordlist()
    common = words.common
    known = words.known
    suspicious = {w for w in set(_ALPHA_TOKEN.findall(text)) if w.lower() not in common}
    if not suspicious:
        return []
    tokens = [(m.start(), m.end(), m.group()) for m in _ALPHA_TOKEN.finditer(text) if m.group() in suspicious]
    if not tokens:
        return []
    candidates: list[tuple[Edit, bool]] = []
    last_end = -1
    for start, end, tok in tokens:
        if start < last_end:
            continue
        low = tok.lower()
        strong = low not in known
        found: tuple[Edit, int] | None = None
        # previous token + lig + stump ("con rmed")
        if start >= 2 and text[start - 1] == " " and text[start - 2].isalpha():
            p = start - 1
            while p > 0 and text[p - 1].isalpha():
                p -= 1
            prev = text[p : start - 1]
            if p >= last_end and not (p > 0 and text[p - 1] in "-'’"):
                for lig in _LIGATURES:
                    if (prev + lig + tok).lower() in known:
                        found = ((start - 1, start, lig), start - 1)
                        strong = strong or prev.lower() not in known
                        break
        # stump + lig + next token ("identi ed")
        if found is None and end + 1 < len(text) and text[end] == " " and text[end + 1].isalpha():
            q = end + 1
            while q < len(text) and text[q].isalpha():
                q += 1
            nxt = text[end + 1 : q]
            for lig in _LIGATURES:
                if (tok + lig + nxt).lower() in known:
                    found = ((end, end + 1, lig), q)
                    strong = strong or nxt.lower() not in known
                    break
        # lig + stump at a word start (" rst")
        if found is None and (start == 0 or not text[start - 1].isalnum()) and tok.islower():
            for lig in _LIGATURES:
                if (lig + low) in known:
                    found = ((start, start, lig), end)
                    break
        if found is not None:
            edit, consumed_to = found
            candidates.append((edit, strong))
            last_end = consumed_to
    if len(candidates) < 2:
        candidates = [c for c in candidates if c[1]]
    return [edit for edit, _ in candidates]


_BROKEN_PARAGRAPH = re.compile(r"([a-z,;])[ \t]*\n(?:[ \t]*\n)+[ \t]*(?=[a-z])")
MIN_PARAGRAPH_LINE = 40
MIN_PARAGRAPH_WORDS = 6


def rejoin_paragraphs(text: str) -> list[Edit]:
    """Join a paragraph split by a page break: long line without end punctuation, next starts lower-case."""
    edits: list[Edit] = []
    for m in _BROKEN_PARAGRAPH.finditer(text):
        ls = text.rfind("\n", 0, m.start()) + 1
        line = text[ls : m.end(1)]
        if len(line) >= MIN_PARAGRAPH_LINE and len(line.split()) >= MIN_PARAGRAPH_WORDS and "\t" not in line:
            edits.append((m.end(1), m.end(), " "))
    return edits


#: whitespace runs deleted but for their first ``keep`` characters: spaces and tabs at a line end, spaces at
#: a line start, runs of spaces (one stays) and of newlines (one blank line stays)
_WHITESPACE_RUNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"[ \t]+(?=\n)|[ \t]+$"), 0),
    (re.compile(r"(?m)^ +"), 0),
    (re.compile(r"(?<=\S) {2,}"), 1),
    (re.compile(r"\n{3,}"), 2),
)


def normalize_whitespace(text: str) -> list[Edit]:
    """Trim line ends and starts, collapse runs of spaces and of blank lines; tabs (table cells) stay."""
    edits = [edit for rx, keep in _WHITESPACE_RUNS for edit in _delete(rx, text, keep)]
    lead = len(text) - len(text.lstrip())
    if lead:
        edits.append((0, lead, ""))
    return _dedupe(edits)


# --------------------------------------------------------------------------- tables and captions

_CAPTION = re.compile(
    r"(?m)^(?:Supplementary\s+|Suppl\.\s+|Extended\s+Data\s+)?(?:Table|Fig\.|Figure|Fig)\s*S?\d{1,3}[A-Za-z]?"
    r"(?:[.:|]\s*|\s+)(?=[A-Z(\[\"“‘'])[^\n]*"
)


def detect_tables_and_captions(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Caption lines (``Table 1 Baseline …``, ``Fig. 2 …``) and flattened table blocks.

    A table block is a run of lines holding a tab or Markdown pipes; the rows
    are kept (they carry trial data) and labelled ``table``. A body sentence
    such as ``Table 2 illustrates …`` is not a caption: a caption's first word
    after the number is capitalised.
    """
    captions = [(m.start(), m.end()) for m in _CAPTION.finditer(text)]
    tables: list[tuple[int, int]] = []
    start = -1
    last_end = -1
    for m in _LINE.finditer(text):
        line = m.group().rstrip("\n")
        is_row = "\t" in line.strip(" ") or (line.lstrip().startswith("|") and line.rstrip().endswith("|") and line.count("|") >= 3)
        if is_row:
            if start < 0:
                start = m.start()
            last_end = m.start() + len(line)
        elif start >= 0:
            tables.append((start, last_end))
            start = -1
    if start >= 0:
        tables.append((start, last_end))
    return tables, captions


# --------------------------------------------------------------------------- entry points

PLAIN_STEPS: tuple[str, ...] = (
    "newlines", "entities", "unicode", "latex", "markdown", "page_headers",
    "hyphenation", "ligatures", "paragraphs", "whitespace",
)
"""Every repair, in order, for plain and Markdown-ish text (PDF/web extractions)."""

STRUCTURED_STEPS: tuple[str, ...] = ("newlines", "entities", "unicode", "ligatures", "whitespace")
"""Repairs that are safe for text taken out of XML/HTML elements (no markup guesses)."""


def _steps(names: Iterable[str], words: WordList | None) -> Iterator[tuple[str, Step]]:
    table: dict[str, Step] = {
        "newlines": fix_newlines,
        "entities": decode_entities,
        "unicode": normalize_unicode,
        "latex": strip_latex,
        "markdown": strip_markdown,
        "page_headers": remove_page_headers,
        "hyphenation": lambda t: dehyphenate(t, words),
        "ligatures": lambda t: fix_ligatures(t, words),
        "paragraphs": rejoin_paragraphs,
        "whitespace": normalize_whitespace,
    }
    for name in names:
        yield name, table[name]


def clean_text(raw: str, *, steps: Iterable[str] = PLAIN_STEPS, words: WordList | None = None) -> CleanText:
    """Repair ``raw`` and return clean text with its offset map and table/caption spans."""
    text, segs, counts = run_steps(raw, _steps(steps, words))
    tables, captions = detect_tables_and_captions(text)
    if counts:
        log.debug("cleanup repairs: %s", dict(counts))
    return CleanText(text=text, segments=segs, table_spans=tables, caption_spans=captions, repairs=counts)


def check_map(raw: str, clean: str, segments: Iterable[Seg]) -> None:
    """Raise ``AssertionError`` if any segment's clean and raw characters differ (test helper)."""
    for c, r, n in segments:
        if clean[c : c + n] != raw[r : r + n]:
            raise AssertionError(f"offset map broken at clean {c}: {clean[c:c+n][:40]!r} != {raw[r:r+n][:40]!r}")
