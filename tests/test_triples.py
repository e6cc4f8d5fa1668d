"""Table-driven tests of triple assembly: combinations, alternatives, comparators, polarity, context, measures.

Sentences are written for these tests (general constructions, not copied from
the dev documents). Each row: text, expected keys (drugs, gene, alteration,
outcome) that must be present, and keys that must be absent.
"""

from __future__ import annotations

import pytest

from pipeline.stages.extract import extract_document
from schemas.models import Document, Section

K = tuple[tuple[str, ...], str, str, str]


def keys(triples) -> set[K]:
    return {(tuple(t.drugs), t.gene, t.alteration, t.outcome) for t in triples}


def run(nlp, text: str, sections: list[Section] | None = None):
    return extract_document(nlp, Document(doc_id="t", text=text, sections=sections or []))


CASES = [
    pytest.param(
        "The EGFR C797S mutation confers resistance to osimertinib.",
        {(("osimertinib",), "EGFR", "C797S", "resistance")},
        set(),
        id="simple-resistance",
    ),
    pytest.param(
        "Tumors harboring EGFR L858R are sensitive to erlotinib.",
        {(("erlotinib",), "EGFR", "L858R", "sensitivity")},
        set(),
        id="simple-sensitivity",
    ),
    pytest.param(
        "Osimertinib plus savolitinib demonstrated an ORR of 49% in patients with MET amplification.",
        {(("osimertinib", "savolitinib"), "MET", "amplification", "sensitivity")},
        {(("osimertinib",), "MET", "amplification", "sensitivity"), (("savolitinib",), "MET", "amplification", "sensitivity")},
        id="combination-plus",
    ),
    pytest.param(
        "Osimertinib in combination with capmatinib overcame resistance driven by MET amplification.",
        {(("capmatinib", "osimertinib"), "MET", "amplification", "sensitivity")},
        set(),
        id="combination-with",
    ),
    pytest.param(
        "Lorlatinib plus binimetinib or trametinib restored sensitivity in models with ALK G1202R.",
        {(("binimetinib", "lorlatinib"), "ALK", "G1202R", "sensitivity"), (("lorlatinib", "trametinib"), "ALK", "G1202R", "sensitivity")},
        set(),
        id="alternatives-share-head",
    ),
    pytest.param(
        "Lorlatinib versus crizotinib improved progression-free survival in ALK G1202R-positive disease.",
        {(("lorlatinib",), "ALK", "G1202R", "sensitivity")},
        {(("crizotinib",), "ALK", "G1202R", "sensitivity")},
        id="comparator-dropped",
    ),
    pytest.param(
        "Gefitinib did not overcome the resistance conferred by EGFR T790M.",
        {(("gefitinib",), "EGFR", "T790M", "resistance")},
        {(("gefitinib",), "EGFR", "T790M", "sensitivity")},
        id="negated-sensitivity",
    ),
    pytest.param(
        "The G1202R mutation in ALK may confer resistance to alectinib.",
        {(("alectinib",), "ALK", "G1202R", "resistance")},
        set(),
        id="hedged-kept",
    ),
    pytest.param(
        "Crizotinib induced a response in a patient who developed alectinib resistance due to MET amplification.",
        {(("crizotinib",), "MET", "amplification", "sensitivity"), (("alectinib",), "MET", "amplification", "resistance")},
        set(),
        id="per-drug-resistance-role",
    ),
    pytest.param(
        "A phase II trial of amivantamab is currently evaluating patients with EGFR exon 20 insertions (NCT04538664).",
        {(("amivantamab",), "EGFR", "exon 20 insertion", "investigation")},
        set(),
        id="investigation",
    ),
    pytest.param(
        "EGFR L718Q/V mutations are resistant to osimertinib.",
        {(("osimertinib",), "EGFR", "L718Q", "resistance"), (("osimertinib",), "EGFR", "L718V", "resistance")},
        set(),
        id="slash-alternatives-split",
    ),
    pytest.param(
        "EGFR C797S was detected in ten patients at progression. These mutations conferred resistance to osimertinib.",
        {(("osimertinib",), "EGFR", "C797S", "resistance")},
        set(),
        id="backreference-alteration",
    ),
    pytest.param(
        "Zongertinib is a HER2-selective inhibitor tested in a phase I study. Among patients with HER2 exon 20 insertions, the ORR was 71%.",
        {(("zongertinib",), "ERBB2", "exon 20 insertion", "sensitivity")},
        set(),
        id="result-sentence-continues-study",
    ),
    pytest.param(
        "Resistance to osimertinib was studied in 40 patients. Other mechanisms of resistance included MET amplification and BRAF V600E.",
        {(("osimertinib",), "MET", "amplification", "resistance"), (("osimertinib",), "BRAF", "V600E", "resistance")},
        set(),
        id="other-mechanisms-of-resistance",
    ),
    pytest.param(
        "Patients lacking EGFR T790M were treated with osimertinib, which showed limited activity.",
        set(),
        {(("osimertinib",), "EGFR", "T790M", "resistance"), (("osimertinib",), "EGFR", "T790M", "sensitivity")},
        id="absent-alteration-not-paired",
    ),
    pytest.param(
        "The solvent-front ALK G1202R mutation confers resistance to alectinib and brigatinib, while lorlatinib retains activity against G1202R.",
        {(("alectinib",), "ALK", "G1202R", "resistance"), (("brigatinib",), "ALK", "G1202R", "resistance"), (("lorlatinib",), "ALK", "G1202R", "sensitivity")},
        set(),
        id="coordinated-roles-and-contrast-clause",
    ),
    pytest.param(
        "Clinicians select drugs by mutation site (e.g., ceritinib for ALK I1171N, alectinib for ALK F1174L, brigatinib for ALK V1180L) to obtain a response.",
        {(("ceritinib",), "ALK", "I1171N", "sensitivity"), (("alectinib",), "ALK", "F1174L", "sensitivity")},
        {(("ceritinib",), "ALK", "F1174L", "sensitivity"), (("alectinib",), "ALK", "I1171N", "sensitivity")},
        id="distributive-pairs",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known miss of the relation model: trained on one-pair statements, it scores the rules' three "
            "distributive pairs of a parenthetical list at P(relation) ~0.05, under the rule veto (the rules alone "
            "find them: test_distributive_pairs_are_found_by_the_rules)",
        ),
    ),
    pytest.param(
        "NVL-655 is a novel ALK inhibitor with activity against ALK G1202R.",
        {(("NVL-655",), "ALK", "G1202R", "sensitivity")},
        {(("ALK-TKI",), "ALK", "G1202R", "sensitivity")},
        id="predicated-class-dropped",
    ),
    pytest.param(
        "Alectinib and brigatinib were compared in a trial. Both drugs showed activity against ALK I1171N.",
        set(),
        set(),
        id="no-backreference-without-cue",
    ),
    pytest.param(
        "Osimertinib improved survival over gefitinib in the FLAURA trial.",
        set(),
        {(("osimertinib",), "EGFR", "mutation", "sensitivity")},
        id="no-alteration-no-triple",
    ),
]


