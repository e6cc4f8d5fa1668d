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


CLASS_CASES = [
    # sentence, class as written and its canonical name, named drug, class kept
    ("KRAS G13D tumours responded to panitumumab, unlike to other EGFR antibodies.", "EGFR antibodies", "EGFR antibody", "panitumumab", False),
    ("Cells were sensitive to lapatinib but resistant to HER3 antibodies.", "HER3 antibodies", "HER3 antibody", "lapatinib", True),
    ("Everolimus, like other mTOR inhibitors, was active in PTEN-null cells.", "mTOR inhibitors", "mTOR inhibitor", "Everolimus", False),
    ("Patients received chemotherapy or osimertinib.", "chemotherapy", "chemotherapy", "osimertinib", True),
]


@pytest.mark.parametrize(("text", "class_text", "class_name", "drug", "kept"), CLASS_CASES)
def test_class_of_a_named_drug_in_the_sentence(text: str, class_text: str, class_name: str, drug: str, kept: bool) -> None:
    from extractors.nlp.triples.drugs import drop_appositive_classes

    c0, d0 = text.index(class_text), text.index(drug)
    cls = DrugHit(c0, c0 + len(class_text), class_text, class_name, True)
    named = DrugHit(d0, d0 + len(drug), drug, drug.lower(), False)
    out = drop_appositive_classes(sorted([cls, named], key=lambda h: h.start), text, table_row=False)
    assert (cls in out) is kept and named in out
