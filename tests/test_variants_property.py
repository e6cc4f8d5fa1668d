"""Robustness of the variant grammar: never crashes, offsets always valid, linear time."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.nlp.variants import find_variants, variant_mentions_for_pubtator

ALPHABET = st.sampled_from(
    list("ACDEFGHIKLMNPQRSTVWYXacgtp.()_-+*>/:;,0123456789 \n\t–⁺Δ") + ["del", "ins", "dup", "fs", "IVS", "rs", "exon ",
                                                                        "Leu", "Arg", "c.", "p.", " to ", "EGFR", "ALK"]
)


def _check(text: str) -> None:
    for m in find_variants(text):
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start:m.end] == m.text
        for p in m.parts:
            assert text[p.start:p.end] == p.text
    for s, e, t, _n in variant_mentions_for_pubtator(text):
        assert text[s:e] == t


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_unicode_text(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=200).map("".join))
def test_variant_like_token_soup(text: str) -> None:
    _check(text)


ADVERSARIAL = [
    pytest.param("A" * 100_000, id="A*1e5"),
    pytest.param("p." * 50_000, id="p.*5e4"),
    pytest.param("1" * 10**6, id="1*1e6"),
    pytest.param("L858R/" * 20_000, id="slash-chain"),
    pytest.param("c.1" * 30_000, id="c.1-chain"),
    pytest.param("del" * 40_000, id="del-chain"),
    pytest.param("EGFR-" * 30_000, id="gene-hyphen-chain"),
    pytest.param("(" * 50_000 + "L858R" + ")" * 50_000, id="parens"),
    pytest.param("IVS1+" * 20_000, id="ivs-chain"),
    pytest.param("exon 19/" * 20_000, id="exon-slash-chain"),
    pytest.param("A to " * 30_000, id="to-chain"),
    pytest.param(("Patients with advanced lung cancer were treated with a third-generation inhibitor and the "
                  "response rate was assessed at twelve weeks in all cohorts, EGFR T790M. " * 7_000)[:1_000_000],
                 id="1MB-prose-line"),
    pytest.param(("EGFR T790M/C797S and MET amplification in EML4-ALK NSCLC; c.2573T>G rs121434568. " * 3_000),
                 id="250kB-dense-mentions"),
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_inputs_are_fast(text: str) -> None:
    t0 = time.perf_counter()
    _check(text)
    elapsed = time.perf_counter() - t0
    # linear time: 1 MB finishes in seconds, not minutes (generous bound for slow CI machines)
    assert elapsed < 30, f"{elapsed:.1f}s for {len(text)} chars"


def test_non_string_input_does_not_crash() -> None:
    assert find_variants("") == []
    assert find_variants(None) == []  # type: ignore[arg-type]
