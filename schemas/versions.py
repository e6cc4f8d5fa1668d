"""Versioned names of every rule set and lexicon, in one spaCy-free module.

Extractor modules, releases and the incremental extract stage all import
the constants from here (nothing re-exports them), so deciding that nothing
needs re-extracting does not require importing spaCy or loading a model.
Bump a version whenever its rules or data change what is extracted.
"""

from __future__ import annotations

import json
from importlib import metadata

PARSER_VERSION = "parse-1.1.0"
"""Document parsers (extractors.text.formats): bump when a parser changes a document's text or sections."""
SENTENCE_RULES_VERSION = "sentences-1.1.0"
CUE_RULESET_VERSION = "cues-1.1.0"
MEASURE_RULES_VERSION = "measures-1.0.0"
TRIPLE_RULESET_VERSION = "triples-1.1.0"
RELATION_MODEL_VERSION = "relations-1.3.1"
"""The learned relation stage (extractors.nlp.relations): bump when its features or training data change."""
VARIANT_RULESET_VERSION = "variants-1.2.1"
DRUG_LEXICON_VERSION = "drugs-2026.12.1"
GENE_LEXICON_VERSION = "genes-2026.12.2"
IDENTIFIER_VERSION = "identifiers-2026.12.1"
"""Drug / gene id tables, the disease lexicon (``drug_ids.tsv``, ``gene_ids.tsv``, ``diseases.tsv``) and the
``oncotriples_identifiers`` component's choice rules: bump when any of them changes a triple's ids or disease."""


def ner_model_version(ner_model: str) -> str:
    """``bundled:<meta version>``, an installed package's ``name==version``, or ``none``."""
    if ner_model == "bundled":
        from schemas.resources import data_path

        try:
            meta = json.loads(data_path("ner", "model", "meta.json").read_text(encoding="utf-8"))
        except OSError:
            return "bundled:unknown"
        return f"bundled:{meta.get('version', 'unknown')}"
    if ner_model in ("", "none"):
        return "none"
    try:
        return f"{ner_model}=={metadata.version(ner_model)}"
    except metadata.PackageNotFoundError:
        return ner_model


def relation_model_version() -> str:
    """``relations-X.Y.Z:<sha1 of data/relations/model.json>``, so a retrained model is a new version."""
    import hashlib

    from schemas.resources import data_path

    try:
        digest = hashlib.sha1(data_path("relations", "model.json").read_bytes()).hexdigest()[:12]
    except OSError:
        return f"{RELATION_MODEL_VERSION}:none"
    return f"{RELATION_MODEL_VERSION}:{digest}"


def rule_versions(ner_model: str) -> dict[str, str]:
    """Everything that decides what a document's extraction contains (recorded in releases)."""
    try:
        spacy_version = metadata.version("spacy")
    except metadata.PackageNotFoundError:
        spacy_version = "unknown"
    return {
        "sentences": SENTENCE_RULES_VERSION,
        "cues": CUE_RULESET_VERSION,
        "measures": MEASURE_RULES_VERSION,
        "triples": TRIPLE_RULESET_VERSION,
        "relations": relation_model_version(),
        "variants": VARIANT_RULESET_VERSION,
        "drug_lexicon": DRUG_LEXICON_VERSION,
        "gene_lexicon": GENE_LEXICON_VERSION,
        "identifiers": IDENTIFIER_VERSION,
        "ner_model": ner_model_version(ner_model),
        "spacy": spacy_version,
    }
