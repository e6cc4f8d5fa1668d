"""NER model loading: bundled model, installed-model label mapping, missing-model error."""

from __future__ import annotations

import pytest
import spacy
import typer
from typer.testing import CliRunner

import extractors.nlp.ner as ner
from extractors.nlp.extensions import register_extensions
from schemas.errors import ModelNotInstalledError
from schemas.resources import data_path

TEXT = "Gefitinib and cisplatin inhibit EGFR signalling in lung cancer patients."


def _ruler_pipeline():
    """A tiny pipeline standing in for an installed scispaCy model (labels as scispaCy names them)."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([
        {"label": "CHEMICAL", "pattern": "Gefitinib"},
        {"label": "SIMPLE_CHEMICAL", "pattern": "cisplatin"},
        {"label": "GENE_OR_GENE_PRODUCT", "pattern": "EGFR"},
        {"label": "DISEASE", "pattern": [{"LOWER": "lung"}, {"LOWER": "cancer"}]},
        {"label": "ENTITY", "pattern": "patients"},
    ])
    return nlp


def test_bundled_model_loads_from_data():
    assert (data_path("ner", "model") / "config.cfg").is_file()
    model = ner.load_ner_model("bundled")
    assert model is not None
    assert {"Chemical", "Gene"} <= set(model.labels)
    assert model.ner_names == ["ner_chem", "ner_gene"]
    assert ner.bundled_model_version()


def test_add_ner_writes_span_group_with_source():
    nlp = spacy.blank("en")
    ner.add_ner(nlp, "bundled")
    ner.add_ner(nlp, "none", name="ner_none", spans_key="nothing")
    register_extensions()  # idempotent
    doc = nlp(TEXT)
    spans = list(doc.spans["ner"])
    assert spans, "bundled model found nothing in an easy sentence"
    assert {s.label_ for s in spans} <= {"Chemical", "Gene", "Disease"}
    assert all(s._.ent_source == "model" for s in spans)
    assert ("cisplatin", "Chemical") in {(s.text, s.label_) for s in spans}
    assert list(doc.spans["nothing"]) == []
    assert not doc.ents  # doc.ents left alone


def test_installed_model_labels_are_mapped(monkeypatch, tmp_path):
    fake = _ruler_pipeline()
    ner.load_ner_model.cache_clear()
    monkeypatch.setattr(spacy.util, "is_package", lambda name: name == "en_ner_bc5cdr_md")
    real_load = spacy.load
    monkeypatch.setattr(spacy, "load", lambda name, *a, **k: fake if name == "en_ner_bc5cdr_md" else real_load(name, *a, **k))
    try:
        model = ner.load_ner_model("en_ner_bc5cdr_md")
        (ents,) = list(model.entities([TEXT]))
    finally:
        ner.load_ner_model.cache_clear()
    got = {(TEXT[s:e], lab) for s, e, lab in ents}
    assert got == {("Gefitinib", "Chemical"), ("cisplatin", "Chemical"), ("EGFR", "Gene"),
                   ("lung cancer", "Disease")}  # ENTITY (en_core_sci_*) dropped


def test_pipeline_path_is_accepted(tmp_path):
    _ruler_pipeline().to_disk(tmp_path / "m")
    model = ner.load_ner_model(str(tmp_path / "m"))
    (ents,) = list(model.entities([TEXT]))
    assert ("EGFR", "Gene") in {(TEXT[s:e], lab) for s, e, lab in ents}


def test_missing_installed_model_names_install_command():
    name = "en_ner_bc5cdr_md"
    if spacy.util.is_package(name):  # a user machine with the official model
        return
    url = "https://s3-us-west-2.amazonaws.com/ai2-s2-scispacy/releases/v0.5.4/en_ner_bc5cdr_md-0.5.4.tar.gz"
    try:
        ner.load_ner_model(name)
    except ModelNotInstalledError as exc:
        assert f"pip install {url}" in str(exc)
    else:
        raise AssertionError("expected ModelNotInstalledError")
    try:
        ner.add_ner(spacy.blank("en"), "en_no_such_model")
    except ModelNotInstalledError as exc:
        assert "pip install en_no_such_model" in str(exc)
    else:
        raise AssertionError("expected ModelNotInstalledError")


def test_none_model_is_no_model():
    assert ner.load_ner_model("none") is None


def test_cli_missing_model_exit_1(tmp_path):
    from pipeline.cli.mentions import register

    app = typer.Typer()
    register(app)
    src = tmp_path / "in.PubTator"
    src.write_text("1|t|Cisplatin toxicity.\n1|a|Cisplatin was given.\n\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["mentions", str(src), "--out", str(tmp_path / "o"), "--model", "en_ner_bc5cdr_md"])
    if spacy.util.is_package("en_ner_bc5cdr_md"):
        return
    assert res.exit_code == 1  # a missing model is a setup error (schemas.exit_codes.ExitCode.ERROR)
    assert "pip install https://s3-us-west-2.amazonaws.com/ai2-s2-scispacy/releases/v0.5.4/" in res.output


def test_clean_span_trims_glued_punctuation():
    text = "(+)Ly6G cells; NPR1- mice; cytochrome P450 (CYP) and Ca(2+ influx"
    s = text.index("+)Ly6G")
    assert ner._clean_span(text, s, s + len("+)Ly6G")) == (s + 2, s + 6)
    s = text.index("NPR1-")
    assert ner._clean_span(text, s, s + 5) == (s, s + 4)
    s = text.index("cytochrome P450 (")
    assert text[slice(*ner._clean_span(text, s, s + len("cytochrome P450 (")))] == "cytochrome P450"
    s = text.index("Ca(2+")
    assert ner._clean_span(text, s, s + 5) is None  # unbalanced bracket: dropped


def test_short_forms_of_tagged_long_forms():
    text = ("Nimodipine (NIMO) reversed nitroglycerin (NTG)-induced hypotension; testosterone (T) fell. "
            "NIMO and NTG were given; T levels and T-cells; NIMO again.")
    doc = spacy.blank("en").make_doc(text)
    nimo2 = text.index("NIMO and")
    ents = {(0, 10, "Chemical"), (27, 40, "Chemical"), (text.index("testosterone"),
            text.index("testosterone") + 12, "Chemical"), (nimo2, nimo2 + 4, "Disease")}
    out = ner._short_form_entities(doc, ents)
    got = sorted((text[s:e], lab) for s, e, lab in out)
    assert got.count(("NIMO", "Chemical")) == 3 and ("NIMO", "Disease") not in got
    assert got.count(("NTG", "Chemical")) == 2  # glued "(NTG)-induced" definition too
    assert got.count(("T", "Chemical")) == 2  # "(T)" and "T levels", not "T-cells"


def test_chemical_span_conventions():
    text = "[3H]spiperone binding and bupropion HCl tablets"
    assert ner._chemical_span(text, 0, 13) == (4, 13)
    s = text.index("bupropion")
    assert text[slice(*ner._chemical_span(text, s, s + 9))] == "bupropion HCl"


def test_vectors_text_excludes_dev_and_heldout_documents(tmp_path):
    """The floret vectors text must not contain any dev / held-out document (not even unlabeled)."""
    from pipeline.training.ner import CORPUS_FILES, dev_pmids, unlabeled_texts

    def doc(pmid, text):
        return f"{pmid}|t|{text}\n{pmid}|a|abstract {pmid}\n\n"

    files = {
        "bc5cdr_train": ["1", "2"], "bc5cdr_dev": ["3"], "biored_train": ["4", "3"],
        "biored_dev": ["5"], "gnormplus": [str(p) for p in range(100, 110)],
        "nlmgene": [str(p) for p in range(200, 210)],
    }
    for key, pmids in files.items():
        path = tmp_path / CORPUS_FILES[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(doc(p, f"title {p}") for p in pmids))
    tm = tmp_path / "tmVar1" / "train.PubTator.txt"
    tm.parent.mkdir(parents=True)
    tm.write_text(doc("5", "biored dev again") + doc("6", "tmvar only"))
    tm3 = tmp_path / CORPUS_FILES["tmvar3"]
    tm3.parent.mkdir(parents=True)
    tm3.write_text(doc("3", "bc5cdr dev again") + doc("8", "tmvar3 only"))
    seth = tmp_path / "SETH" / "corpus.txt"
    seth.parent.mkdir(parents=True)
    seth.write_text("109\theld-out gene doc\n7\tseth only\n")
    dev = dev_pmids(tmp_path)
    assert dev == {"3", "5", "109", "209"}  # BC5CDR dev, BioRED dev, every 10th GNormPlus/NLM-Gene doc
    texts = unlabeled_texts(tmp_path)
    assert not set(texts) & dev
    assert {"1", "2", "4", "6", "7", "8", "100", "200"} <= set(texts)


TOKENIZER_CASES = [
    pytest.param("methamphetamine (METH)-induced toxicity", ["methamphetamine", "(", "METH", ")", "-", "induced", "toxicity"], id="abbreviation-glued-to-hyphen"),
    pytest.param("pilocarpine- and kainic acid-induced", ["pilocarpine", "-", "and", "kainic", "acid", "-", "induced"], id="coordination-hyphen"),
    pytest.param("heavy MDMA+ users; serum K+", ["heavy", "MDMA", "+", "users", ";", "serum", "K", "+"], id="charge-sign"),
    pytest.param("with AmB. Potassium", ["with", "AmB", ".", "Potassium"], id="period-after-mixed-case"),
    pytest.param("CD11b(+)Ly6G(+) cells", ["CD11b", "(", "+)", "Ly6G", "(", "+", ")", "cells"], id="sign-bracket-glued"),
    pytest.param("carbamazepine-induced Li/DVP", ["carbamazepine", "-", "induced", "Li", "/", "DVP"], id="hyphen-slash"),
    pytest.param("[125I]MIBG and Bak(-/-) mice", ["[125I]", "MIBG", "and", "Bak", "(", "-/-", ")", "mice"], id="radiolabel-knockout"),
    pytest.param("(+)-catechin; Dr. Smith; U.S. patients", ["(+)", "-", "catechin", ";", "Dr.", "Smith", ";", "U.S.", "patients"], id="kept"),
]


@pytest.mark.parametrize(("text", "tokens"), TOKENIZER_CASES)
def test_project_tokenizer(text, tokens):
    from extractors.nlp.tokenizer import make_tokenizer_nlp

    assert [t.text for t in make_tokenizer_nlp().make_doc(text)] == tokens


def test_bundled_model_ships_the_project_tokenizer():
    """The serialized tokenizer in data/ner/model tokenizes exactly like the training tokenizer."""
    from extractors.nlp.tokenizer import make_tokenizer_nlp

    bundled = spacy.load(data_path("ner", "model"), exclude=["ner_chem", "ner_gene"])
    text = " ".join(p.values[0] for p in TOKENIZER_CASES)
    assert [t.text for t in bundled.make_doc(text)] == [t.text for t in make_tokenizer_nlp().make_doc(text)]


def test_family_surfaces_and_family_like_marking():
    """Texts the family-annotating corpora call FamilyName more often than Gene become
    FamilyLike (missing in training) in corpora whose gene label covers families."""
    from extractors.text.pubtator import Mention, PubTatorDoc
    from pipeline.training.ner import FAMILY_LIKE, family_surfaces, mark_family_like

    gn = PubTatorDoc("1", "MAPKs and BMP signalling via  ERK2", "", [
        Mention(0, 5, "MAPKs", "FamilyName"), Mention(10, 13, "BMP", "FamilyName"),
        Mention(30, 34, "ERK2", "Gene")])
    gn2 = PubTatorDoc("2", "BMP and bmp", "", [Mention(0, 3, "BMP", "Gene"), Mention(8, 11, "bmp", "Gene")])
    fams = family_surfaces([gn, gn2])
    assert fams == {"mapks"}  # BMP: family once, gene twice -> not a family surface
    bi = PubTatorDoc("9", "Mapks activate ERK2", "", [
        Mention(0, 5, "Mapks", "GeneOrGeneProduct"), Mention(15, 19, "ERK2", "GeneOrGeneProduct")])
    marked = mark_family_like(bi, fams)
    assert [m.type for m in marked.mentions] == [FAMILY_LIKE, "GeneOrGeneProduct"]
    assert [m.type for m in bi.mentions] == ["GeneOrGeneProduct", "GeneOrGeneProduct"]  # a copy


def test_family_labels_train_as_their_own_label_and_family_like_as_missing():
    from extractors.nlp.tokenizer import make_tokenizer_nlp
    from extractors.text.pubtator import Mention, PubTatorDoc
    from pipeline.training.ner import FAMILY_LIKE, GENE_FAMILY_MAP, AlignStats, to_spacy_docs

    d = PubTatorDoc("1", "MAPKs activate ERK2 and Notch", "", [
        Mention(0, 5, "MAPKs", "FamilyName"), Mention(15, 19, "ERK2", "Gene"),
        Mention(24, 29, "Notch", FAMILY_LIKE)])
    (doc,) = to_spacy_docs(make_tokenizer_nlp(), [d], GENE_FAMILY_MAP, AlignStats(),
                           frozenset({FAMILY_LIKE}))
    assert [(e.text, e.label_) for e in doc.ents] == [("MAPKs", "GeneFamily"), ("ERK2", "Gene")]
    assert [t.ent_iob_ for t in doc] == ["B", "O", "B", "O", ""]  # Notch: missing, not O


def _family_model(tmp_path):
    """A pipeline whose 'ner' tags Notch as GeneFamily and NOTCH1 as Gene (bundled-model labels)."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([{"label": "GeneFamily", "pattern": "Notch"},
                        {"label": "Gene", "pattern": "NOTCH1"}])
    nlp.to_disk(tmp_path / "fam")
    return ner.load_ner_model(str(tmp_path / "fam"))


