"""Build the project's spaCy pipeline: project tokenizer (:mod:`extractors.nlp.tokenizer`) → sentences → abbreviations → lexicons → NER → variants → triples → identifiers.

The pipeline is built once per process by the caller (the CLI or a stage
function) and passed explicitly; nothing here is cached globally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers "abbreviation_detector")
from spacy.language import Language
from spacy.tokens import Doc, Span

import extractors.nlp.sentences  # noqa: F401  (registers "oncotriples_sentences")
import extractors.nlp.triples  # noqa: F401  (registers "oncotriples_triples")
from extractors.nlp.tokenizer import make_tokenizer_nlp
from schemas.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineVersions:
    """Versions of every rule set and model that produced an extraction (recorded in releases)."""

    items: dict[str, str]

    def fingerprint(self) -> str:
        return ";".join(f"{k}={v}" for k, v in sorted(self.items.items()))


def build_nlp(ner_model: str = "bundled", *, with_triples: bool = True, triple_stage: str = "auto") -> Language:
    """Assemble the extraction pipeline. ``ner_model``: ``bundled``, ``none`` or an installed package name.

    ``triple_stage``: ``relations`` (the learned relation model), ``rules`` (the rule
    assembler alone) or ``auto`` (the relation model when ``data/relations`` holds one).
    """
    import extractors.nlp.lexicons  # noqa: F401  (registers the lexicon rulers)
    import extractors.nlp.variants  # noqa: F401  (registers "oncotriples_variants")

    nlp = make_tokenizer_nlp()
    nlp.add_pipe("oncotriples_sentences")
    nlp.add_pipe("abbreviation_detector")
    nlp.add_pipe("oncotriples_drug_ruler")
    nlp.add_pipe("oncotriples_gene_ruler")
    if ner_model and ner_model != "none":
        from extractors.nlp.ner import add_ner

        add_ner(nlp, ner_model)
    nlp.add_pipe("oncotriples_abbreviation_resolver")
    nlp.add_pipe("oncotriples_variants")
    if with_triples:
        import extractors.nlp.identifiers  # noqa: F401  (registers "oncotriples_identifiers")

        nlp.add_pipe(_triple_pipe(triple_stage))
        nlp.add_pipe("oncotriples_identifiers")
    return nlp


def _triple_pipe(stage: str) -> str:
    if stage == "auto":
        from schemas.resources import data_path

        stage = "relations" if data_path("relations", "model.json").is_file() else "rules"
    if stage == "relations":
        import extractors.nlp.relations  # noqa: F401  (registers "oncotriples_relations")

        return "oncotriples_relations"
    if stage != "rules":
        raise ConfigError(f"triple_stage must be auto, relations or rules, not {stage!r}")
    return "oncotriples_triples"


def pipeline_versions(nlp: Language | None, ner_model: str) -> PipelineVersions:
    """Versions of the rule sets, lexicons and model (``nlp`` is not needed: see ``schemas.versions``)."""
    from schemas.versions import rule_versions

    return PipelineVersions(rule_versions(ner_model))


@Language.factory("oncotriples_abbreviation_resolver", default_config={})
def make_abbreviation_resolver(nlp: Language, name: str) -> AbbreviationResolver:
    return AbbreviationResolver()


class AbbreviationResolver:
    """Document-wide abbreviation resolution for drugs and genes.

    When a long form is a known drug or gene (``telisotuzumab vedotin
    (Teliso-V)``), every occurrence of the short form in the document gets
    the long form's normalized name.
    """

    def __call__(self, doc: Doc) -> Doc:
        abbreviations = getattr(doc._, "abbreviations", None) or []
        for key in ("drugs", "genes"):
            spans = list(doc.spans.get(key, []))
            if not spans:
                continue
            added: list[Span] = []
            covered = {(s.start, s.end) for s in spans}
            for short in abbreviations:
                long = short._.long_form
                match = next((s for s in spans if s.start >= long.start and s.end <= long.end and (s.end - s.start) >= (long.end - long.start) - 1), None)
                if match is None:
                    continue
                if (short.start, short.end) in covered:
                    continue
                new = Span(doc, short.start, short.end, label=match.label_)
                if new.has_extension("norm_id"):
                    new._.norm_id = match._.norm_id
                if new.has_extension("ent_source"):
                    new._.ent_source = "abbreviation"
                added.append(new)
                covered.add((short.start, short.end))
            if added:
                doc.spans[key] = sorted(spans + added, key=lambda s: (s.start, s.end))
        return doc
