"""The NLP data files in data/lexicons: shapes, the one gene table both gene readers use, SOURCES.md entries."""

from __future__ import annotations

import re

import pytest

from extractors.nlp import cues as C
from extractors.nlp import datafiles as D
from extractors.nlp.lexicons import load_gene_lexicon
from extractors.nlp.variants import normalize_gene
from schemas.resources import data_path

DATA_FILES = [
    "genes.tsv",
    "gene_stoplist.txt",
    "gene_sets.toml",
    "protein_lengths.tsv",
    "variant_stoplists.toml",
    "drug_class_grammar.toml",
    "cues.toml",
]


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_data_file_is_described_in_sources(name: str) -> None:
    sources = data_path("lexicons", "SOURCES.md").read_text(encoding="utf-8")
    assert f"`{name}`" in sources


def test_grammar_rows_agree_with_each_other() -> None:
    """Two grammar rows with the same upper-cased surface never name two genes."""
    seen: dict[str, str] = {}
    for r in D.read_tsv("genes.tsv"):
        if r["grammar"]:
            value = r["synonym"].upper() if r["grammar"] == "as_written" else r["symbol"]
            assert seen.setdefault(r["synonym"].upper(), value) == value, r


def test_bad_grammar_flag_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"symbol": "EGFR", "synonym": "EGFR", "grammar": "maybe"}]
    monkeypatch.setattr(D, "read_tsv", lambda name: iter(rows))
    D.variant_gene_table.cache_clear()
    try:
        with pytest.raises(ValueError, match="grammar"):
            D.variant_gene_table()
    finally:
        D.variant_gene_table.cache_clear()


@pytest.mark.parametrize(
    ("token", "grammar", "lexicon"),
    [
        pytest.param("her2", "ERBB2", None, id="alias-any-case"),  # the grammar reads its table case-insensitively
        pytest.param("HER2", "ERBB2", "ERBB2", id="alias"),
        pytest.param("SHP2", "SHP2", "PTPN11", id="as-written"),
        pytest.param("AR", "AR", None, id="grammar-only"),
        pytest.param("TACC3", "TACC3", None, id="grammar-only-partner"),
        pytest.param("KEAP1", "KEAP1", "KEAP1", id="both"),
        pytest.param("PCR", None, None, id="not-a-gene"),
    ],
)
def test_one_gene_table_two_readers(token: str, grammar: str | None, lexicon: str | None) -> None:
    assert normalize_gene(token) == grammar
    assert load_gene_lexicon().lookup(token) == lexicon


def test_gene_sets_name_lexicon_genes() -> None:
    symbols = load_gene_lexicon().symbols
    for name in ("fusion_drivers", "fusion_positive", "oncogenic_drivers", "positive_by_amplification"):
        assert D.gene_set(name) and D.gene_set(name) <= symbols, name
    assert D.gene_set("fusion_positive") <= D.gene_set("fusion_drivers")


def test_word_lists_are_upper_case_tokens() -> None:
    for name in ("not_genes", "substitution_lookalikes", "residue_lookalikes", "fusion_partner_stop"):
        words = D.variant_stoplist(name)
        assert words and all(re.fullmatch(r"[A-Z0-9]+", w) for w in words), name
    assert "OS" in D.gene_stoplist() and not any(w.startswith("#") for w in D.gene_stoplist())


def test_protein_lengths_are_positive() -> None:
    lengths = D.protein_lengths()
    assert lengths["EGFR"] == 1210 and all(n > 0 for n in lengths.values())
    with pytest.raises(TypeError):
        lengths["EGFR"] = 1  # type: ignore[index]  # read-only: the cache is shared


def test_class_grammar_tables() -> None:
    g = D.class_grammar()
    assert list(g.tki_targets)[0] == "EGFR" and "KRAS G12C" in g.inhibitor_targets
    assert g.heads["tki"][: len(g.heads["tki_untargeted"])] == g.heads["tki_untargeted"]
    assert set(g.heads) == {"tki", "tki_untargeted", "inhibitor", "ici", "antibody", "adc", "protac", "degrader"}
    assert "" in g.target_links and "second" in g.generations


def test_cue_sets() -> None:
    every = [c for kind in C.CUE_KINDS for c in C.cue_set(kind)]
    assert len({c.rule_id for c in every}) == len(every)  # rule ids are recorded on triples: unique
    assert {c.rule_id for c in C.cue_set("negation")} == {"neg_not"}
    assert C.cue_set("resistance")[0].pattern.search("gefitinib RESISTANCE")  # case-insensitive
    weights = {c.rule_id: c.weight for c in every}
    assert weights["res_resist"] == 2.0 and weights["res_mediate"] == 1.0 and weights["sens_response"] == 2.0
    with pytest.raises(ValueError, match="cue kind"):
        C.cue_set("outcome")


@pytest.mark.parametrize(
    ("sentence", "ncts", "level"),
    [
        ("In Ba/F3 cells, the IC50 of lorlatinib was 10 nM.", [], "preclinical"),
        ("A patient with EML4-ALK NSCLC responded.", [], "case_report"),
        ("The phase II trial enrolled 100 patients.", [], "clinical_trial"),
        ("Patients were treated with osimertinib.", ["NCT01234567"], "clinical_trial"),
        ("In this retrospective cohort, responses were rare.", [], "retrospective"),
        ("Responses were rare.", [], "review"),
    ],
)
def test_evidence_levels(sentence: str, ncts: list[str], level: str) -> None:
    assert C.evidence_level(sentence, ncts, "review") == level
