"""Sentence splitting and measure parsing (table-driven)."""

from __future__ import annotations

import pytest

from extractors.nlp.measures import find_measures


@pytest.mark.parametrize(
    ("text", "n_sentences"),
    [
        pytest.param("Gan et al. described 14 patients. They responded.", 2, id="et-al"),
        pytest.param("Lorlatinib vs. crizotinib was tested. It worked.", 2, id="vs"),
        pytest.param("Resistance (e.g. C797S) occurs. Then progression.", 2, id="eg"),
        pytest.param("Row one\tNCT01234567\nRow two\tNCT07654321", 2, id="table-rows-by-line"),
        pytest.param("The ORR was 45.5% in cohort 2. PFS was 9 months.", 2, id="decimal-not-a-break"),
        pytest.param("Median PFS was 9.7 months (95% CI, 8.1-11.2). Overall survival was longer.", 2, id="after-paren"),
    ],
)
def test_sentence_split(nlp_rules, text: str, n_sentences: int) -> None:
    doc = nlp_rules.make_doc(text)
    for _name, proc in nlp_rules.pipeline[:1]:
        doc = proc(doc)
    sents = [s for s in doc.sents if s.text.strip()]
    assert len(sents) == n_sentences, [s.text for s in sents]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        pytest.param("the ORR was 35% with median duration of response (mDOR) of 9.5 months", ["ORR 35 %", "mDOR 9.5 months"], id="orr-mdor"),
        pytest.param("improved median PFS (9.7 vs. 6.1 months, HR: 0.59)", ["PFS 9.7 months", "HR 0.59"], id="pfs-vs"),
        pytest.param("disease control rate of 80% was seen", ["DCR 80 %"], id="dcr"),
        pytest.param("overall survival of 24 months", ["OS 24 months"], id="os"),
        pytest.param("time to treatment failure was 11.2 months", ["TTF 11.2 months"], id="ttf"),
        pytest.param("with IC50 ranging from <0.2–14.9 nmol/L", ["IC50 <0.2–14.9 nmol/L"], id="ic50-range"),
        pytest.param("IC50 of 12 nM", ["IC50 12 nmol/L"], id="ic50-nM"),
        pytest.param("C797S was detected in 15% of patients", ["frequency 15 %"], id="prevalence"),
        pytest.param("the predominant mechanism (56.8%)", ["frequency 56.8 %"], id="frequency-paren"),
        pytest.param("in 20 patients (n=20)", ["n 20"], id="n"),
    ],
)
def test_measures(sentence: str, expected: list[str]) -> None:
    got = [h.measure.as_string() for h in find_measures(sentence)]
    assert got == expected


def test_hazard_ratio_ci_and_p() -> None:
    hits = find_measures("PFS was longer (HR=0.43, 95%CI: 0.15–0.85, p=0.021)")
    hr = next(h.measure for h in hits if h.measure.metric == "HR")
    assert (hr.value, hr.ci_low, hr.ci_high, hr.p) == ("0.43", 0.15, 0.85, "0.021")
