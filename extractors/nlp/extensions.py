"""Every ``Doc._`` / ``Span._`` attribute the project's spaCy components use, registered in one place.

Components call :func:`register_extensions` from their constructors (the
factories' ``initialize`` point), so importing a module never changes spaCy's
global extension table; calling it again is a no-op.

``Span`` attributes set by the rulers are stored in ``doc.user_data`` under a
key richer than spaCy's default ``(start_char, end_char)``: two spans expanded
to the same token (``EML4`` and ``ALK`` in ``EML4-ALK``) keep their own values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spacy.tokens import Doc, Span

SPAN_RULER_ATTRS = ("norm_id", "ent_source", "char_start", "char_end")
"""Lexicon-ruler span attributes: normalized id, where the span came from, exact character offsets."""

SPAN_ATTRS: dict[str, Any] = {"variant": None}
"""Other span attributes and their defaults: ``variant`` (the ``VariantMention`` of a ``variants`` span)."""

DOC_ATTRS: dict[str, Any] = {
    "drug_mentions": None,
    "drug_class_mentions": None,
    "gene_mentions": None,
    "variants": None,
    "doc_id": "",
    "sections": None,
    "triples": None,
    "default_level": "review",
    "source": "file",
    "source_id": "",
}
"""Document attributes and their defaults: ruler and grammar results, the extraction context, the triples."""


def _span_key(span: Span, name: str) -> tuple[Any, ...]:
    return ("oncotriples._.", name, span.start_char, span.end_char, span.label, span.kb_id)


def _span_ext(name: str) -> tuple[Callable[[Span], Any], Callable[[Span, Any], None]]:
    def getter(span: Span) -> Any:
        return span.doc.user_data.get(_span_key(span, name))

    def setter(span: Span, value: Any) -> None:
        span.doc.user_data[_span_key(span, name)] = value

    return getter, setter


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per document and kept in ``doc.user_data``.

    spaCy rebuilds ``doc.text`` from every token on each access (a Python object per token);
    the components read it about ten times per document, which cost more than a tenth of the
    extraction time on long articles. Keyed by the token count, so a re-tokenized document
    (same text, other tokens) is simply read again.
    """
    key = ("oncotriples.text", len(doc))
    text = doc.user_data.get(key)
    if text is None:
        text = doc.user_data[key] = doc.text
    return text


def register_extensions() -> None:
    """Register the project's ``Doc`` / ``Span`` extensions (idempotent; existing ones are left alone)."""
    for name in SPAN_RULER_ATTRS:
        if not Span.has_extension(name):
            getter, setter = _span_ext(name)
            Span.set_extension(name, getter=getter, setter=setter)
    for name, default in SPAN_ATTRS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    for name, default in DOC_ATTRS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
