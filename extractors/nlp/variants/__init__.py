"""Variant grammar: find, normalize and attach molecular-alteration mentions.

Pure core
    ``find_variants(text, genes=()) -> list[VariantMention]``
    ``attach_genes(mentions, genes, text) -> list[VariantMention]``
    ``variant_mentions_for_pubtator(text) -> list[(start, end, text, normalized)]``

spaCy component
    ``oncotriples_variants`` (``doc._.variants``, ``doc.spans["variants"]``).

The modules, in the order a text goes through them:

* :mod:`~extractors.nlp.variants.patterns` — the compiled regular expressions
  and residue tables; every rule has a ``rule_id`` recorded on its mention;
* :mod:`~extractors.nlp.variants.protein`, :mod:`~extractors.nlp.variants.dna`,
  :mod:`~extractors.nlp.variants.structural` — one builder per rule family,
  turning a match into a normalized :class:`VariantMention` (or rejecting it);
* :mod:`~extractors.nlp.variants.rules` — the table pairing rules, patterns
  and builders, in priority order;
* :mod:`~extractors.nlp.variants.grammar` — candidates from all rules,
  overlaps resolved (longest span wins, then rule priority), compounds joined
  by ``/``, ``+``, ``cis``/``trans`` merged, then
  :mod:`~extractors.nlp.variants.attach` (genes) and
  :mod:`~extractors.nlp.variants.coordination` (one word, several genes);
* :mod:`~extractors.nlp.variants.genes` — gene names as the grammar reads them;
* :mod:`~extractors.nlp.variants.pubtator` and
  :mod:`~extractors.nlp.variants.component` — the two ways out.

Offsets are always exact: ``text[m.start:m.end] == m.text``."""

from __future__ import annotations

from extractors.nlp.variants.attach import attach_genes
from extractors.nlp.variants.component import VariantComponent, make_variant_component
from extractors.nlp.variants.genes import find_gene_hits, normalize_gene
from extractors.nlp.variants.grammar import find_variants
from extractors.nlp.variants.mention import SEQUENCE_VTYPES, GeneHit, VariantMention
from extractors.nlp.variants.pubtator import NATURAL_LANGUAGE_RULES, variant_mentions_for_pubtator

__all__ = [
    "NATURAL_LANGUAGE_RULES",
    "SEQUENCE_VTYPES",
    "GeneHit",
    "VariantComponent",
    "VariantMention",
    "attach_genes",
    "find_gene_hits",
    "find_variants",
    "make_variant_component",
    "normalize_gene",
    "variant_mentions_for_pubtator",
]
