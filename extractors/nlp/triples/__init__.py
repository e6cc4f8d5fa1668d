"""Triple assembly: therapy × alteration × outcome per sentence or table row, with evidence.

Runs after the sentence splitter, the lexicon rulers, the NER and the variant
grammar. For each extractable sentence it pairs the therapies and the
alterations the sentence names (or licenses by context: a table row inherits
its caption's population, ``these mutations`` / ``this compound`` refer to
the previous sentence), decides the outcome from cue words with each drug's
own role (``resistance to X``, ``X-resistant``), records negation and
hedging, attaches measures and trial ids, and scores a confidence.

Modules: :mod:`~extractors.nlp.triples.facts` (what is read from the
document), :mod:`~extractors.nlp.triples.drugs` and
:mod:`~extractors.nlp.triples.alterations` (which mentions a sentence
asserts), :mod:`~extractors.nlp.triples.clauses`,
:mod:`~extractors.nlp.triples.outcome`, :mod:`~extractors.nlp.triples.scoring`
and :mod:`~extractors.nlp.triples.assembler` (the spaCy component).
"""

from __future__ import annotations

from extractors.nlp.triples.assembler import TripleAssembler, make_triple_assembler
from extractors.nlp.triples.facts import (
    POPULATION_TYPES,
    SPECIFIC_TYPES,
    AltHit,
    SentenceFacts,
    alteration_hits,
    drug_hits,
    gene_hits,
)

__all__ = [
    "POPULATION_TYPES",
    "SPECIFIC_TYPES",
    "AltHit",
    "SentenceFacts",
    "TripleAssembler",
    "alteration_hits",
    "drug_hits",
    "gene_hits",
    "make_triple_assembler",
]
