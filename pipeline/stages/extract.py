"""Extract stage: parsed documents → spaCy pipeline → triples with provenance.

Only extractable sections (title, abstract, body, tables, captions) reach
the models: every other character is blanked to a space before the NLP
pipeline runs, so offsets stay those of the clean text while references,
affiliations and conflict-of-interest lists cannot produce a triple.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pipeline.stages.context import Progress, RunStats, WorkDir
from schemas.errors import InputError, OncoTriplesError
from schemas.files import atomic_write_bytes, read_jsonl, write_jsonl
from schemas.models import Document, OffsetSegment, Triple
from schemas.vocab import EXTRACTABLE_SECTIONS

if TYPE_CHECKING:
    from spacy.language import Language

    from pipeline.state.db import StateDB

log = logging.getLogger(__name__)

READABLE_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".html", ".htm", ".xml", ".nxml", ".json", ".pdf")
MAX_INPUT_BYTES = 200 * 1024 * 1024

_RETRO = re.compile(r"\bretrospective(?:ly)?\b|\bwe (?:retrospectively )?(?:reviewed|analy[sz]ed|enrolled|collected)\b", re.IGNORECASE)
_CASE = re.compile(r"\bcase report\b|\bwe (?:report|present|describe) (?:a|an|the) (?:case|patient)\b", re.IGNORECASE)
_TRIAL = re.compile(r"\b(?:this|a|an) (?:open-label|randomi[sz]ed|multicenter|single-arm)[\w ,-]{0,40}(?:trial|study)\b", re.IGNORECASE)


@dataclass
class ExtractionFailure:
    input: str
    message: str


@dataclass
class ExtractionResult:
    triples: list[Triple] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


def document_default_level(doc: Document) -> str:
    """Evidence level for sentences with no cue of their own: the document's study type."""
    head = " ".join(doc.text[s.start : s.end] for s in doc.sections if s.label in ("title", "abstract"))[:6000]
    if not head:
        head = doc.text[:4000]
    if _CASE.search(head):
        return "case_report"
    if _RETRO.search(head):
        return "retrospective"
    if _TRIAL.search(head):
        return "clinical_trial"
    return "review"


_NOT_NEWLINE = re.compile(r"[^\n]")


def nlp_text(doc: Document) -> str:
    """The clean text with every non-extractable character blanked (newlines kept).

    Built from slices, not a list of characters, so it costs a few bytes per character.
    """
    if not doc.sections:
        return doc.text
    text = doc.text
    keep = sorted((max(0, s.start), min(len(text), s.end)) for s in doc.sections if s.label in EXTRACTABLE_SECTIONS)
    parts: list[str] = []
    pos = 0
    for start, end in keep:
        start = max(start, pos)
        if end <= start:
            continue
        parts.append(_NOT_NEWLINE.sub(" ", text[pos:start]))
        parts.append(text[start:end])
        pos = end
    parts.append(_NOT_NEWLINE.sub(" ", text[pos:]))
    return "".join(parts)


def clean_to_raw(offset_map: list[OffsetSegment], pos: int) -> int | None:
    """Map a clean-text offset to the raw text (None when the map is empty)."""
    if not offset_map:
        return None
    starts = [seg.clean_start for seg in offset_map]
    i = bisect.bisect_right(starts, pos) - 1
    if i < 0:
        return offset_map[0].raw_start
    seg = offset_map[i]
    return seg.raw_start + min(pos - seg.clean_start, seg.length)


def clean_end_to_raw(offset_map: list[OffsetSegment], end: int) -> int | None:
    """Map the exclusive end of a clean span to the raw text, through the span's last character.

    Mapping ``end`` itself would take in raw characters the cleanup deleted after the span
    (the ``\r`` of a CRLF line end, trailing spaces).
    """
    if not offset_map or end <= 0:
        return clean_to_raw(offset_map, end)
    starts = [seg.clean_start for seg in offset_map]
    i = bisect.bisect_right(starts, end - 1) - 1
    if i < 0:
        return offset_map[0].raw_start
    seg = offset_map[i]
    return seg.raw_start + min(end - seg.clean_start, seg.length)


