"""The bundled NER inside the host pipeline: sourced components, one Doc, unchanged entities."""

from __future__ import annotations

import pytest
import spacy
from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers "abbreviation_detector")

import extractors.nlp.ner as ner
from extractors.nlp.tokenizer import make_tokenizer_nlp
from schemas.errors import ConfigError

TEXTS = [
    "Gefitinib and cisplatin inhibit EGFR signalling in lung cancer patients.",
    # a short form defined after a tagged long form, used again later
    "Valproic acid (VPA) was given with nimodipine (NIMO). VPA levels rose; NIMO was stopped.",
    # document consistency: a name found once is tagged wherever it occurs
    "ALK rearrangements respond to alectinib. Resistance to alectinib arises through ALK G1202R.",
    # two sentences: an entity-crossing check for the sentence starts of the host pipeline
    "Patients received 5-FU. 5-FU and oxaliplatin (FOLFOX) were compared with FOLFOX plus bevacizumab.",
    "",
]


@pytest.fixture(scope="module")
def own_model():
    return ner.load_ner_model("bundled")


def _host(*, abbreviations: bool):
    nlp = make_tokenizer_nlp()
    nlp.add_pipe("sentencizer")  # sentence starts before the NER's place, as in build_nlp
    if abbreviations:
        nlp.add_pipe("abbreviation_detector")
    ner.add_ner(nlp, "bundled")
    return nlp


def _entities(doc):
    return [(s.start_char, s.end_char, s.label_) for s in doc.spans["ner"]]


@pytest.mark.parametrize("abbreviations", [True, False])
def test_sourced_components_give_the_entities_of_the_model_on_its_own_tokens(own_model, abbreviations):
    nlp = _host(abbreviations=abbreviations)
    assert nlp.pipe_names[:4] == ["ner_chem", "ner_chem_predictions", "ner_gene", "ner_gene_predictions"]
    assert nlp.get_pipe("oncotriples_ner").sourced == ["ner_chem", "ner_gene"]
    for text, doc in zip(TEXTS, nlp.pipe(TEXTS), strict=True):
        (expected,) = list(own_model.entities([text]))
        assert _entities(doc) == expected, text
        assert set(doc.spans) == {"ner"}  # the per-component predictions are consumed
        assert not doc.ents and all(t.ent_iob == 0 for t in doc)  # doc.ents left unset
        assert all(s._.ent_source == "model" for s in doc.spans["ner"])


def test_pipeline_abbreviation_pass_is_reused(monkeypatch):
    nlp = _host(abbreviations=True)
    comp = nlp.get_pipe("oncotriples_ner")

    def second_pass(_doc):
        raise AssertionError("abbreviations detected a second time")

    monkeypatch.setattr(comp.model, "_detect_abbreviations", second_pass)
    doc = nlp(TEXTS[1])
    assert ("VPA", "Chemical") in {(s.text, s.label_) for s in doc.spans["ner"]}


def test_one_tokenization_per_document(monkeypatch, own_model):
    nlp = _host(abbreviations=True)
    calls = []
    monkeypatch.setattr(own_model.nlp, "make_doc", lambda text: calls.append(text))
    list(nlp.pipe(TEXTS))
    assert calls == []  # the model's own tokenizer is never run


@pytest.mark.parametrize(("make_host", "shared"), [
    (make_tokenizer_nlp, True),
    (lambda: spacy.blank("en"), False),  # spaCy's tokenizer, not the model's
    (lambda: spacy.blank("de"), False),
])
def test_can_share_doc(own_model, make_host, shared):
    assert ner.can_share_doc(make_host(), own_model) is shared


def test_host_with_vectors_of_its_own_keeps_them(own_model):
    import numpy

    nlp = make_tokenizer_nlp()
    nlp.vocab.set_vector("cisplatin", numpy.ones(3, dtype="float32"))
    assert not ner.can_share_doc(nlp, own_model)
    ner.add_ner(nlp, "bundled")
    assert nlp.pipe_names == ["oncotriples_ner"]  # runs the model on its own tokenization
    assert nlp.vocab.get_vector("cisplatin").tolist() == [1.0, 1.0, 1.0]
    (expected,) = list(own_model.entities([TEXTS[0]]))
    assert _entities(nlp(TEXTS[0])) == expected


def test_finishing_component_alone_names_the_missing_predictions():
    nlp = _host(abbreviations=False)
    with pytest.raises(ConfigError, match="ner_chem"):
        nlp.get_pipe("oncotriples_ner")(nlp.make_doc(TEXTS[0]))


def test_duplicate_component_name_is_refused_before_anything_is_added():
    nlp = make_tokenizer_nlp()
    ner.add_ner(nlp, "none")
    with pytest.raises(ConfigError, match="oncotriples_ner"):
        ner.add_ner(nlp, "bundled")
    assert nlp.pipe_names == ["oncotriples_ner"]


@pytest.mark.parametrize("order", [0, 1])
def test_short_form_label_comes_from_the_longest_entity_ending_at_the_long_form(order):
    """Two entities end where the long form ends: the longer one gives the label, whatever the
    order the set holds them in."""
    nlp = spacy.blank("en")
    nlp.add_pipe("abbreviation_detector")
    text = "We studied non-small cell lung cancer (NSCLC) here; NSCLC again."
    doc = nlp(text)
    long_start, end = text.index("non-small"), text.index(" (NSCLC)")
    ents = [(long_start, end, "Disease"), (text.index("cancer"), end, "Chemical")]
    ents = set(ents if order == 0 else ents[::-1])
    out = ner._short_form_entities(doc, ents)
    second = text.rindex("NSCLC")
    assert (second, second + 5, "Disease") in out and (second, second + 5, "Chemical") not in out
