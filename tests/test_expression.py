"""Expression and copy-number phrases read around lexicon gene names."""

from __future__ import annotations

import pytest

from extractors.nlp.expression import level_mentions

CASES = [
    # text, gene as written, HGNC symbol, expected (alteration, rule id) or None
    ("PD-L1 expression was related to better survival.", "PD-L1", "CD274", ("expression", "level_after")),
    ("among PD-L1-positive patients treated with pembrolizumab", "PD-L1", "CD274", ("overexpression", "level_positive")),
    ("HER2 expressing solid tumours responded", "HER2", "ERBB2", ("overexpression", "level_positive")),
    ("NRG1-high groups demonstrated benefit", "NRG1", "NRG1", ("overexpression", "level_positive")),
    ("High DNMT1 expression was found in 83% of patients", "DNMT1", "DNMT1", ("overexpression", "level_high_before")),
    ("patients with high EREG mRNA expression", "EREG", "EREG", ("overexpression", "level_high_before")),
    ("Increased expression of ABCC10 conferred resistance", "ABCC10", "ABCC10", ("expression", "level_of_before")),
    ("Overexpression of SYK", "SYK", "SYK", ("overexpression", "level_of_before")),
    ("PD-L1 (CD274) expression status", "PD-L1", "CD274", ("expression", "level_after")),
    ("tumors with CCND1 gene copy gains", "CCND1", "CCND1", ("amplification", "level_copy_after")),
    ("EGFR gene copy number was associated with OS", "EGFR", "EGFR", ("amplification", "level_copy_after")),
    ("high gene copy number of EGFR in tumours", "EGFR", "EGFR", ("amplification", "level_copy_before")),
    ("MDM2 mRNA and protein expression correlated with OS", "MDM2", "MDM2", ("expression", "level_after")),
    ("MDM2 immunoexpression was assessed", "MDM2", "MDM2", ("expression", "level_after")),
    ("AKT3 was found to be upregulated in TNBC", "AKT3", "AKT3", ("overexpression", "level_predicate")),
    ("MYC is frequently amplified in these tumours", "MYC", "MYC", ("amplification", "level_predicate")),
    # a gene the variant grammar cannot shape, with a generic mutation word
    ("6 of 15 patients with p53 mutations responded", "p53", "TP53", ("mutation", "level_mutation")),
    ("in BRCA1-mutated ovarian cancer", "BRCA1", "BRCA1", ("mutation", "level_mutation")),
    # a low or absent level is not an alteration of this kind
    ("Low DNMT1 expression was associated with response", "DNMT1", "DNMT1", None),
    ("cell lines displaying low levels of CDK4", "CDK4", "CDK4", None),
    ("loss of PTEN expression", "PTEN", "PTEN", None),
    ("PTEN was downregulated after treatment", "PTEN", "PTEN", None),
    # ``ALK-positive`` is a fusion, left to the fusion rules
    ("ALK-positive NSCLC", "ALK", "ALK", None),
    # a gene name alone says nothing about its level
    ("EGFR inhibitors were given", "EGFR", "EGFR", None),
]


@pytest.mark.parametrize(("text", "surface", "symbol", "expected"), CASES)
def test_level_mentions(text: str, surface: str, symbol: str, expected: tuple[str, str] | None) -> None:
    start = text.index(surface)
    found = level_mentions(text, [(start, start + len(surface), symbol)])
    got = [(m.alteration, m.rule_id) for m in found]
    assert got == ([expected] if expected else [])
    for m in found:
        assert m.gene == symbol and m.start <= start and m.end >= start + len(surface)


def test_a_phrase_the_grammar_read_is_left_to_it() -> None:
    text = "HER2 overexpression predicts benefit"
    assert level_mentions(text, [(0, 4, "ERBB2")], taken=[(0, 19)]) == []