def raw_evidence(raw_text: str | None, doc: Document, start: int, end: int, limit: int = 300) -> str | None:
    """The source characters behind a clean span, so evidence is an exact substring of the source."""
    if not raw_text:
        return None
    rs, re_ = clean_to_raw(doc.offset_map, start), clean_end_to_raw(doc.offset_map, end)
    if rs is None or re_ is None or re_ <= rs:
        return None
    piece = raw_text[rs:re_]
    if len(piece) > limit:
        piece = piece[:limit]
    return piece if len(piece.strip()) >= 20 else None


CHUNK_CHARS = 200_000
"""Longer texts are processed in paragraph-aligned chunks so memory stays bounded (spaCy's limit is 1M chars)."""


def text_chunks(text: str, limit: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """Split at paragraph (else line, else any) boundaries into pieces of at most ``limit`` characters."""
    chunks, start = [], 0
    while len(text) - start > limit:
        window_end = start + limit
        cut = text.rfind("\n\n", start + limit // 2, window_end)
        if cut < 0:
            cut = text.rfind("\n", start + limit // 2, window_end)
        cut = window_end if cut < 0 else cut + 1
        chunks.append((start, cut))
        start = cut
    chunks.append((start, len(text)))
    return chunks


def extract_document(nlp: Language, doc: Document, *, raw_text: str | None = None, level: str | None = None) -> list[Triple]:
    """Run the pipeline over one parsed document and return its triples.

    ``level``: the evidence level of sentences without a cue of their own, when ``doc`` is a
    later piece of a long text (by default read from the document's own head).
    """
    text = nlp_text(doc)
    level = level or document_default_level(doc)
    sections = [(s.start, s.end, s.label) for s in doc.sections]
    triples: list[Triple] = []
    for c_start, c_end in text_chunks(text):
        spacy_doc = nlp.make_doc(text[c_start:c_end])
        spacy_doc._.doc_id = doc.doc_id
        spacy_doc._.source = doc.source
        spacy_doc._.source_id = doc.source_id or doc.doc_id
        spacy_doc._.sections = [(max(a, c_start) - c_start, min(b, c_end) - c_start, label) for a, b, label in sections if a < c_end and b > c_start] or None
        spacy_doc._.default_level = level
        for _name, proc in nlp.pipeline:
            spacy_doc = proc(spacy_doc)
        for t in spacy_doc._.triples or []:
            if c_start:
                t = t.model_copy(
                    update={
                        "sentence_start": t.sentence_start + c_start,
                        "sentence_end": t.sentence_end + c_start,
                        "evidence_start": t.evidence_start + c_start,
                        "evidence_end": t.evidence_end + c_start,
                    }
                )
            ev = raw_evidence(raw_text, doc, t.evidence_start, t.evidence_end)
            if ev is not None and ev != t.evidence:
                t = t.model_copy(update={"evidence": ev, "evidence_text": t.evidence})
            triples.append(t)
    if len(triples) > 1 and c_start:
        from extractors.nlp.merge import merge_by_key

        triples = merge_by_key(triples)
    return triples


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is (None for a regular file): reading a FIFO or a device can block or never end."""
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((kind for test, kind in kinds if test(mode)), "not a file")


def _not_regular_error(path: Path, kind: str) -> InputError:
    return InputError(f"{path}: not a regular file ({kind}); give text files or folders of them")


def iter_input_files(paths: Iterable[Path]) -> Iterator[tuple[Path, InputError | None]]:
    """Expand files and directories; yield (path, error) so bad inputs are reported, not dropped.

    A FIFO, socket or device is an error whether named or found in a folder (in a folder, when
    its name has a readable suffix): reading one blocks or never ends.
    """
    from extractors.text.formats import OFFICE_SUFFIXES

    listed = READABLE_SUFFIXES + tuple(OFFICE_SUFFIXES)
    for path in paths:
        if not path.exists():
            yield path, InputError(f"{path}: no such file or directory")
            continue
        if path.is_dir():
            found = False
            files: list[Path] = []
            for p in sorted(path.rglob("*")):
                if p.suffix.lower() not in listed or p.name.startswith("."):
                    continue  # office documents are listed so that each is refused with its hint
                try:
                    mode = p.stat().st_mode
                except OSError as exc:
                    found = True
                    yield p, InputError(f"{p}: cannot read ({exc.strerror or exc})")
                    continue
                if stat.S_ISDIR(mode):
                    continue
                found = True
                kind = _not_regular(mode)
                if kind is not None:
                    yield p, _not_regular_error(p, kind)
                    continue
                files.append(p)
            if not found:
                yield path, InputError(f"{path}: directory holds no readable file ({', '.join(READABLE_SUFFIXES)})")
            for f in files:
                yield f, None
            continue
        kind = _not_regular(path.stat().st_mode)
        yield path, (_not_regular_error(path, kind) if kind is not None else None)


def open_input(path: Path) -> BinaryIO:
    """Open one input file for reading, refusing non-regular files and inputs above the size limit.

    The file is opened without blocking and checked on the open descriptor, so a FIFO put in
    place after the folder was listed is refused instead of blocking the run.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        try:
            kind = _not_regular(path.stat().st_mode)
        except OSError:
            kind = None
        if kind is not None:
            raise _not_regular_error(path, kind) from exc
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        info = os.fstat(fd)
        kind = _not_regular(info.st_mode)
        if kind is not None:
            raise _not_regular_error(path, kind)
        if info.st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: {info.st_size} bytes is larger than the {MAX_INPUT_BYTES} byte limit")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_input(path: Path) -> bytes:
    """Read one input file with the regular-file and size guards; errors name the file."""
    with open_input(path) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


LARGE_TEXT_BYTES = 1024 * 1024
"""A plain-text or Markdown input above this size is read, parsed and extracted in paragraph-aligned
pieces of about this size, so memory stays a small multiple of a piece whatever the file size."""

_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")


def text_pieces(fh: BinaryIO, size: int = LARGE_TEXT_BYTES) -> Iterator[tuple[int, bytes]]:
    """(byte offset, bytes) of consecutive pieces of about ``size`` bytes, cut after a blank line if
    there is one in the second half of the piece, else after a line end, else at a UTF-8 character boundary."""
    buf = b""
    offset = 0
    eof = False
    while not eof or buf:
        if not eof and len(buf) < size:
            block = fh.read(size)
            eof = not block
            buf += block
            continue
        if eof and len(buf) <= size:
            yield offset, buf
            return
        cut = -1
        for m in _BLANK_LINE.finditer(buf, size // 2, size):
            cut = m.end()
        if cut < 0:
            cut = buf.rfind(b"\n", size // 2, size) + 1 or size
            while cut < len(buf) and buf[cut] & 0xC0 == 0x80:  # never inside a UTF-8 sequence
                cut -= 1
        yield offset, buf[:cut]
        offset += cut
        buf = buf[cut:]


PIECE_SEPARATOR = "\n\n"
"""The clean text of a long input is the clean text of its pieces joined by this; triple offsets refer to it."""


def extract_long_text(nlp: Language, path: Path, *, doc_id: str, fmt: str) -> tuple[Document, list[Triple]]:
    """Extract a long plain text piece by piece (see :data:`LARGE_TEXT_BYTES`).

    Every piece is decoded, cleaned, labelled (going on in the section the previous piece
    ended in) and run through the pipeline alone; triple offsets are shifted into the joined
    clean text and the triples of all pieces merged by key. The returned Document is the
    first piece, with the hash of the whole input and a note saying so. A piece that cannot
    be decoded fails the whole input, as it does for a short one.
    """
    from extractors.nlp.merge import merge_by_key
    from extractors.text.builder import decode_bytes
    from extractors.text.formats import parse_text_piece

    sha = hashlib.sha256()
    first: Document | None = None
    triples: list[Triple] = []
    nct_ids: dict[str, None] = {}
    base = 0
    level: str | None = None
    continues: str | None = None
    pieces = 0
    with open_input(path) as fh:
        for offset, data in text_pieces(fh, LARGE_TEXT_BYTES):
            sha.update(data)
            if not data.strip():
                base += len(PIECE_SEPARATOR)
                continue
            name = str(path) if offset == 0 else f"{path} (piece from byte {offset})"
            raw = decode_bytes(data, name)
            doc = parse_text_piece(raw, doc_id=doc_id, fmt=fmt, source="file", source_id=str(path), continues=continues)
            pieces += 1
            if first is None:
                first, level = doc, document_default_level(doc)
            for t in extract_document(nlp, doc, raw_text=raw, level=level):
                triples.append(t.model_copy(update={
                    "sentence_start": t.sentence_start + base, "sentence_end": t.sentence_end + base,
                    "evidence_start": t.evidence_start + base, "evidence_end": t.evidence_end + base,
                }))
            nct_ids.update(dict.fromkeys(doc.nct_ids))
            if doc.sections:
                continues = doc.sections[-1].label
            base += len(doc.text) + len(PIECE_SEPARATOR)
    if first is None:
        raise InputError(f"{path}: empty file")
    if len(triples) > 1:
        triples = merge_by_key(triples)
    note = f"long input: parsed and extracted in {pieces} pieces of about {LARGE_TEXT_BYTES} bytes; text, sections and offset map are the first piece's"
    summary = first.model_copy(update={"raw_sha256": sha.hexdigest(), "nct_ids": list(nct_ids), "notes": [*first.notes, note]})
    return summary, triples


DUPLICATE_STEM_NOTE = "doc_id is path-derived"
"""Start of the note on a document whose file stem another input shares."""


def document_ids(files: Iterable[Path]) -> dict[Path, str]:
    """``doc_id`` per input file: its stem, or a path-derived id when inputs share the stem.

    Files with a stem of their own keep it (the common case: ids and ``triple_id`` stay those of
    earlier runs). Files sharing a stem are named by their path relative to the deepest folder
    they share, without the suffix (``a/paper``, ``b/paper``), or with it when that is still
    ambiguous (``paper.txt``, ``paper.md``), so no two inputs share a ``doc_id`` or a ``triple_id``.
    """
    by_stem: dict[str, list[Path]] = {}
    for f in files:
        by_stem.setdefault(f.stem, []).append(f)
    ids: dict[Path, str] = {}
    for stem, group in by_stem.items():
        if len(group) == 1:
            ids[group[0]] = stem
            continue
        resolved = [f.resolve() for f in group]
        root = Path(os.path.commonpath([r.parent for r in resolved]))
        relative = [r.relative_to(root) for r in resolved]
        bare = [rel.with_suffix("").as_posix() for rel in relative]
        for f, rel, name in zip(group, relative, bare, strict=True):
            ids[f] = name if bare.count(name) == 1 else rel.as_posix()
        log.warning("%d inputs share the file stem %r; their doc_ids are path-derived: %s", len(group), stem, ", ".join(ids[f] for f in group))
    return ids


@dataclass
class InputResult:
    """What one input file gave: its documents, their triples and the failures met on the way."""

    documents: list[Document] = field(default_factory=list)
    triples: list[Triple] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)


def plan_inputs(paths: Iterable[Path]) -> tuple[list[tuple[Path, InputError | None]], dict[Path, str]]:
    """The inputs in processing order (each file once, errors kept in place) and the ``doc_id`` of each readable one."""
    inputs: list[tuple[Path, InputError | None]] = []
    seen: set[Path] = set()
    for path, error in iter_input_files(paths):
        if error is None:
            key = path.resolve()
            if key in seen:
                continue
            seen.add(key)
        inputs.append((path, error))
    return inputs, document_ids(path for path, error in inputs if error is None)


def extract_input(nlp: Language, path: Path, doc_id: str) -> InputResult:
    """Parse and extract one input file; its failures are recorded in the result, never raised.

    A pure function of the file and the pipeline, so the serial and the parallel paths
    (``pipeline.stages.parallel``) give the same records.
    """
    from extractors.text.formats import PLAIN_FORMATS, parse_documents

    result = InputResult()
    try:
        fmt = _long_text_format(path)
        if fmt is not None:
            doc, triples = extract_long_text(nlp, path, doc_id=doc_id, fmt=fmt)
            extracted = [(doc, triples)]
        else:
            data = read_input(path)
            parsed = parse_documents(data, doc_id=doc_id, filename=str(path), source="file", source_id=str(path))
            result.failures.extend(ExtractionFailure(str(path), line) for line in parsed.failures)
            raw_text = parsed.raw_text if parsed.documents[0].format in PLAIN_FORMATS else None
            extracted = [(doc, extract_document(nlp, doc, raw_text=raw_text)) for doc in parsed.documents]
        for doc, triples in extracted:
            if doc_id != path.stem:
                doc.notes.append(f"{DUPLICATE_STEM_NOTE}: another input shares the file stem {path.stem!r}")
            result.triples.extend(triples)
            result.documents.append(doc)
    except OncoTriplesError as exc:
        msg = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
        result.failures.append(ExtractionFailure(str(path), msg.splitlines()[0]))
    except (ValueError, MemoryError, RecursionError) as exc:  # a defect of ours must not lose the other inputs
        log.exception("unexpected failure on %s", path)
        result.failures.append(ExtractionFailure(str(path), f"{path}: internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"))
    return result


def merge_input_results(results: Iterable[InputResult]) -> ExtractionResult:
    """One result from per-input results taken in input order; triples sorted as every caller expects."""
    merged = ExtractionResult()
    for r in results:
        merged.triples.extend(r.triples)
        merged.documents.extend(r.documents)
        merged.failures.extend(r.failures)
    merged.triples.sort(key=lambda t: (t.doc_id, t.sentence_start, t.triple_id))
    return merged


def extract_paths(paths: Iterable[Path], nlp: Language, *, progress: Progress | None = None) -> ExtractionResult:
    """Parse and extract every input; a failing input is recorded and the rest still processed.

    ``doc_id`` is the file stem unless inputs share it (see :func:`document_ids`); a file named
    twice (directly and inside a folder given too) is extracted once. An input holding several
    articles (a PubMed set, a PMC article set, a BioC collection) gives one Document per article,
    ``<doc_id>-<PMID | PMCID | BioC id>``, so no article is lost; an article that cannot be read
    is a failure of its own, the others are kept. A single article keeps ``doc_id``.
    """
    inputs, ids = plan_inputs(paths)
    return extract_planned(inputs, ids, nlp, progress=progress)


def extract_planned(inputs: list[tuple[Path, InputError | None]], ids: dict[Path, str], nlp: Language, *, progress: Progress | None = None) -> ExtractionResult:
    """:func:`extract_paths` on inputs already listed by :func:`plan_inputs`, in this process."""
    results: list[InputResult] = []
    for i, (path, error) in enumerate(inputs):
        if progress:
            progress("extract", i, len(inputs))
        if error is not None:
            results.append(InputResult(failures=[ExtractionFailure(str(path), str(error))]))
            continue
        results.append(extract_input(nlp, path, ids[path]))
    if progress:
        progress("extract", len(inputs), len(inputs))
    return merge_input_results(results)


def _long_text_format(path: Path) -> str | None:
    """``txt`` or ``md`` for a plain-text input above :data:`LARGE_TEXT_BYTES`, else None."""
    from extractors.text.formats import detect_format

    with open_input(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= LARGE_TEXT_BYTES:
            return None
        head = fh.read(65536)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-16/32 cannot be cut at b"\n"
        return None
    try:
        fmt = detect_format(head, path.name)
    except OncoTriplesError:
        return None  # the whole-file path reports it
    return fmt if fmt in ("txt", "md") else None


# ------------------------------------------------------------------ the stage


def versions_fingerprint(versions: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class ExtractionCache:
    """Per-item extraction output with a meta file naming the input hash and versions that produced it.

    The meta file is written after the output, atomically, and records the output's own hash,
    so a torn or edited output is never taken as current.
    """

    work: WorkDir
    fingerprint: str

    def load(self, key: str, raw_sha256: str) -> tuple[list[Triple], str] | None:
        """The stored triples and their output hash when they are current for this input, else None."""
        meta_path, data_path = self.work.extracted_meta(key), self.work.extracted_path(key)
        if not (meta_path.is_file() and data_path.is_file()):
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
            if meta.get("raw_sha256") != raw_sha256 or meta.get("versions") != self.fingerprint or meta.get("data_sha256") != _file_sha(data_path):
                return None
            return [Triple.model_validate(r) for r in read_jsonl(data_path)], meta["data_sha256"]
        except (OSError, ValueError) as exc:  # a torn or damaged cache entry is rebuilt, not fatal
            log.warning("extraction cache %s is unreadable (%s); discarded and extracted again", meta_path, str(exc).splitlines()[0])
            return None

    def store(self, key: str, raw_sha256: str, triples: list[Triple]) -> str:
        """Write the output, then its meta file; returns the output hash."""
        data_path = self.work.extracted_path(key)
        write_jsonl(data_path, triples)
        output_sha = _file_sha(data_path)
        meta = {"raw_sha256": raw_sha256, "versions": self.fingerprint, "data_sha256": output_sha, "triples": len(triples)}
        atomic_write_bytes(self.work.extracted_meta(key), json.dumps(meta, sort_keys=True).encode("utf-8"))
        return output_sha


@dataclass
class DocumentOutcome:
    """One document's extraction: its triples and stored output hash, or the one-line error."""

    doc_id: str
    triples: list[Triple] = field(default_factory=list)
    output_sha256: str = ""
    error: str | None = None


def extract_and_store(work: WorkDir, fingerprint: str, nlp: Language, doc: Document) -> DocumentOutcome:
    """Extract one parsed document and store its output (atomically, meta file last) in the work directory.

    Runs where the pipeline is, in this process or on a Dask worker: the output file is
    written before the result travels back, so a job killed later still finds it current.
    """
    try:
        raw_text = None
        if doc.format in ("txt", "md"):
            raw_text = work.raw.get_bytes(doc.raw_sha256).decode("utf-8-sig", errors="replace")
        triples = extract_document(nlp, doc, raw_text=raw_text)
    except OncoTriplesError as exc:
        return DocumentOutcome(doc.doc_id, error=str(exc).splitlines()[0])
    output_sha = ExtractionCache(work, fingerprint).store(doc.doc_id, doc.raw_sha256, triples)
    return DocumentOutcome(doc.doc_id, triples, output_sha)


DocumentMapper = Callable[[WorkDir, str, list[Document]], Iterator[DocumentOutcome]]
"""mapper(work, fingerprint, documents): every document's outcome, in any order (the parallel path)."""


def extract_stage(
    work: WorkDir,
    documents: list[Document],
    nlp_factory: Callable[[], Any],
    versions: dict[str, str],
    stats: RunStats,
    *,
    force: bool = False,
    progress: Progress | None = None,
    state: StateDB | None = None,
    mapper: DocumentMapper | None = None,
) -> dict[str, list[Triple]]:
    """Extract triples per document, re-using stored output when input hash and versions match.

    The per-document meta file (written after the output, atomically) decides whether the
    stored output is current. With ``state``, every document's row is brought up to date:
    extracted (hash, versions, output hash, triple count), failed (with the error), or
    reconciled when a killed job wrote the output but not the row. ``mapper`` extracts the
    documents that are not current elsewhere (Dask workers); by default they are extracted
    here, one after another. The result does not depend on the order outcomes arrive in.
    """
    fingerprint = versions_fingerprint(versions)
    cache = ExtractionCache(work, fingerprint)
    out: dict[str, list[Triple]] = {}
    known = {d.doc_id: d for d in state.documents()} if state is not None else {}
    by_id = {doc.doc_id: doc for doc in documents}
    pending: list[Document] = []
    done = 0
    for doc in documents:
        cached = None if force else cache.load(doc.doc_id, doc.raw_sha256)
        if cached is None:
            pending.append(doc)
            continue
        if progress:
            progress("extract", done, len(documents))
        done += 1
        out[doc.doc_id], output_sha = cached
        stats.documents_skipped += 1
        row = known.get(doc.doc_id)
        if state is not None and (row is None or (row.status, row.content_sha256, row.versions_fingerprint, row.output_sha256) != ("extracted", doc.raw_sha256, fingerprint, output_sha)):
            state.mark_extracted(doc.doc_id, content_sha256=doc.raw_sha256, versions=versions, fingerprint=fingerprint, output_sha256=output_sha, triples=len(out[doc.doc_id]))
    outcomes = _serial_outcomes(work, fingerprint, nlp_factory, pending) if mapper is None or not pending else mapper(work, fingerprint, pending)
    for outcome in outcomes:
        if progress:
            progress("extract", done, len(documents))
        done += 1
        doc = by_id[outcome.doc_id]
        if outcome.error is not None:
            stats.fail("extract", doc.doc_id, outcome.error)
            if state is not None:
                state.mark_failed(doc.doc_id, stage="extract", error=outcome.error, content_sha256=doc.raw_sha256)
            continue
        if state is not None:
            state.mark_extracted(doc.doc_id, content_sha256=doc.raw_sha256, versions=versions, fingerprint=fingerprint, output_sha256=outcome.output_sha256, triples=len(outcome.triples))
        stats.documents_extracted += 1
        out[doc.doc_id] = outcome.triples
    if progress:
        progress("extract", len(documents), len(documents))
    return {doc.doc_id: out[doc.doc_id] for doc in documents if doc.doc_id in out}


def _serial_outcomes(work: WorkDir, fingerprint: str, nlp_factory: Callable[[], Any], pending: list[Document]) -> Iterator[DocumentOutcome]:
    """The pending documents extracted in this process, the pipeline built only if there is one."""
    nlp = nlp_factory() if pending else None
    for doc in pending:
        yield extract_and_store(work, fingerprint, nlp, doc)


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
