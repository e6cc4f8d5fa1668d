"""Read and write PubTator documents.

A PubTator document is a title line ``PMID|t|title``, an abstract line
``PMID|a|abstract``, then zero or more tab-separated annotation lines: mention
lines ``PMID  start  end  text  type  id`` (character offsets into
``title + " " + abstract``) and relation lines ``PMID  type  id1  id2``.
Documents are separated by blank lines. CRLF line ends are tolerated.

:func:`read_pubtator` keeps the gold mentions it finds (training needs them);
:func:`write_pubtator` writes only the mentions it is given, so predicted
output never carries gold lines over from the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import InputError

__all__ = [
    "Mention",
    "PubTatorDoc",
    "format_doc",
    "iter_pubtator",
    "read_pubtator",
    "write_pubtator",
]


@dataclass(frozen=True)
class Mention:
    """One entity mention; ``start``/``end`` are offsets into :attr:`PubTatorDoc.text`."""

    start: int
    end: int
    text: str
    type: str
    id: str = ""


@dataclass
class PubTatorDoc:
    """A PubTator document: title, abstract and (gold or predicted) mentions."""

    pmid: str
    title: str
    abstract: str = ""
    mentions: list[Mention] = field(default_factory=list)

    @property
    def text(self) -> str:
        """``title + " " + abstract`` — the string all offsets index into."""
        return f"{self.title} {self.abstract}"


def _clean(value: str) -> str:
    # Tabs and line breaks would break the line format; PubTator text has none.
    return value.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def iter_pubtator(path: str | Path) -> Iterator[PubTatorDoc]:
    """Yield the documents of a PubTator file in file order.

    Raises :class:`InputError` (naming the file and line) when the file is
    missing, not UTF-8 text, or holds no ``|t|`` line where one is needed.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such PubTator file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc})") from exc
    if b"\x00" in raw[:8192]:
        raise InputError(f"{p}: binary file, not PubTator text")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start})") from exc

    doc: PubTatorDoc | None = None
    n_docs = 0
    for lineno, line in enumerate(content.splitlines(), 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        head = line[:40]
        if "|t|" in head and "\t" not in line.split("|t|", 1)[0]:
            pmid, title = line.split("|t|", 1)
            if doc is not None:
                yield doc
                n_docs += 1
            doc = PubTatorDoc(pmid=pmid.strip(), title=title)
            continue
        if "|a|" in head and "\t" not in line.split("|a|", 1)[0]:
            pmid, abstract = line.split("|a|", 1)
            if doc is None or doc.pmid != pmid.strip():
                raise InputError(f"{p}:{lineno}: abstract line without a matching title line")
            doc.abstract = abstract
            continue
        fields = line.split("\t")
        if doc is None:
            raise InputError(f"{p}:{lineno}: expected a 'PMID|t|title' line, got {line[:60]!r}")
        if len(fields) >= 5 and fields[1].isdigit() and fields[2].isdigit():
            start, end = int(fields[1]), int(fields[2])
            doc.mentions.append(
                Mention(start, end, fields[3], fields[4].strip(), fields[5].strip() if len(fields) > 5 else "")
            )
        # relation lines and anything else are ignored
    if doc is not None:
        yield doc
        n_docs += 1
    if n_docs == 0:
        raise InputError(f"{p}: no PubTator documents (no 'PMID|t|title' line)")


def read_pubtator(path: str | Path) -> list[PubTatorDoc]:
    """Read a whole PubTator file (see :func:`iter_pubtator`)."""
    return list(iter_pubtator(path))


def format_doc(doc: PubTatorDoc, mentions: Iterable[Mention] | None = None) -> str:
    """Serialize one document (title, abstract, mention lines, trailing blank line).

    ``mentions`` defaults to ``doc.mentions``; mention lines are sorted by
    offset, and each mention's text is re-sliced from the document text so
    the written offsets always slice to the written text.
    """
    ms = doc.mentions if mentions is None else list(mentions)
    text = doc.text
    lines = [f"{doc.pmid}|t|{_clean(doc.title)}", f"{doc.pmid}|a|{_clean(doc.abstract)}"]
    for m in sorted(ms, key=lambda m: (m.start, m.end, m.type)):
        if not (0 <= m.start < m.end <= len(text)):
            continue
        surface = _clean(text[m.start : m.end])
        lines.append(f"{doc.pmid}\t{m.start}\t{m.end}\t{surface}\t{m.type}\t{_clean(m.id)}")
    return "\n".join(lines) + "\n\n"


def write_pubtator(docs: Iterable[PubTatorDoc], path: str | Path) -> int:
    """Write documents with their ``mentions``; return the number of documents written."""
    p = Path(path)
    n = 0
    with p.open("w", encoding="utf-8", newline="\n") as fh:
        for doc in docs:
            fh.write(format_doc(doc))
            n += 1
    return n
