"""Large and odd inputs: non-regular files, linear HTML offset mapping, long plain text in chunks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.text import builder
from extractors.text.formats import parse_document
from pipeline.stages.extract import extract_paths

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]
GOOD = "The EGFR C797S mutation confers resistance to osimertinib in patients with EGFR-mutant NSCLC.\n"

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


@needs_fifo
def test_fifo_argument_is_refused_with_one_line_error(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [*CLI, "extract", str(fifo), str(good), "--out", str(out), "--ner-model", "none"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(fifo) in errors[0] and "not a regular file" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert "good" in out.read_text(encoding="utf-8")


@needs_fifo
def test_fifo_in_a_folder_is_a_recorded_failure(nlp_rules, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    result = extract_paths([tmp_path], nlp_rules)
    assert [d.doc_id for d in result.documents] == ["good"]
    assert len(result.failures) == 1
    assert "pipe.txt" in result.failures[0].message and "not a regular file" in result.failures[0].message


def test_socket_in_a_folder_is_a_recorded_failure(nlp_rules, tmp_path: Path) -> None:
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this platform")
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "listen.txt"))
        result = extract_paths([tmp_path], nlp_rules)
    finally:
        sock.close()
    assert [d.doc_id for d in result.documents] == ["good"]
    assert [("listen.txt" in f.message, "not a regular file" in f.message) for f in result.failures] == [(True, True)]


def test_device_argument_is_refused(nlp_rules) -> None:
    result = extract_paths([Path("/dev/null")], nlp_rules)
    assert not result.documents
    assert len(result.failures) == 1 and "not a regular file" in result.failures[0].message


class _CountingStr(str):
    """The raw text, counting how many characters ``find`` is asked to scan."""

    scanned = 0

    def find(self, sub, start=None, end=None):  # type: ignore[override]
        lo = 0 if start is None else start
        hi = len(self) if end is None else min(end, len(self))
        _CountingStr.scanned += max(0, hi - lo)
        return super().find(sub, lo, hi)


def _html(paragraphs: int) -> str:
    """Paragraphs whose text nodes hold entities and non-ASCII, as PMC pages do (none is in the raw verbatim)."""
    para = (
        "<p>Patients with <i>EGFR</i> T790M&nbsp;received osimertinib 80&nbsp;mg; ORR was 61% &amp; PFS &ge; 9.6&nbsp;months "
        "(<a href='#r1'>1</a>) in μ-dose cohort {n}, and <b>C797S</b> emerged in 15% &lt; of cases.</p>\n"
    )
    return "<html><body><article><h1>Osimertinib</h1>" + "".join(para.format(n=i) for i in range(paragraphs)) + "</article></body></html>"


def _scanned(raw: str) -> int:
    _CountingStr.scanned = 0
    b = builder.DocBuilder(_CountingStr(raw))
    from extractors.text.html import parse_html

    parse_html(raw, b)
    assert "osimertinib 80 mg" in b.text()
    return _CountingStr.scanned


def test_html_offset_mapping_scans_linearly() -> None:
    """Doubling the page at most doubles the raw text scanned (a global search per text node was quadratic)."""
    small, large = _scanned(_html(300)), _scanned(_html(600))
    assert large <= 2.3 * small, (small, large)


def test_html_offset_map_still_exact() -> None:
    raw = _html(50)
    doc = parse_document(raw.encode(), doc_id="p", filename="p.html")
    for seg in doc.offset_map:
        assert doc.text[seg.clean_start : seg.clean_start + seg.length] == raw[seg.raw_start : seg.raw_start + seg.length]
    mapped = sum(seg.length for seg in doc.offset_map)
    assert mapped > 0.8 * len(doc.text)


def _long_text(n_bytes: int) -> str:
    filler = "Patients were followed for a median of twelve months in this cohort of the study. " * 6
    block = f"{filler}\n\n{GOOD}\n"
    head = "Acquired resistance in lung cancer\n\nAbstract\n\n"
    return head + block * (n_bytes // len(block))


def test_long_text_is_extracted_in_pieces_with_the_same_triples(nlp_rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.stages import extract

    text = _long_text(40_000)
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    whole = extract_paths([path], nlp_rules)
    monkeypatch.setattr(extract, "LARGE_TEXT_BYTES", 4096)
    pieces = extract_paths([path], nlp_rules)
    assert not pieces.failures
    assert any("pieces" in n for n in pieces.documents[0].notes)
    assert {t.triple_id for t in pieces.triples} == {t.triple_id for t in whole.triples} != set()
    joined = extract.PIECE_SEPARATOR.join(
        parse_document(piece, doc_id="long", filename="long.txt").text for _, piece in extract.text_pieces(path.open("rb"), 4096)
    )
    for t in pieces.triples:
        assert t.evidence.strip() in joined[t.sentence_start : t.sentence_end + 1], (t.sentence_start, t.evidence)


def _peak(nlp, path: Path) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        result = extract_paths([path], nlp)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.triples and not result.failures
    return peak


def test_long_text_memory_does_not_grow_with_the_file(nlp_rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the piece size, peak memory is that of a piece: a file four times longer needs about as much."""
    from pipeline.stages import extract

    monkeypatch.setattr(extract, "LARGE_TEXT_BYTES", 32 * 1024, raising=False)
    short, long_ = tmp_path / "short.txt", tmp_path / "long.txt"
    short.write_text(_long_text(128 * 1024), encoding="utf-8")
    long_.write_text(_long_text(512 * 1024), encoding="utf-8")
    _peak(nlp_rules, short)  # warm caches (word list, lexicons) out of the measurement
    small, large = _peak(nlp_rules, short), _peak(nlp_rules, long_)
    assert large < 1.5 * small, (small, large)