def test_gene_family_label_is_never_output(tmp_path):
    model = _family_model(tmp_path)
    text = "Notch receptors such as NOTCH1; Notch again."
    (ents,) = list(model.entities([text]))
    assert [(text[s:e], lab) for s, e, lab in ents] == [("NOTCH1", "Gene")]


def test_gene_family_takes_part_in_document_consistency():
    """A family tag propagates like any label (so the first reading of a surface wins) and the
    place it takes is never re-tagged Gene."""
    text = "Notch signalling; Notch; Notch"
    doc = spacy.blank("en").make_doc(text)
    out = ner._propagate(doc, {(0, 5, "GeneFamily"), (18, 23, "Gene")})
    assert (25, 30, "GeneFamily") in out and (25, 30, "Gene") not in out
    assert "GeneFamily" in ner.INTERNAL_LABELS and "GeneFamily" not in ner.LABEL_MAP


def test_family_lexicon_reads_a_gene_prediction_as_a_family(tmp_path):
    """A Gene prediction whose text the model folder's gene_families.txt lists is not output."""
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler", name="ner").add_patterns(
        [{"label": "Gene", "pattern": "MAPKs"}, {"label": "Gene", "pattern": "ERK2"}])
    nlp.to_disk(tmp_path / "m")
    text = "MAPKs such as ERK2"
    (before,) = list(ner.load_ner_model(str(tmp_path / "m")).entities([text]))
    assert [text[s:e] for s, e, _ in before] == ["MAPKs", "ERK2"]
    (tmp_path / "m" / ner.FAMILY_LEXICON).write_text("# comment\nmapks\n", encoding="utf-8")
    ner.load_ner_model.cache_clear()
    model = ner.load_ner_model(str(tmp_path / "m"))
    assert model.families == {"mapks"}
    (after,) = list(model.entities([text]))
    assert [text[s:e] for s, e, _ in after] == ["ERK2"]
    (kept,) = list(model.entities([text], keep_internal=True))
    assert (0, 5, "GeneFamily") in kept


