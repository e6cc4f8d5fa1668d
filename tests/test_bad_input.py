"""Bad input at parser level: one-line InputError naming the input, or bounded processing."""

from __future__ import annotations

import tracemalloc

import pytest

from extractors.text.formats import parse_document
from schemas.errors import InputError, ParseError

BAD = [
    pytest.param(b"", "empty file", id="empty"),
    pytest.param(b"  \n\t\n", "empty file", id="whitespace-only"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary", id="binary-nul"),
    pytest.param("Résumé of the café trial".encode("cp1252"), "not valid UTF-8", id="non-utf8-cp1252"),
    pytest.param(b"1234 5678\n---\n.. ,, 99", "no readable text", id="nothing-readable"),
    pytest.param(b'{"foo": 1}', "not BioC", id="json-not-bioc"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_raises_one_line_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_document(data, doc_id="bad", filename="bad_input.txt" if not data.startswith(b"{") else "bad.json")
    text = str(info.value)
    assert message in text
    assert "bad" in text  # names the input
    assert "\n" not in text


def test_malformed_xml_is_parse_error() -> None:
    with pytest.raises(ParseError, match="malformed XML"):
        parse_document(b"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle>", doc_id="broken", filename="broken.xml")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("\ufeffALK-positive lung cancer responds to alectinib.".encode(), id="utf8-bom"),
        pytest.param("ALK-positive lung cancer responds to alectinib.".encode("utf-16"), id="utf16-bom"),
    ],
)
def test_bom_inputs_decode(data: bytes) -> None:
    doc = parse_document(data, doc_id="bom", filename="bom.txt")
    assert doc.text.startswith("ALK-positive")


@pytest.mark.slow
def test_large_text_bounded_memory() -> None:
    """A 300 kB text: peak Python allocation stays a small multiple of the input (linear steps).

    The 20 MB figure comes from scripts/bench_cleanup.py (too slow for the unit suite).
    """
    para = (
        "Patients with ALK-positive NSCLC identi ed by FISH received alectinib; resis-\ntance emerged with G1202R "
        "($P=0.001$, *n* = 20) &amp; ALK⁺ tumours.\nPage 3 of 12\n\n"
    )
    raw = (para * (300_000 // len(para))).encode()
    tracemalloc.start()
    try:
        doc = parse_document(raw, doc_id="large", filename="large.txt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "identified" in doc.text and "resistance" in doc.text
    assert peak < 60 * len(raw), f"peak {peak / 1e6:.0f} MB for {len(raw) / 1e6:.0f} MB input"
