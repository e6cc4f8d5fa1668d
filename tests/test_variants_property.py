"""Robustness of the variant grammar: never crashes, offsets always valid, no catastrophic backtracking.

Backtracking is checked on the patterns themselves, not with a stopwatch: every regular
expression the grammar uses (compiled in its modules or passed to ``re`` while it runs) is
parsed with the standard library's own regex parser, and no repetition that can match a
variable amount of text may sit inside an unbounded repetition (``(a+)+``, ``(\\w+\\s?)*``,
``(?:a{1,3})+``): that nesting is what makes a failing match attempt exponential.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from re import _constants as sre_constants  # the stdlib's regex parser has no public name
from re import _parser as sre_parser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import extractors.nlp.variants as variants_pkg
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
def test_adversarial_inputs_keep_offsets_valid(text: str) -> None:
    _check(text)


# -- backtracking: the structure of every pattern -----------------------------------------------

_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)
_RE_FUNCTIONS = {"compile": 0, "search": 1, "match": 1, "fullmatch": 1, "finditer": 1, "findall": 1, "split": 2, "sub": 3, "subn": 3}
"""``re`` functions taking a pattern string → where their ``flags`` argument sits after the pattern."""


def _children(op: object, av: object) -> list[object]:
    """The sub-patterns of one parsed item (groups, branches, lookarounds, conditionals)."""
    if op in _REPEATS or op == sre_constants.POSSESSIVE_REPEAT:
        return [av[2]]  # type: ignore[index]
    if op == sre_constants.SUBPATTERN:
        return [av[3]]  # type: ignore[index]
    if op == sre_constants.BRANCH:
        return list(av[1])  # type: ignore[index]
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [av[1]]  # type: ignore[index]
    if op == sre_constants.ATOMIC_GROUP:
        return [av]
    if op == sre_constants.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]  # type: ignore[index]
    return []


def nested_repeats(pattern: str, flags: int = 0) -> list[str]:
    """The variable repetitions inside an unbounded (backtracking) repetition of ``pattern``."""
    found: list[str] = []

    def walk(node: object, inside: bool) -> None:
        for op, av in node:  # type: ignore[attr-defined]
            if op in _REPEATS:
                lo, hi, _ = av  # type: ignore[misc]
                if inside and hi != lo:
                    found.append(f"{{{lo},{'' if hi == sre_constants.MAXREPEAT else hi}}}")
                walk(av[2], inside or hi == sre_constants.MAXREPEAT)  # type: ignore[index]
            elif op in (sre_constants.POSSESSIVE_REPEAT, sre_constants.ATOMIC_GROUP):
                for child in _children(op, av):
                    walk(child, False)  # never backtracks into
            else:
                for child in _children(op, av):
                    walk(child, inside)

    walk(sre_parser.parse(pattern, flags), False)
    return found


@pytest.mark.parametrize(
    ("pattern", "catastrophic"),
    [
        (r"(a+)+b", True),
        (r"^(?:\w+\s?)*$", True),
        (r"(?:a|aa)*(?:x{1,3})+y", True),
        (r"(?=(?:\d+,)+;)", True),
        (r"(?:nucleotide\s|position\s)+\d{1,7}", False),
        (r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9]{1,6}(?:/[ACGT]){1,3}", False),
        (r"(?:a+)++b", False),
    ],
)
def test_backtracking_check_finds_nested_repetitions(pattern: str, catastrophic: bool) -> None:
    """The check below can fail: the classic exponential patterns are reported, linear ones are not."""
    assert bool(nested_repeats(pattern)) is catastrophic


def _grammar_modules() -> list[object]:
    names = [f"{variants_pkg.__name__}.{m.name}" for m in pkgutil.iter_modules(variants_pkg.__path__)]
    return [variants_pkg, *(importlib.import_module(n) for n in names)]


def grammar_patterns(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, int]]:
    """Every regex of the grammar: compiled in its modules, or handed to ``re`` while it reads sample texts."""
    found: dict[str, tuple[str, int]] = {}
    for module in _grammar_modules():
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{module.__name__}.{name}"] = (value.pattern, value.flags)

    def recording(name: str, flags_at: int):  # type: ignore[no-untyped-def]
        original = getattr(re, name)

        def wrapper(pattern, *args, **kwargs):  # type: ignore[no-untyped-def]
            if isinstance(pattern, str):
                flags = kwargs.get("flags", args[flags_at] if len(args) > flags_at else 0)
                found.setdefault(f"re.{name}({pattern!r})", (pattern, int(flags)))
            return original(pattern, *args, **kwargs)

        return wrapper

    for name, flags_at in _RE_FUNCTIONS.items():
        monkeypatch.setattr(re, name, recording(name, flags_at))
    samples = [p.values[0][:3000] for p in ADVERSARIAL] + [
        "EGFR L858R, T790M and C797S; ALK G1202R; c.2573T>G (p.Leu858Arg); exon 19 deletion; IVS2+1G>A; "
        "MET exon 14 skipping; EML4-ALK fusion; HER2 amplification; KRAS G12C/D; rs121434568; delE746-A750; "
        "a G-to-T substitution at nucleotide 35; Leu858 to Arg; p.E746_A750del; 15-bp deletion; BRAF V600E+.",
    ]
    for text in samples:
        _check(text)
    monkeypatch.undo()
    return found


def test_grammar_patterns_cannot_backtrack_catastrophically(monkeypatch: pytest.MonkeyPatch) -> None:
    patterns = grammar_patterns(monkeypatch)
    assert len(patterns) > 50  # the grammar's compiled patterns and the inline ones were all seen
    offenders = {name: found for name, (pattern, flags) in patterns.items() if (found := nested_repeats(pattern, flags))}
    assert offenders == {}


def test_non_string_input_does_not_crash() -> None:
    assert find_variants("") == []
    assert find_variants(None) == []  # type: ignore[arg-type]
