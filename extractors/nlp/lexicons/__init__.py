"""Drug, drug-class and gene lexicons and their spaCy ruler components.

Lexicon data lives in ``data/lexicons/`` (see ``data/lexicons/SOURCES.md``)
and is read through :mod:`extractors.nlp.datafiles`. Each lexicon is
loaded once per process through a cached ``load_*()`` factory.

Modules: :mod:`~extractors.nlp.lexicons.phrases` (the matching core),
:mod:`~extractors.nlp.lexicons.drugs`, :mod:`~extractors.nlp.lexicons.classes`
(with the class grammar), :mod:`~extractors.nlp.lexicons.genes` and
:mod:`~extractors.nlp.lexicons.rulers` (the spaCy components).

Matching works on character offsets of ``doc.text``, not on spaCy tokens:
a tokenizer may keep ``EGFR-TKI``, ``EML4-ALK`` or ``T790M-positive`` as one
token (scispaCy's plain rules do), but the lexicons must find ``EGFR``,
``EML4`` and ``ALK`` inside them. The text is cut into maximal alphanumeric *pieces*; a phrase matches a
run of consecutive pieces separated only by short "joiner" strings (spaces,
hyphens/dashes, ``/``, parentheses, Markdown ``*``/``_``). A phrase's key is
its pieces concatenated, so ``AZD9291``, ``AZD-9291`` and ``AZD 9291`` all share
the key ``azd9291``. Matching is greedy longest-match, case-insensitive for
long names and case-sensitive for short symbols (``MET`` but not ``met``).

Components (registered with ``@Language.factory``):

* ``oncotriples_drug_ruler``: ``doc.spans["drugs"]`` (label ``DRUG``) and
  ``doc.spans["drug_classes"]`` (label ``DRUG_CLASS``), ``doc._.drug_mentions``
  and ``doc._.drug_class_mentions``;
* ``oncotriples_gene_ruler``: ``doc.spans["genes"]`` (label ``GENE``) and
  ``doc._.gene_mentions``.

Spans are aligned to tokens with ``doc.char_span(..., alignment_mode="expand")``;
the exact offsets are in ``Span._.char_start`` / ``Span._.char_end`` and in the
``LexiconMention`` lists. ``Span._.norm_id`` holds the canonical drug / class
name or the HGNC symbol, ``Span._.ent_source`` is ``"lexicon"``; ``Span.kb_id_``
also holds the normalized id.
"""

from __future__ import annotations

from extractors.nlp.lexicons.classes import (
    DrugClassEntry,
    DrugClassLexicon,
    load_drug_class_lexicon,
)
from extractors.nlp.lexicons.drugs import (
    DrugEntry,
    DrugLexicon,
    fallback_drug_name,
    load_drug_lexicon,
)
from extractors.nlp.lexicons.genes import GeneEntry, GeneLexicon, load_gene_lexicon
from extractors.nlp.lexicons.phrases import PhraseHit, PhraseIndex, phrase_key, split_pieces
from extractors.nlp.lexicons.rulers import (
    DrugRuler,
    GeneRuler,
    LexiconMention,
    MapCodes,
    make_drug_ruler,
    make_gene_ruler,
)

__all__ = [
    "DrugClassEntry",
    "DrugClassLexicon",
    "DrugEntry",
    "DrugLexicon",
    "DrugRuler",
    "GeneEntry",
    "GeneLexicon",
    "GeneRuler",
    "LexiconMention",
    "MapCodes",
    "PhraseHit",
    "PhraseIndex",
    "fallback_drug_name",
    "load_drug_class_lexicon",
    "load_drug_lexicon",
    "load_gene_lexicon",
    "make_drug_ruler",
    "make_gene_ruler",
    "phrase_key",
    "split_pieces",
]
