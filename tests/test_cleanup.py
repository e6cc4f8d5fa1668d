"""Cleanup repairs, one table row per defect, each with an offset-map check.

Inputs are short snippets in the shape of real defects seen in
``../shared/corpus`` (PDF/web extractions); the word-list repairs use
``data/lexicons/words.txt`` (built by ``scripts/build_wordlist.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.text.cleanup import (
    apply_edits,
    check_map,
    clean_text,
    compose,
    dehyphenate,
    fix_ligatures,
    raw_offset,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

CASES = [
    pytest.param("The osi-\nmertinib dose", "The osimertinib dose", id="hyphen-drug-name-joined"),
    pytest.param("acquired resis-\ntance to", "acquired resistance to", id="hyphen-known-word-joined"),
    pytest.param("EGFR-\nTKI therapy", "EGFR-TKI therapy", id="hyphen-keep-acronym"),
    pytest.param("T790M-\npositive tumours", "T790M-positive tumours", id="hyphen-keep-variant"),
    pytest.param("third-\ngeneration TKI", "third-generation TKI", id="hyphen-keep-compound"),
    pytest.param("We identi ed two cases", "We identified two cases", id="ligature-fi-identified"),
    pytest.param("and con rmed by FISH", "and confirmed by FISH", id="ligature-fi-confirmed"),
    pytest.param("a signi cant benefit", "a significant benefit", id="ligature-fi-significant"),
    pytest.param("the rst patient", "the first patient", id="ligature-fi-word-start"),
    pytest.param("showed e cacy and a di erent e ect", "showed efficacy and a different effect", id="ligature-ffi-ff"),
    pytest.param("post-translational modi cation and in uence", "post-translational modification and influence", id="ligature-fi-fl"),
    pytest.param("Page 9 of 32Fu et al. Journal of Hematology & Oncology (2022) 15:173\nText goes on.", "Text goes on.", id="page-header-glued"),
    pytest.param("Body text.\nWu et al. BMC Cancer (2024) 24:512 Page 3 of 12\nMore text.", "Body text.\nMore text.", id="page-footer-bmc"),
    pytest.param(
        "Para one.\nDesai and Lovly. Overcoming ALK resistance 101\nPara two.\nDesai and Lovly. Overcoming ALK resistance 102\n"
        "Para three.\nDesai and Lovly. Overcoming ALK resistance 103\nEnd.",
        "Para one.\nPara two.\nPara three.\nEnd.",
        id="running-head-repeated",
    ),
    pytest.param("*ALK* and **bold** and _x_", "ALK and bold and x", id="markdown-emphasis"),
    pytest.param("OS (72% vs. 12%, $P=0.0001$) with $n=20$", "OS (72% vs. 12%, P=0.0001) with n=20", id="latex-inline-math"),
    pytest.param("Lovly^{2,3} and Wu^{1†}", "Lovly and Wu", id="latex-superscript-marker"),
    pytest.param("$\\geq 2$ lines and 5\\% and IC_{50}", "≥ 2 lines and 5% and IC50", id="latex-commands"),
    pytest.param("A &amp; B &lt;0.05 &#8805;3 &ge;2", "A & B <0.05 ≥3 ≥2", id="html-entities"),
    pytest.param("ALK⁺ NSCLC, IC₅₀ and Desai¹, then 10⁵ cells, 60 mg/m²", "ALK+ NSCLC, IC50 and Desai, then 10^5 cells, 60 mg/m2", id="unicode-superscripts"),
    pytest.param("the ﬁrst\u00a0dose\u00ad and zero\u200bwidth", "the first dose and zerowidth", id="unicode-nfkc"),
    pytest.param("  a  b\t c  \n\n\n\nd  ", "a b\t c\n\nd", id="whitespace"),
    pytest.param("line one\r\nline two\rthree", "line one\nline two\nthree", id="newlines"),
    pytest.param(
        "Despite these advances, most patients with ALK-positive lung cancer who are treated with therapy\n\nultimately progress.",
        "Despite these advances, most patients with ALK-positive lung cancer who are treated with therapy ultimately progress.",
        id="page-break-paragraph-rejoined",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_repair(raw: str, expected: str) -> None:
    result = clean_text(raw)
    assert result.text == expected
    check_map(raw, result.text, result.segments)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("The patient had an effect on the first line of therapy.", id="clean-prose"),
        pytest.param("Table 2 illustrates the progression patterns.", id="table-sentence"),
        pytest.param("He was in a car on the road.", id="short-words"),
    ],
)
def test_clean_text_left_alone(raw: str) -> None:
    assert clean_text(raw).text == raw


def test_inserted_ligature_maps_to_nearest_raw() -> None:
    raw = "We identi ed it and con rmed it"
    ct = clean_text(raw)
    pos = ct.text.index("fi")
    assert raw_offset(ct.segments, pos) == raw.index(" ed")  # the dropped space's position


def test_hyphen_prefers_document_evidence() -> None:
    raw = "non-\nsmall cell lung cancer is non-small"
    assert clean_text(raw).text.startswith("non-small cell")
    edits = dehyphenate("over-\nexpression and overexpression")
    assert edits and edits[0][2] == ""


def test_single_weak_ligature_candidate_is_not_repaired() -> None:
    # "cacy" occurs in corpora (with the same defect), so one lone candidate is not enough evidence
    assert fix_ligatures("e cacy") == []


CAPTIONS = [
    pytest.param("Table 1 Baseline characteristics\n\tCohort 1\tCohort 2\nMale\t10\t20", 1, 1, id="caption-and-table"),
    pytest.param("Fig. 2 Potential mechanism of resistance.", 0, 1, id="figure-caption"),
    pytest.param("Table 2 illustrates the progression patterns.", 0, 0, id="sentence-not-caption"),
    pytest.param("| a | b |\n|---|---|\n| 1 | 2 |", 1, 0, id="markdown-pipe-table"),
]


@pytest.mark.parametrize(("raw", "n_tables", "n_captions"), CAPTIONS)
def test_tables_and_captions(raw: str, n_tables: int, n_captions: int) -> None:
    ct = clean_text(raw)
    assert len(ct.table_spans) == n_tables
    assert len(ct.caption_spans) == n_captions


def test_compose_and_apply_edits() -> None:
    text, pieces = apply_edits("a*b*c", [(1, 2, ""), (3, 4, "")])
    assert text == "abc"
    segs = compose(pieces, [(0, 10, 5)])
    check_map("x" * 10 + "a*b*c", text, [(c, r, n) for c, r, n in segs])


@pytest.mark.parametrize("name", ["alk_resistance_strategies_review.txt", "alk_progression_cohort.txt", "ici_resistance_pubmed.txt"])
def test_corpus_offsets(name: str) -> None:
    path = SHARED / "corpus" / name
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    raw = path.read_text(encoding="utf-8")
    ct = clean_text(raw)
    check_map(raw, ct.text, ct.segments)
    assert "$" not in ct.text.replace("$ ", "")
    assert "^{" not in ct.text
    assert "*ALK*" not in ct.text
