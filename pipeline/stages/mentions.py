"""Entity mentions in PubTator form: NER model + drug/gene lexicons + variant grammar.

``annotate_pubtator(IN, OUT)`` reads PubTator documents (title/abstract; gold
annotation lines in the input are ignored, never copied) and writes the same
documents with the pipeline's own mention lines
``PMID<TAB>start<TAB>end<TAB>text<TAB>TYPE<TAB>ID``:

* ``Chemical`` / ``Gene`` / ``Disease`` from the NER model (``model=``, see
  :mod:`extractors.nlp.ner`); ID is the lexicon's canonical drug name / HGNC
  symbol when a lexicon entry covers the same span, otherwise the mention
  text;
* ``Chemical`` / ``Gene`` from the drug and gene lexicons
  (:mod:`extractors.nlp.lexicons`) where the model found nothing overlapping —
  the lexicon normalizes, the model finds what the lexicon misses;
* ``SequenceVariant`` from the variant grammar (:mod:`extractors.nlp.variants`),
  ID the normalized variant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from spacy.language import Language

import extractors.nlp.lexicons  # noqa: F401  (registers the ruler factories)
from extractors.nlp.tokenizer import make_tokenizer_nlp
from extractors.nlp.variants import variant_mentions_for_pubtator
from extractors.text.pubtator import Mention, PubTatorDoc, iter_pubtator, write_pubtator
from pipeline.stages.context import Progress
from schemas.errors import InputError

log = logging.getLogger(__name__)

__all__ = ["MENTION_TYPES", "MentionAnnotator", "annotate_docs", "annotate_pubtator"]

MENTION_TYPES = ("Chemical", "Gene", "SequenceVariant", "Disease")
_TYPE_KEYS = {"Chemical": "drugs", "Gene": "genes"}


def _lexicon_nlp() -> Language:
    """A tokenizer-only pipeline (the project tokenizer) with the drug and gene rulers."""
    nlp = make_tokenizer_nlp()
    nlp.add_pipe("oncotriples_drug_ruler")
    nlp.add_pipe("oncotriples_gene_ruler")
    return nlp


def _lexicon_hits(lexdoc) -> dict[str, dict[tuple[int, int], str]]:
    """Exact-offset lexicon matches by type: ``{"Chemical": {(start, end): canonical}, "Gene": {...}}``."""
    found: dict[str, dict[tuple[int, int], str]] = {"Chemical": {}, "Gene": {}}
    if lexdoc is None:
        return found
    for attr, typ in (("drug_mentions", "Chemical"), ("gene_mentions", "Gene")):
        mentions = getattr(lexdoc._, attr, None) if lexdoc.has_extension(attr) else None
        if mentions is not None:
            for m in mentions:
                found[typ][(m.start, m.end)] = m.norm_id or m.text
            continue
        for span in lexdoc.spans.get(_TYPE_KEYS[typ], []):  # fallback: the span group
            start = getattr(span._, "char_start", None) if span.has_extension("char_start") else None
            end = getattr(span._, "char_end", None) if span.has_extension("char_end") else None
            norm = getattr(span._, "norm_id", None) if span.has_extension("norm_id") else None
            found[typ][(start if start is not None else span.start_char,
                        end if end is not None else span.end_char)] = norm or span.text
    return found


def _overlaps(a: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


class MentionAnnotator:
    """Holds the loaded models; ``annotate(texts)`` yields the mentions of each text."""

    def __init__(self, model: str = "bundled", *, lexicons: bool = True, variants: bool = True, natural_language_variants: bool = True) -> None:
        from extractors.nlp.ner import load_ner_model

        self.model_name = model
        self.ner = load_ner_model(model)
        self.lexicon_nlp = _lexicon_nlp() if lexicons else None
        self.variant_fn = variant_mentions_for_pubtator if variants else None
        self.natural_language_variants = natural_language_variants

    def annotate(self, texts: list[str], batch_size: int = 64) -> Iterator[list[Mention]]:
        ner_iter = (self.ner.entities(texts, batch_size=batch_size, keep_internal=True)
                    if self.ner else iter([[]] * len(texts)))
        lex_iter = (self.lexicon_nlp.pipe(texts, batch_size=batch_size)
                    if self.lexicon_nlp is not None else iter([None] * len(texts)))
        for text, ents, lexdoc in zip(texts, ner_iter, lex_iter, strict=True):
            yield self._merge(text, ents, lexdoc)

    def _merge(self, text: str, ents, lexdoc) -> list[Mention]:
        from extractors.nlp.ner import INTERNAL_LABELS

        lex = _lexicon_hits(lexdoc)
        out: dict[tuple[int, int, str], Mention] = {}
        by_type: dict[str, list[tuple[int, int]]] = {}
        for start, end, label in ents:
            if label in INTERNAL_LABELS:  # a gene family: not output, but no lexicon Gene there either
                by_type.setdefault(INTERNAL_LABELS[label], []).append((start, end))
                continue
            ident = lex.get(label, {}).get((start, end), text[start:end])
            out[(start, end, label)] = Mention(start, end, text[start:end], label, ident)
            by_type.setdefault(label, []).append((start, end))
        for typ, spans in lex.items():
            for (start, end), ident in spans.items():
                if (start, end, typ) not in out and not _overlaps((start, end), by_type.get(typ, [])):
                    out[(start, end, typ)] = Mention(start, end, text[start:end], typ, ident)
        if self.variant_fn is not None:
            for start, end, vtext, norm in self.variant_fn(text, natural_language=self.natural_language_variants):
                out[(start, end, "SequenceVariant")] = Mention(start, end, vtext, "SequenceVariant",
                                                               norm or vtext)
        return sorted(out.values(), key=lambda m: (m.start, m.end, m.type))


def annotate_docs(docs: Iterable[PubTatorDoc], annotator: MentionAnnotator,
                  batch_size: int = 64) -> Iterator[PubTatorDoc]:
    """Yield copies of ``docs`` whose ``mentions`` are the annotator's (input mentions dropped)."""
    buf: list[PubTatorDoc] = []

    def flush() -> Iterator[PubTatorDoc]:
        for d, ms in zip(buf, annotator.annotate([d.text for d in buf], batch_size), strict=True):
            yield PubTatorDoc(d.pmid, d.title, d.abstract, ms)

    for d in docs:
        buf.append(d)
        if len(buf) >= batch_size:
            yield from flush()
            buf = []
    if buf:
        yield from flush()


