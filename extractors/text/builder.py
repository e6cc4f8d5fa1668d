"""Shared parser machinery: byte decoding with input checks, and a document builder.

Why a builder: structured formats (XML, HTML, BioC) give text in elements,
not in one string. The builder joins element text into blocks separated by
blank lines, cleans each block, labels it, and maps every clean character
back to the decoded raw input by locating each element's text in the raw
string (a forward cursor search; text whose raw form is escaped, e.g.
``&amp;``, is located run by run between the escapes and otherwise left
unmapped). The invariant ``clean[cs:cs+n] == raw[rs:rs+n]`` holds for every
segment by construction.

Why bounded searches: a search of the whole raw text per element made
mapping quadratic (a 2.7 MB page with entities in most text nodes took about
a minute). Searches look in a window after the cursor; only text emitted out
of document order is searched for from the start, and those searches share a
budget proportional to the raw length, so mapping stays linear.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from extractors.text.cleanup import Seg, append_seg, clean_text, compose, run_steps
from schemas.errors import InputError
from schemas.models import Section
from schemas.versions import PARSER_VERSION as PARSER_VERSION
from schemas.vocab import EXTRACTABLE_SECTIONS, well_formed_nct_ids

log = logging.getLogger(__name__)

CELL_SEP = "\ue000"
"""Private-use sentinel between table cells inside a block (becomes a tab)."""
ROW_SEP = "\ue001"
"""Private-use sentinel between table rows inside a block (becomes a newline)."""

_XML_DECL_ENC = re.compile(rb"^<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']")


def decode_bytes(data: bytes, name: str = "input") -> str:
    """Decode input bytes to text, refusing empty, binary and non-UTF-8 input with one-line errors.

    Policy: UTF-8 (a BOM is removed), UTF-16/32 only when a BOM says so, and an
    XML declaration's explicit ``encoding=`` is honoured. Other bytes are NOT
    guessed as cp1252/latin-1: a wrong guess silently corrupts symbols such as
    ``≥`` and ``μ`` in results, so the user is asked to re-save as UTF-8.
    """
    label = name or "input"
    if not data or not data.strip():
        raise InputError(f"{label}: empty file")
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as exc:
                raise InputError(f"{label}: not valid {enc.upper()} despite its byte-order mark ({exc.reason} at byte {exc.start})") from None
            return _check_text(text, label)
    if b"\x00" in data[:65536] or b"\x00" in data[-65536:]:
        raise InputError(f"{label}: binary file (NUL bytes), not text")
    encoding = "utf-8-sig"
    m = _XML_DECL_ENC.match(data.lstrip(b"\xef\xbb\xbf"))
    if m:
        declared = m.group(1).decode("ascii").lower()
        try:
            codecs.lookup(declared)
            if codecs.lookup(declared).name != "utf-8":
                encoding = declared
        except LookupError:
            raise InputError(f"{label}: XML declares unknown encoding {declared!r}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{label}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save the file as UTF-8"
        ) from None
    return _check_text(text, label)


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _check_text(text: str, label: str) -> str:
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise InputError(f"{label}: binary file (control characters), not text")
    return text


class Locator:
    """Find element text in the raw string, moving forward (see module docstring)."""

    _SPLIT = re.compile(r"[&<>\"'\\/\x00-\x1f]")
    _NON_ASCII = re.compile(r"[^\x00-\x7f]")
    WINDOW = 20000
    GLOBAL_SCANS = 256
    GLOBAL_MIN_CHARS = 2_000_000_000
    """Out-of-order searches from the start may scan GLOBAL_SCANS times the raw length in all, or
    GLOBAL_MIN_CHARS characters if that is more (about a second of searching: short articles keep
    every search they need, long pages stay linear)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.cursor = 0
        self.budget = max(self.GLOBAL_SCANS * (len(raw) + 1), self.GLOBAL_MIN_CHARS)
        self.unplaced = 0

    def _subparts(self, part: str, start: int, end: int) -> list[tuple[str, int]]:
        """The run itself if present in ``raw[start:end]``, else its ASCII sub-runs (non-ASCII may be escaped)."""
        if len(part) < 3:
            return []
        if part.isascii() or self.raw.find(part, start, end) >= 0:
            return [(part, 0)]
        out, pos = [], 0
        for sub in self._NON_ASCII.split(part):
            if len(sub) >= 3:
                out.append((sub, pos))
            pos += len(sub) + 1
        return out

    def _split_search(self, piece: str, start: int, window: int) -> tuple[list[Seg], int, bool]:
        """Locate the unescaped runs of ``piece`` one after another from ``start``; True when every run was found."""
        segs: list[Seg] = []
        local = start
        pos = 0
        complete = True
        for part in self._SPLIT.split(piece):
            for sub, off in self._subparts(part, local, local + window + len(part)):
                j = self.raw.find(sub, local, local + window + len(sub))
                if j >= 0:
                    segs.append((pos + off, j, len(sub)))
                    local = j + len(sub)
                else:
                    complete = False
            pos += len(part) + 1
        return segs, local, complete

    def _spend(self) -> bool:
        """Take one search from the start out of the budget; False once it is spent."""
        if self.budget < len(self.raw):
            return False
        self.budget -= len(self.raw)
        return True

    def locate(self, piece: str) -> list[Seg]:
        """Segments (piece offset, raw offset, length) for ``piece``."""
        if not piece or not piece.strip():
            return []
        raw = self.raw
        i = raw.find(piece, self.cursor, self.cursor + self.WINDOW + len(piece))
        if i >= 0:
            if len(piece) >= 4:  # short pieces ("A R") are too ambiguous to move the cursor
                self.cursor = i + len(piece)
            return [(0, i, len(piece))]
        segs, local, complete = self._split_search(piece, self.cursor, self.WINDOW)
        if segs and complete:  # escaped in the raw text, in document order
            self.cursor = local
            return segs
        i = raw.find(piece, max(0, self.cursor - self.WINDOW), self.cursor + len(piece))
        if i < 0 and self._spend():
            i = raw.find(piece)
        if i >= 0:  # emitted out of document order (e.g. a figure nested in a paragraph, a name's parts swapped)
            return [(0, i, len(piece))]
        if segs:
            self.cursor = local
            return segs
        if self._spend():  # out of document order and escaped: search from the start
            segs, _, _ = self._split_search(piece, 0, len(raw))
            return segs
        self.unplaced += 1
        return []


