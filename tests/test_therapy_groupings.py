"""Drug mentions grouped into therapies, and the other reading of ``A and B`` offered to the relation model."""

from __future__ import annotations

import pytest

from extractors.nlp.therapies import DrugHit, Therapy, alternative_groupings, group_therapies


def _hits(text: str, names: list[str]) -> list[DrugHit]:
    out = []
    for n in names:
        s = text.index(n)
        out.append(DrugHit(s, s + len(n), n, n, False))
    return out


@pytest.mark.parametrize(
    ("text", "names", "written", "other"),
    [
        # "and" outside a combination context: two therapies as written, the combination offered
        ("sensitive to erlotinib and gefitinib", ["erlotinib", "gefitinib"], [["erlotinib"], ["gefitinib"]], [["erlotinib", "gefitinib"]]),
        # "and" in a combination context: one therapy as written, the two single drugs offered
        ("the combination of dabrafenib and trametinib", ["dabrafenib", "trametinib"], [["dabrafenib", "trametinib"]], [["dabrafenib"], ["trametinib"]]),
        # "plus" has one reading only
        ("dabrafenib plus trametinib", ["dabrafenib", "trametinib"], [["dabrafenib", "trametinib"]], []),
        ("erlotinib or gefitinib", ["erlotinib", "gefitinib"], [["erlotinib"], ["gefitinib"]], []),
    ],
)
def test_alternative_groupings(text: str, names: list[str], written: list[list[str]], other: list[list[str]]) -> None:
    therapies = group_therapies(_hits(text, names), text, context=text)
    assert [t.drugs for t in therapies] == written
    alt = alternative_groupings(therapies, text)
    assert [t.drugs for t in alt] == other
    assert all(t.grouping in ("and_split", "and_combined") for t in alt)
    assert all(isinstance(t, Therapy) and t.grouping == "written" for t in therapies)
