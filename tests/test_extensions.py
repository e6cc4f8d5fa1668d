"""spaCy extensions: registered by the components, in one place, never by importing a module."""

from __future__ import annotations

import subprocess
import sys

import spacy
from spacy.tokens import Doc, Span

from extractors.nlp.extensions import DOC_ATTRS, SPAN_ATTRS, SPAN_RULER_ATTRS, register_extensions


def test_importing_the_components_registers_nothing() -> None:
    code = (
        "import extractors.nlp.build, extractors.nlp.lexicons, extractors.nlp.ner, extractors.nlp.triples, "
        "extractors.nlp.variants\n"
        "from spacy.tokens import Doc, Span\n"
        "from extractors.nlp.extensions import DOC_ATTRS, SPAN_ATTRS, SPAN_RULER_ATTRS\n"
        "print(sorted(n for n in DOC_ATTRS if Doc.has_extension(n)) + "
        "sorted(n for n in [*SPAN_ATTRS, *SPAN_RULER_ATTRS] if Span.has_extension(n)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_building_the_pipeline_registers_every_extension() -> None:
    code = (
        "from extractors.nlp.build import build_nlp\n"
        "from spacy.tokens import Doc, Span\n"
        "from extractors.nlp.extensions import DOC_ATTRS, SPAN_ATTRS, SPAN_RULER_ATTRS\n"
        "build_nlp('none')\n"
        "print(all(Doc.has_extension(n) for n in DOC_ATTRS) and "
        "all(Span.has_extension(n) for n in [*SPAN_ATTRS, *SPAN_RULER_ATTRS]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_register_is_idempotent_and_keeps_values_per_span() -> None:
    register_extensions()
    register_extensions()
    assert all(Doc.has_extension(n) for n in DOC_ATTRS)
    assert all(Span.has_extension(n) for n in [*SPAN_ATTRS, *SPAN_RULER_ATTRS])
    doc = spacy.blank("en")("EML4-ALK fusion")
    a = Span(doc, 0, 1, label="GENE", kb_id="EML4")
    b = Span(doc, 0, 1, label="GENE", kb_id="ALK")
    a._.norm_id, b._.norm_id = "EML4", "ALK"  # same token, two genes: values do not collide
    assert (a._.norm_id, b._.norm_id) == ("EML4", "ALK")
    assert doc._.default_level == "review" and doc._.source == "file"