_FLATTEN = re.compile(r"\s+")
_SENTINEL_WS = re.compile(rf" ?([{CELL_SEP}{ROW_SEP}]) ?")


def _flatten_ws(text: str) -> list[tuple[int, int, str]]:
    """Element text: every whitespace run becomes one space (layout came from the XML indentation)."""
    return [(m.start(), m.end(), " ") for m in _FLATTEN.finditer(text) if m.group() != " "]


def _sentinels(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), "\t" if m.group(1) == CELL_SEP else "\n") for m in _SENTINEL_WS.finditer(text)]


def _strip_ends(text: str) -> list[tuple[int, int, str]]:
    edits = []
    lead = len(text) - len(text.lstrip())
    if lead:
        edits.append((0, lead, ""))
    trail = len(text.rstrip())
    if trail < len(text) and trail >= lead:
        edits.append((trail, len(text), ""))
    return edits


@dataclass
class DocBuilder:
    """Collects labelled blocks into clean text + sections + offset map."""

    raw: str
    parts: list[str] = field(default_factory=list)
    segments: list[Seg] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    pos: int = 0
    locator: Locator | None = None

    def __post_init__(self) -> None:
        self.locator = Locator(self.raw)

    def add(self, nodes: Iterable[str | tuple[str, bool]], label: str, heading: str = "") -> str:
        """Add one block from text nodes (``(text, False)`` = separator not to locate). Returns clean text."""
        assert self.locator is not None
        pieces: list[str] = []
        node_segs: list[Seg] = []
        offset = 0
        for node in nodes:
            text, locate = (node, True) if isinstance(node, str) else node
            if not text:
                continue
            if locate:
                for c, r, n in self.locator.locate(text):
                    append_seg(node_segs, offset + c, r, n)
            pieces.append(text)
            offset += len(text)
        block_raw = "".join(pieces)
        if not block_raw.strip():
            return ""
        ct = clean_text(block_raw, steps=("unicode", "ligatures"))
        text, segs2, _ = run_steps(ct.text, [("flatten", _flatten_ws), ("sentinels", _sentinels), ("strip", _strip_ends)])
        segs = compose(segs2, ct.segments)
        if not text:
            return ""
        segs = compose(segs, node_segs)
        if self.parts:
            self.parts.append("\n\n")
            self.pos += 2
        start = self.pos
        for c, r, n in segs:
            append_seg(self.segments, start + c, r, n)
        self.parts.append(text)
        self.pos += len(text)
        last = self.sections[-1] if self.sections else None
        if last is not None and last.label == label and last.heading == heading:
            last.end = self.pos
        else:
            if last is not None:
                last.end = start
            self.sections.append(Section(label=label, start=start, end=self.pos, heading=heading))  # type: ignore[arg-type]
        return text

    def text(self) -> str:
        return "".join(self.parts)

    def extractable_text(self) -> str:
        full = self.text()
        return "\n".join(full[s.start : s.end] for s in self.sections if s.label in EXTRACTABLE_SECTIONS)


def nct_ids_in(text: str, first: Iterable[str] = ()) -> list[str]:
    """Trial ids: metadata ids first, then ids written in the text, de-duplicated in order."""
    seen: dict[str, None] = {}
    for nid in first:
        found = well_formed_nct_ids(nid.upper())
        if found:
            seen.setdefault(found[0], None)
    for nct_id in well_formed_nct_ids(text):
        seen.setdefault(nct_id, None)
    return list(seen)


def year_of(value: str) -> int | None:
    m = re.search(r"\b(1[89]\d{2}|20\d{2})\b", value or "")
    return int(m.group(1)) if m else None
