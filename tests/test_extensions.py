"""spaCy extensions: registered by the components, in one place, never by importing a module."""

from __future__ import annotations

import json
import subprocess
import sys

import spacy
from spacy.tokens import Doc, Span

from extractors.nlp.extensions import DOC_ATTRS, SPAN_ATTRS, SPAN_RULER_ATTRS, register_extensions

_REPORT_REGISTERED = (
    "import json\n"
    "from spacy.tokens import Doc, Span\n"
    "from extractors.nlp.extensions import DOC_ATTRS, SPAN_ATTRS, SPAN_RULER_ATTRS\n"
    "print(json.dumps(sorted(n for n in DOC_ATTRS if Doc.has_extension(n)) + "
    "sorted(n for n in [*SPAN_ATTRS, *SPAN_RULER_ATTRS] if Span.has_extension(n))))\n"
)
ALL_ATTRS = sorted(DOC_ATTRS) + sorted([*SPAN_ATTRS, *SPAN_RULER_ATTRS])


def registered_after(setup: str) -> list[str]:
    """The extensions registered once ``setup`` has run in a fresh interpreter (registration is process-wide)."""
    code = setup + "\n" + _REPORT_REGISTERED
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_importing_the_components_registers_nothing() -> None:
    setup = (
        "import extractors.nlp.build, extractors.nlp.lexicons, extractors.nlp.ner, extractors.nlp.triples, "
        "extractors.nlp.variants"
    )
    assert registered_after(setup) == []


def test_building_the_pipeline_registers_every_extension() -> None:
    assert registered_after("from extractors.nlp.build import build_nlp\nbuild_nlp('none')") == ALL_ATTRS


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


def test_doc_text_is_built_once_and_follows_a_retokenized_doc():
    import spacy

    from extractors.nlp.extensions import doc_text

    nlp = spacy.blank("en")
    doc = nlp("EGFR T790M confers resistance to gefitinib.")
    n_tokens = len(doc)
    assert doc_text(doc) == doc.text
    assert doc_text(doc) is doc_text(doc)  # the cached string, not a rebuilt one
    with doc.retokenize() as retok:
        retok.merge(doc[0:2])
    assert len(doc) == n_tokens - 1
    assert doc_text(doc) == doc.text == "EGFR T790M confers resistance to gefitinib."
