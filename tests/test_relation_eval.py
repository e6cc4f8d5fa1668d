"""CIViC error categories of the relation-model evaluation, with the shared scorer's own matching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.training.relations import (
    ERROR_CATEGORIES,
    best_cut,
    best_document_threshold,
    civic_error_categories,
    isotonic_table,
    load_scorer,
    reliability_equal_count,
)

GOLD = [
    {"doc_id": "EID1", "genes": ["EGFR"], "alteration": "T790M", "fusion": False, "keys": [["osimertinib"]], "outcome": "sensitivity"},
    {"doc_id": "EID2", "genes": ["ALK"], "alteration": "fusion EML4-ALK", "fusion": True, "keys": [["crizotinib"]], "outcome": "sensitivity"},
    {"doc_id": "EID3", "genes": ["BRAF"], "alteration": "V600E", "fusion": False, "keys": [["vemurafenib"]], "outcome": "resistance"},
    {"doc_id": "EID4", "genes": ["KRAS"], "alteration": "G12C", "fusion": False, "keys": [["sotorasib"]], "outcome": "sensitivity"},
    {"doc_id": "EID5", "genes": ["ERBB2"], "alteration": "D769H", "fusion": False, "keys": [["neratinib"]], "outcome": "sensitivity"},
    {"doc_id": "EID6", "genes": ["MET"], "alteration": None, "fusion": False, "keys": [["capmatinib"]], "outcome": "sensitivity"},
]
PRED = [
    {"doc_id": "EID1", "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "T790M", "outcome": "sensitivity"},
    {"doc_id": "EID2", "drugs": ["crizotinib"], "gene": "ALK", "alteration": "fusion", "outcome": "resistance"},
    {"doc_id": "EID3", "drugs": ["vemurafenib"], "gene": "BRAF", "alteration": "mutation", "outcome": "resistance"},
    {"doc_id": "EID4", "drugs": ["sotorasib"], "gene": "NRAS", "alteration": "G12C", "outcome": "sensitivity"},
    {"doc_id": "EID5", "drugs": ["lapatinib"], "gene": "ERBB2", "alteration": "D769H", "outcome": "sensitivity"},
]


@pytest.fixture(scope="module")
def scorer(shared_dir: Path):
    return load_scorer(shared_dir / "tools" / "score_civic.py")


def test_each_expected_key_lands_in_one_category(scorer, tmp_path: Path) -> None:
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in PRED), encoding="utf-8")
    cats = civic_error_categories(scorer, GOLD, pred)
    # EID6 has no guideline alteration form, so it is outside the `all` view, as in the scorer
    assert dict(cats) == {
        "found": 1,
        "wrong outcome": 1,
        "alteration differs": 1,
        "gene differs": 1,
        "drugs in no triple": 1,
    }
    assert set(cats) <= set(ERROR_CATEGORIES)


def test_card_evaluation_is_replaced_not_stacked(tmp_path: Path) -> None:
    from pipeline.training.relations import EVALUATION_HEADING, append_evaluation

    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Relation model\n\n- Time on this 2-core machine: 37.5 s\n", encoding="utf-8")
    append_evaluation(tmp_path, {"lines": ["first run"]})
    append_evaluation(tmp_path, {"lines": ["second run"]})
    text = card.read_text(encoding="utf-8")
    assert text.count(EVALUATION_HEADING) == 1
    assert "second run" in text and "first run" not in text
    assert "Time on this 2-core machine: 37.5 s" in text


@pytest.mark.parametrize(
    ("kept", "scored", "expected", "cut"),
    [
        # a correct key at 0.6 and a wrong one at 0.3: cut at the correct one
        pytest.param([], [(0.6, True), (0.3, False)], 2, 0.6, id="drop-the-wrong-tail"),
        # the lower key is right too: taking it raises recall without losing precision
        pytest.param([], [(0.6, True), (0.3, True)], 2, 0.3, id="keep-both"),
        # nothing scored is right and kept keys already give F1: emit none of them
        pytest.param([True], [(0.5, False)], 1, 1.01, id="none-better"),
    ],
)
def test_best_cut(kept, scored, expected, cut) -> None:
    assert best_cut(kept, scored, expected)[0] == cut


def test_document_best_threshold_takes_the_best_key_of_documents_with_none_passing() -> None:
    thresholds = {"model": 0.5, "rule": 0.0, "rule_veto": 0.1}
    oof = [
        (0.7, True, "model", 0, 0),  # document 0: a key passes, its other keys never fall back
        (0.2, False, "model", 0, 0),
        (0.3, True, "model", 0, 1),  # document 1: none passes, its best key is right
        (0.1, False, "model", 0, 1),
        (0.25, False, "model", 0, 2),  # document 2: none passes, its best key is wrong
    ]
    got, f1, _p, r = best_document_threshold(oof, thresholds, expected=2)
    assert got["document_best"] == 0.3 and r == 1.0 and f1 == 1.0
    assert {k: got[k] for k in thresholds} == thresholds


def test_equal_count_bins_split_keys_evenly_in_confidence_order():
    pairs = [(i / 10, i >= 7) for i in range(10)]
    rows = reliability_equal_count(pairs, bins=5)
    assert [n for _, n, _ in rows] == [2, 2, 2, 2, 2]
    assert [p for _, _, p in rows] == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert rows[0][0] == "[0.000,0.100]" and rows[-1][0] == "[0.800,0.900]"


@pytest.mark.parametrize("n_top_correct, min_keys, top_at_most", [
    (5, 1, 1.0),  # plain isotonic: five correct keys at the top make a step of 1.0
    (5, 40, 0.7),  # pooled: the top step rests on 40 keys, most of them mixed
])
def test_calibration_steps_rest_on_enough_keys(n_top_correct, min_keys, top_at_most):
    rng = np.random.default_rng(0)
    scored = [(float(s), bool(rng.random() < s), "model") for s in rng.random(400) * 0.5]
    scored += [(0.95 + i / 1000, True, "model") for i in range(n_top_correct)]
    xs, ys = isotonic_table(scored, "model", min_keys=min_keys)
    assert all(a <= b for a, b in zip(xs, xs[1:], strict=False))
    assert all(a <= b for a, b in zip(ys, ys[1:], strict=False))
    assert ys[-1] <= top_at_most
    if min_keys == 1:
        assert ys[-1] == 1.0
    steps = sorted(set(ys))
    for v in steps:
        inside = [ok for s, ok, _ in scored if abs(float(np.interp(s, xs, ys)) - v) < 1e-12]
        assert len(inside) >= min_keys
