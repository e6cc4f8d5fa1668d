"""Plain text without an abstract heading, hard-wrapped lines and CRLF line ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.text.formats import parse_document
from pipeline.stages.extract import extract_document, extract_paths
from schemas.vocab import EXTRACTABLE_SECTIONS

NO_ABSTRACT = (
    "Acquired resistance to osimertinib in lung cancer\n\n"
    "Jane Doe, John Smith and Ann Lee\n\n"
    "Department of Thoracic Oncology, Example University Hospital, Springfield, USA.\n\n"
    "Osimertinib resistance was driven by EGFR C797S in two patients.\n\n"
    "Patients with EGFR L858R responded to erlotinib.\n\n"
    "We treated a third patient with lorlatinib and saw a response.\n"
)


def _label_of(doc, phrase: str) -> str:
    pos = doc.text.index(phrase)
    return next(s.label for s in doc.sections if s.start <= pos < s.end)


def test_txt_without_abstract_keeps_short_paragraphs() -> None:
    doc = parse_document(NO_ABSTRACT.encode(), doc_id="short", filename="short.txt")
    assert _label_of(doc, "Acquired resistance") == "title"
    assert _label_of(doc, "Jane Doe") == "front_matter"
    assert _label_of(doc, "Department of Thoracic") == "front_matter"
    for phrase in ("Osimertinib resistance was driven", "Patients with EGFR L858R", "We treated a third"):
        assert _label_of(doc, phrase) in EXTRACTABLE_SECTIONS, phrase


def test_txt_without_abstract_short_paragraphs_give_triples(nlp_rules) -> None:
    doc = parse_document(NO_ABSTRACT.encode(), doc_id="short", filename="short.txt")
    triples = extract_document(nlp_rules, doc, raw_text=NO_ABSTRACT)
    keys = {(tuple(t.drugs), t.alteration, t.section) for t in triples}
    assert (("osimertinib",), "C797S", "body") in keys, keys


@pytest.mark.parametrize(
    ("text", "n_sentences"),
    [
        pytest.param(
            "Resistance to osimertinib emerged in patients whose tumours carried EGFR\nC797S, and all of them progressed.",
            1,
            id="wrapped-before-capital",
        ),
        pytest.param("Patients with the EGFR C797S mutation were\nresistant to osimertinib in the cohort.", 1, id="wrapped-before-lowercase"),
        pytest.param("Resistance emerged in ten patients.\nThe next cohort responded to lorlatinib.", 2, id="line-after-full-stop"),
        pytest.param("Results\nThe EGFR C797S mutation conferred resistance to osimertinib in most patients.", 2, id="heading-line"),
        pytest.param("Row one\tNCT01234567\nRow two\tNCT07654321", 2, id="table-rows"),
        pytest.param("Gender\nMale\t10 (50%)\t30 (56.6%)", 2, id="table-label-row"),
        pytest.param("Mechanisms of resistance:\n- EGFR C797S\n- MET amplification", 3, id="list-items"),
    ],
)
def test_single_line_break(nlp_rules, text: str, n_sentences: int) -> None:
    doc = nlp_rules.make_doc(text)
    doc = nlp_rules.pipeline[0][1](doc)
    sents = [s.text for s in doc.sents if s.text.strip()]
    assert len(sents) == n_sentences, sents


def test_wrapped_sentence_is_one_evidence(nlp_rules) -> None:
    raw = (
        "Acquired resistance in lung cancer\n\n"
        "Abstract\n\n"
        "In this cohort, resistance to osimertinib was driven by the EGFR\n"
        "C797S mutation in most patients who progressed on treatment.\n"
    )
    doc = parse_document(raw.encode(), doc_id="wrapped", filename="wrapped.txt")
    triples = extract_document(nlp_rules, doc, raw_text=raw)
    hit = next(t for t in triples if t.alteration == "C797S")
    assert hit.evidence.startswith("In this cohort") and hit.evidence.rstrip().endswith("on treatment."), hit.evidence


def test_crlf_evidence_has_no_carriage_return(nlp_rules, tmp_path: Path) -> None:
    text = (
        "Acquired resistance in lung cancer\r\n\r\n"
        "Abstract\r\n\r\n"
        "The EGFR C797S mutation confers resistance to osimertinib in patients with NSCLC.\r\n\r\n"
        "Patients with EGFR L858R responded to erlotinib in the second cohort.\r\n"
    )
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode())
    result = extract_paths([path], nlp_rules)
    assert result.triples and not result.failures
    for t in result.triples:
        assert not t.evidence.endswith(("\r", "\n")), repr(t.evidence)
        assert t.evidence in text  # still an exact substring of the source
