"""Outcome polarity composed from a direction word and the quantity it moves."""

from __future__ import annotations

import pytest

from extractors.nlp.cues import composed_polarity

CASES = [
    ("was associated with shorter overall survival", [("shorter overall survival", "res")]),
    ("correlated with a lower response to cisplatin", [("lower response", "res")]),
    ("PFS was significantly longer with osimertinib", [("PFS was significantly longer", "sens")]),
    ("showed increased sensitivity to neratinib", [("increased sensitivity", "sens")]),
    ("lower IC50 values than parental cells", [("lower IC50", "sens")]),
    ("a higher risk of progression", [("higher risk of progression", "res")]),
    ("cells were less sensitive to gefitinib", [("less sensitive", "res")]),
    ("improved progression-free survival", [("improved progression-free", "sens"), ("improved progression-free survival", "sens")]),
    # a negation just before the pair flips it
    ("did not show longer survival", [("longer survival", "res")]),
    # neither word alone carries a polarity
    ("overall survival was assessed", []),
    ("a shorter treatment course", []),
    # too far apart to be one phrase
    ("higher doses given to patients with longer survival", [("longer survival", "sens")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_composed_polarity(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[a:b], p) for a, b, p in composed_polarity(text)] == expected