def test_mentions_merge_keeps_lexicon_genes_off_families(monkeypatch):
    import pipeline.stages.mentions as mentions

    monkeypatch.setattr(mentions, "_lexicon_hits", lambda _doc: {"Chemical": {}, "Gene": {(0, 5): "NOTCH1"}})
    ann = object.__new__(mentions.MentionAnnotator)
    ann.variant_fn = None
    text = "Notch signalling"
    assert [(m.text, m.type) for m in ann._merge(text, [], None)] == [("Notch", "Gene")]
    assert ann._merge(text, [(0, 5, "GeneFamily")], None) == []


def test_shipped_family_lexicon_is_the_one_training_used(shared_dir):
    """gene_families.txt lists exactly the family surfaces of the documents the gene
    component trained on (not, e.g., of uncleaned train parts that include dev PMIDs)."""
    from pipeline.training.ner import build_splits, family_surfaces, family_train_docs

    corpora = shared_dir / "corpora"
    docs = family_train_docs(corpora)
    dev_pmids = {d.pmid for d in build_splits(corpora)["gene"]["dev"]}
    assert docs and not {d.pmid for d in docs} & dev_pmids
    shipped = ner.read_family_lexicon(data_path("ner", "model"))
    assert shipped == family_surfaces(docs) and len(shipped) > 500
