"""A drug written as ``X-based ...``: the backbone of the therapy, or a modifier of another noun."""

from __future__ import annotations

import pytest

from extractors.nlp.therapies import DrugHit
from extractors.nlp.triples.drugs import drop_modifier_drugs

CASES = [
    # text, drug as written, kept as the therapy
    ("patients treated with trastuzumab-based therapy", "trastuzumab", True),
    ("treated with 5-Fluorouracil-based therapies", "5-Fluorouracil", True),
    ("irinotecan-based first line therapy", "irinotecan", True),
    ("received temozolomide-based chemoradiotherapy", "temozolomide", True),
    ("a cisplatin-based regimen", "cisplatin", True),
    ("a brigatinib-based PROTAC degrades the fusion", "brigatinib", False),
    ("gefitinib-based nanoparticles were designed", "gefitinib", False),
    ("osimertinib was given", "osimertinib", True),
]


@pytest.mark.parametrize(("text", "surface", "kept"), CASES)
def test_based_drug(text: str, surface: str, kept: bool) -> None:
    start = text.index(surface)
    hit = DrugHit(start, start + len(surface), surface, surface.lower(), False)
    assert (drop_modifier_drugs([hit], text) == [hit]) is kept


SPELLING_CASES = [
    # a model or stem find, the INN it misspells (None: left unknown)
    ("Gefitnib", "gefitinib"),
    ("Gefinitib", None),  # two edits: new INNs of a stem are often two edits from old ones
    ("ironotecan", "irinotecan"),
    ("imatinb", "imatinib"),
    ("docetaxol", "docetaxel"),
    ("osimertinib", None),  # a lexicon name is not a misspelling
    ("cisplatinum", None),  # too far from any INN
    ("zorbatinib", None),
    ("patients", None),
    ("AZD9291", None),  # codes are never respelled
]


@pytest.mark.parametrize(("written", "inn"), SPELLING_CASES)
def test_misspelt_inn(written: str, inn: str | None) -> None:
    from extractors.nlp.lexicons import load_drug_lexicon

    entry = load_drug_lexicon().nearest_inn(written)
    assert (entry.canonical if entry else None) == inn
