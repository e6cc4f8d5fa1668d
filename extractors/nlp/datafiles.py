"""Readers of the NLP layer's data files in ``data/lexicons/`` (listed in ``data/lexicons/SOURCES.md``).

Word lists, gene sets, protein lengths, the variant grammar's gene table and
the drug-class grammar are data, kept beside the lexicons rather than written
as Python. Each file is read once per process by its own cached loader and
handed out immutable (frozensets, tuples, read-only mappings).
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from schemas.resources import data_path

GRAMMAR_FLAGS = frozenset({"", "yes", "as_written", "only"})
"""Values of the ``grammar`` column of ``genes.tsv``: not read by the variant grammar's own table, read
(reports the row's symbol), read but reported as written (upper-cased), read by the grammar only."""


def read_tsv(name: str) -> Iterator[dict[str, str]]:
    """The rows of ``data/lexicons/<name>`` (tab-separated, header row, no quoting), values stripped."""
    path = data_path("lexicons", name)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield {k: (v or "").strip() for k, v in row.items() if k}


def _read_toml(name: str) -> dict[str, Any]:
    with data_path("lexicons", name).open("rb") as fh:
        return tomllib.load(fh)


@cache
def gene_stoplist() -> frozenset[str]:
    """Surface forms the gene lexicon never reports (``gene_stoplist.txt``: one per line, ``#`` comments)."""
    lines = data_path("lexicons", "gene_stoplist.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


@cache
def gene_set(name: str) -> frozenset[str]:
    """A named gene set of ``gene_sets.toml`` (``fusion_drivers``, ``fusion_positive``, ``oncogenic_drivers``)."""
    return frozenset(_read_toml("gene_sets.toml")[name])


@cache
def variant_stoplist(name: str) -> frozenset[str]:
    """A word list of ``variant_stoplists.toml`` (``not_genes``, ``substitution_lookalikes``, ``residue_lookalikes``, ``fusion_partner_stop``)."""
    return frozenset(_read_toml("variant_stoplists.toml")[name])


@cache
def protein_lengths() -> Mapping[str, int]:
    """Canonical protein length (amino acids) by HGNC symbol (``protein_lengths.tsv``)."""
    return MappingProxyType({r["symbol"]: int(r["length"]) for r in read_tsv("protein_lengths.tsv")})


@cache
def variant_gene_table() -> Mapping[str, str]:
    """The variant grammar's own gene table: upper-cased surface → symbol, from ``genes.tsv``'s ``grammar`` column.

    The grammar reads these surfaces case-insensitively and before the gene lexicon; ``as_written`` rows
    report the surface itself (``SHP2``, ``BIM``) rather than the row's HGNC symbol.
    """
    table: dict[str, str] = {}
    for r in read_tsv("genes.tsv"):
        flag = r.get("grammar", "")
        if flag not in GRAMMAR_FLAGS:
            raise ValueError(f"genes.tsv: grammar must be one of {sorted(GRAMMAR_FLAGS)}, not {flag!r}")
        if flag:
            surface = r["synonym"].upper()
            table[surface] = surface if flag == "as_written" else r["symbol"]
    return MappingProxyType(table)


@dataclass(frozen=True)
class ClassGrammar:
    """The tables of ``drug_class_grammar.toml``; every mapping keeps the file's order."""

    tki_targets: Mapping[str, tuple[str, ...]]
    inhibitor_targets: Mapping[str, tuple[str, ...]]
    biologic_targets: Mapping[str, tuple[str, ...]]
    ici_targets: tuple[str, ...]
    heads: Mapping[str, tuple[str, ...]]
    target_links: tuple[str, ...]
    generations: Mapping[str, tuple[str, ...]]
    generation_words: tuple[str, ...]


def _tuples(table: Mapping[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in table.items()})


@cache
def class_grammar() -> ClassGrammar:
    """The drug-class grammar's targets, heads and generation words (``drug_class_grammar.toml``)."""
    raw = _read_toml("drug_class_grammar.toml")
    targets = raw["targets"]
    return ClassGrammar(
        tki_targets=_tuples(targets["tki"]),
        inhibitor_targets=_tuples(targets["inhibitor"]),
        biologic_targets=_tuples(targets["biologic"]),
        ici_targets=tuple(raw["ici_targets"]),
        heads=_tuples(raw["heads"]),
        target_links=tuple(raw["target_links"]),
        generations=_tuples(raw["generations"]),
        generation_words=tuple(raw["generation_words"]),
    )


@cache
def drug_id_table() -> Mapping[str, tuple[str, ...]]:
    """Canonical drug name → its ChEBI, ChEMBL, MeSH and NCIt ids (``drug_ids.tsv``, built by ``scripts/build_lexicons.py``)."""
    table: dict[str, list[str]] = {}
    for r in read_tsv("drug_ids.tsv"):
        table.setdefault(r["canonical"], []).append(r["id"])
    return MappingProxyType({k: tuple(v) for k, v in table.items()})


@dataclass(frozen=True, slots=True)
class GeneIds:
    """The ids of one approved HGNC symbol."""

    hgnc_id: str
    ncbi_gene_id: str


@cache
def gene_id_table() -> Mapping[str, GeneIds]:
    """Approved HGNC symbol → HGNC and NCBI Gene ids (``gene_ids.tsv``)."""
    return MappingProxyType({r["symbol"]: GeneIds(r["hgnc_id"], r["ncbi_gene_id"]) for r in read_tsv("gene_ids.tsv")})