def annotate_pubtator(in_path: str | Path, out_path: str | Path, *, model: str = "bundled",
                      lexicons: bool = True, variants: bool = True, batch_size: int = 64,
                      natural_language_variants: bool = True, progress: Progress | None = None) -> int:
    """Annotate a PubTator file; return the number of documents written to ``out_path``.

    ``model``: ``bundled`` (default), an installed scispaCy package name, a
    pipeline path, or ``none``. Raises :class:`InputError` for an unreadable
    or malformed input (the output is not created then) and
    :class:`~schemas.errors.ModelNotInstalledError` for a missing model.
    """
    in_path, out_path = Path(in_path), Path(out_path)
    docs = list(iter_pubtator(in_path))  # validate the whole input before writing anything
    if in_path.resolve() == out_path.resolve():
        raise InputError(f"{in_path}: output would overwrite the input")
    annotator = MentionAnnotator(model, lexicons=lexicons, variants=variants, natural_language_variants=natural_language_variants)
    tmp = out_path.with_name(out_path.name + ".tmp")
    try:
        n = write_pubtator(_counted(annotate_docs(docs, annotator, batch_size), len(docs), progress), tmp)
        tmp.replace(out_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{out_path}: cannot write output ({exc.strerror or exc})") from exc
    return n


def _counted(docs: Iterator[PubTatorDoc], total: int, progress: Progress | None) -> Iterator[PubTatorDoc]:
    """Pass ``docs`` through, reporting ``progress("mentions", done, total)`` as they go."""
    for done, doc in enumerate(docs, 1):
        yield doc
        if progress:
            progress("mentions", done, total)