@pytest.mark.parametrize(("text", "present", "absent"), CASES)
def test_constructions(nlp_rules, text: str, present: set[K], absent: set[K]) -> None:
    got = keys(run(nlp_rules, text))
    assert present <= got, f"missing {present - got}; got {got}"
    assert not (absent & got), f"unexpected {absent & got}"


def test_hedging_and_negation_flags(nlp_rules) -> None:
    hedged = run(nlp_rules, "The G1202R mutation in ALK may confer resistance to alectinib.")
    assert hedged and all(t.hedged for t in hedged)
    negated = run(nlp_rules, "Gefitinib did not overcome the resistance conferred by EGFR T790M.")
    assert any(t.negated for t in negated)


def test_table_row_inherits_caption(nlp_rules) -> None:
    text = "Table 2 Ongoing trials in ALK-positive NSCLC\nNCT04005144\t1\tBrigatinib with binimetinib\n"
    cap_end = text.index("\n") + 1
    sections = [Section(label="caption", start=0, end=cap_end), Section(label="table", start=cap_end, end=len(text))]
    got = run(nlp_rules, text, sections)
    assert (("binimetinib", "brigatinib"), "ALK", "fusion", "investigation") in keys(got)
    row = next(t for t in got if t.drugs == ["binimetinib", "brigatinib"])
    assert row.nct_ids == ["NCT04005144"]
    assert "ctx_table_caption" in row.rule_ids


def test_references_section_not_extracted(nlp_rules) -> None:
    body = "EGFR C797S confers resistance to osimertinib.\n"
    refs = "References\n1. Smith. EGFR T790M confers resistance to gefitinib. J. 2020.\n"
    text = body + refs
    sections = [Section(label="body", start=0, end=len(body)), Section(label="references", start=len(body), end=len(text))]
    got = keys(run(nlp_rules, text, sections))
    assert (("osimertinib",), "EGFR", "C797S", "resistance") in got
    assert not any(k[2] == "T790M" for k in got)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Osimertinib plus savolitinib achieved an ORR of 49% in patients with MET amplification.", ["ORR 49 %"], id="orr"),
        pytest.param("In patients with EGFR T790M, osimertinib prolonged median PFS to 10.1 months.", ["PFS 10.1 months"], id="pfs"),
        pytest.param("Lorlatinib gave a median OS of 24.5 months (HR 0.55, 95% CI 0.3-0.9) in ALK G1202R disease.", ["OS 24.5 months", "HR 0.55"], id="os-hr"),
        pytest.param("BLU-945 was potent against EGFR C797S (IC50 of 3 nmol/L).", ["IC50 3 nmol/L"], id="ic50"),
    ],
)
def test_measures_attached(nlp_rules, text: str, expected: list[str]) -> None:
    got = run(nlp_rules, text)
    assert got, "no triple"
    assert all(m in got[0].measures for m in expected), got[0].measures


def test_triple_id_is_deterministic(nlp_rules) -> None:
    text = "The EGFR C797S mutation confers resistance to osimertinib."
    a, b = run(nlp_rules, text), run(nlp_rules, text)
    assert [t.triple_id for t in a] == [t.triple_id for t in b]
    assert all(len(t.triple_id) == 16 for t in a)


def test_evidence_is_substring_and_bounded(nlp_rules) -> None:
    text = "The EGFR C797S mutation confers resistance to osimertinib. " + "Other words follow here. " * 30
    for t in run(nlp_rules, text):
        assert t.evidence in text
        assert 20 <= len(t.evidence) <= 300
        assert 0.0 <= t.confidence <= 1.0


def test_distributive_pairs_are_found_by_the_rules() -> None:
    from extractors.nlp.build import build_nlp

    nlp = build_nlp("none", triple_stage="rules")
    text = "Clinicians select drugs by mutation site (e.g., ceritinib for ALK I1171N, alectinib for ALK F1174L, brigatinib for ALK V1180L) to obtain a response."
    got = keys(run(nlp, text))
    assert {(("ceritinib",), "ALK", "I1171N", "sensitivity"), (("alectinib",), "ALK", "F1174L", "sensitivity")} <= got
    assert not {(("ceritinib",), "ALK", "F1174L", "sensitivity"), (("alectinib",), "ALK", "I1171N", "sensitivity")} & got
