"""Ids and disease on triples: the disease lexicon's matching and guards, the sentence → paragraph →
document choice, the id fields of the ``oncotriples_identifiers`` component, and the bundled tables."""

from __future__ import annotations

import pytest

from extractors.nlp.datafiles import GeneIds, drug_id_table, gene_id_table
from extractors.nlp.disease import (
    DiseaseConcept,
    DiseaseContext,
    DiseaseEntry,
    DiseaseLexicon,
    load_disease_lexicon,
)
from extractors.nlp.identifiers import IdentifierAnnotator
from extractors.nlp.variants.mention import VariantMention
from schemas.models import Triple
from schemas.vocab import CURIE_RE, DISEASE_SOURCES

NSCLC = DiseaseConcept("MONDO:0005233", "non-small cell lung carcinoma", ("MONDO:0005233", "DOID:3908"))
HCC = DiseaseConcept("MONDO:0007256", "hepatocellular carcinoma", ("MONDO:0007256", "DOID:684"))
ATLL = DiseaseConcept("MONDO:0000001", "adult T-cell lymphoma", ("MONDO:0000001",))
BREAST = DiseaseConcept("MONDO:0007254", "breast cancer", ("MONDO:0007254", "DOID:1612"))


@pytest.fixture(scope="module")
def lexicon() -> DiseaseLexicon:
    return DiseaseLexicon(
        [
            DiseaseEntry(NSCLC, "non-small cell lung carcinoma", "label"),
            DiseaseEntry(NSCLC, "non-small cell lung cancer", "synonym"),
            DiseaseEntry(NSCLC, "NSCLC", "known_abbreviation"),
            DiseaseEntry(HCC, "hepatocellular carcinoma", "label"),
            DiseaseEntry(HCC, "HCC", "known_abbreviation"),
            DiseaseEntry(ATLL, "adult T-cell lymphoma", "label"),
            DiseaseEntry(ATLL, "ATLL", "abbreviation"),
            DiseaseEntry(BREAST, "breast cancer", "label"),
            DiseaseEntry(BREAST, "breast cancers", "label"),
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patients with non-small-cell lung cancer were enrolled.", [("non-small-cell lung cancer", "MONDO:0005233")]),
        ("Non-Small Cell Lung Carcinoma", [("Non-Small Cell Lung Carcinoma", "MONDO:0005233")]),  # names in any case
        ("EGFR-mutant NSCLC", [("NSCLC", "MONDO:0005233")]),
        ("in nsclc", []),  # abbreviations as written
        ("breast cancers", [("breast cancers", "MONDO:0007254")]),
        ("HCC827 and HCC-827 cells", []),  # cell lines, not hepatocellular carcinoma
        ("HCC patients", [("HCC", "MONDO:0007256")]),
        ("ATLL cells", []),  # a plain abbreviation needs its disease named in words
        ("adult T-cell lymphoma (ATLL); ATLL cells", [("adult T-cell lymphoma", "MONDO:0000001"), ("ATLL", "MONDO:0000001"), ("ATLL", "MONDO:0000001")]),
        ("cancer and tumours", []),
        ("the breast cancer gene and breast cancer protein", []),  # gene names, not the disease
    ],
)
def test_disease_scan(lexicon: DiseaseLexicon, text: str, expected: list[tuple[str, str]]) -> None:
    found = lexicon.scan(text)
    assert [(m.text, m.concept.disease_id) for m in found] == expected
    assert all(text[m.start : m.end] == m.text for m in found)


@pytest.mark.parametrize(
    ("text", "genes", "expected"),
    [
        ("adult T-cell lymphoma in adults", [], ["adult T-cell lymphoma"]),
        ("adult T-cell lymphoma in adults", [(0, 21)], []),  # inside a gene mention
        ("adult T-cell lymphoma in adults", [(22, 24)], ["adult T-cell lymphoma"]),  # a gene elsewhere
    ],
)
def test_disease_inside_a_gene_name(lexicon: DiseaseLexicon, text: str, genes: list[tuple[int, int]], expected: list[str]) -> None:
    assert [m.text for m in lexicon.scan(text, genes)] == expected


DOC = (
    "Breast cancer is mentioned once. NSCLC is the topic. NSCLC again. More NSCLC. Still NSCLC.\n\n"
    "Osimertinib in hepatocellular carcinoma (HCC). The T790M mutation confers resistance.\n\n"
    "First approved in breast cancer. The L858R mutation predicts response.\n\n"
    "A paragraph naming no disease at all."
)
"""NSCLC has 4 of 8 mentions: the document's dominant type."""


@pytest.mark.parametrize(
    ("sentence", "label", "source", "as_written"),
    [
        ("NSCLC is the topic.", "non-small cell lung carcinoma", "sentence", "NSCLC"),
        ("Breast cancer is mentioned once.", "breast cancer", "sentence", "Breast cancer"),
        ("The T790M mutation confers resistance.", "hepatocellular carcinoma", "paragraph", "hepatocellular carcinoma"),
        ("A paragraph naming no disease at all.", "non-small cell lung carcinoma", "document", "NSCLC"),  # the dominant type
        ("The L858R mutation predicts response.", "non-small cell lung carcinoma", "document", "NSCLC"),  # named once in passing: yields
    ],
)
def test_disease_choice(lexicon: DiseaseLexicon, sentence: str, label: str, source: str, as_written: str) -> None:
    ctx = DiseaseContext(DOC, lexicon.scan(DOC))
    start = DOC.index(sentence)
    found, how = ctx.choose(start, start + len(sentence))
    assert found is not None
    assert (found.concept.label, how, found.text) == (label, source, as_written)
    assert how in DISEASE_SOURCES


@pytest.mark.parametrize(
    ("text", "sections", "expected"),
    [
        ("NSCLC. NSCLC. HCC.\n\nNo disease here.", None, "MONDO:0005233"),  # 2 of 3 mentions
        ("NSCLC. HCC. breast cancer.\n\nNo disease here.", None, None),  # no type has half the mentions
        ("NSCLC. HCC.\n\nNo disease here.", None, "MONDO:0005233"),  # a tie at half: the first named
        ("HCC title\nNSCLC. NSCLC. NSCLC. breast cancer.\n\nNo disease here.", "title", "MONDO:0005233"),  # 3 of 2 + 3 + 1
        ("HCC title\nNSCLC. breast cancer.\n\nNo disease here.", "title", "MONDO:0007256"),  # the title counts twice: 2 of 4
        ("HCC title\nNSCLC. breast cancer.\n\nNo disease here.", "body", None),  # not a title: 1 of 3
    ],
)
def test_document_dominant_type(lexicon: DiseaseLexicon, text: str, sections: str | None, expected: str | None) -> None:
    cut = text.index("\n") + 1
    spans = [(0, cut, sections), (cut, len(text), "body")] if sections else None
    ctx = DiseaseContext(text, lexicon.scan(text), spans)
    start = text.index("No disease")
    found, how = ctx.choose(start, len(text))
    assert (found.concept.disease_id if found else None, how) == (expected, "document" if expected else "")


def test_paragraph_stops_at_the_section(lexicon: DiseaseLexicon) -> None:
    text = "Title on NSCLC\nBody about hepatocellular carcinoma and HCC. Next sentence."
    body = text.index("Body")
    ctx = DiseaseContext(text, lexicon.scan(text), [(0, body, "title"), (body, len(text), "body")])
    start = text.index("Next")
    found, how = ctx.choose(start, len(text))
    assert found is not None and (found.concept.disease_id, how) == ("MONDO:0007256", "paragraph")


def test_no_disease_anywhere(lexicon: DiseaseLexicon) -> None:
    ctx = DiseaseContext("No tumour type here.", [])
    assert ctx.choose(0, 20) == (None, "")


def _triple(**kw: object) -> Triple:
    base: dict[str, object] = {"doc_id": "d", "evidence": "e", "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "T790M", "outcome": "resistance"}
    return Triple.model_validate({**base, **kw})


@pytest.fixture(scope="module")
def annotator(lexicon: DiseaseLexicon) -> IdentifierAnnotator:
    return IdentifierAnnotator(
        drug_ids={"osimertinib": ("CHEBI:90943", "MESH:C000596361"), "savolitinib": ("CHEBI:1",)},
        gene_ids={"EGFR": GeneIds("HGNC:3236", "1956"), "PTPN11": GeneIds("HGNC:9644", "5781")},
        diseases=lexicon,
    )


NEW_FIELDS = {"drug_ids", "hgnc_id", "ncbi_gene_id", "dbsnp_id", "disease", "disease_ids", "disease_text", "disease_source"}
SENT = "EGFR T790M (rs121434569) confers resistance to osimertinib in NSCLC."


def _variants(text: str) -> list[VariantMention]:
    i = text.index("T790M")
    r = text.index("rs121434569")
    return [VariantMention(i, i + 5, "T790M", "T790M", "substitution", "sub", hgvs="p.Thr790Met"), VariantMention(r, r + 11, "rs121434569", "rs121434569", "snp_id", "snp_id")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, {"drug_ids": [["CHEBI:90943", "MESH:C000596361"]], "hgnc_id": "HGNC:3236", "ncbi_gene_id": "1956", "dbsnp_id": "rs121434569"}),
        ({"drugs": ["osimertinib", "savolitinib", "TNO155"]}, {"drug_ids": [["CHEBI:90943", "MESH:C000596361"], ["CHEBI:1"], []]}),  # one entry per drug
        ({"drugs": ["EGFR-TKI"], "drug_class": True}, {"drug_ids": [[]]}),
        ({"gene": "SHP2", "alteration": "mutation"}, {"hgnc_id": "HGNC:9644", "ncbi_gene_id": "5781", "dbsnp_id": ""}),  # literature symbol → PTPN11
        ({"gene": "NOTAGENE"}, {"hgnc_id": "", "ncbi_gene_id": ""}),
        ({"alteration": "rs121434569", "alteration_type": "snp_id"}, {"dbsnp_id": "rs121434569"}),
        ({"alteration": "C797S"}, {"dbsnp_id": ""}),  # the rs id is stated for another variant
    ],
)
def test_annotate_ids(annotator: IdentifierAnnotator, fields: dict[str, object], expected: dict[str, object]) -> None:
    t = _triple(sentence_start=0, sentence_end=len(SENT), **fields)
    ctx = DiseaseContext(SENT, annotator.diseases.scan(SENT))
    out = annotator.annotate(t, ctx, _variants(SENT))
    for k, v in expected.items():
        assert getattr(out, k) == v, k
    assert (out.disease, out.disease_ids, out.disease_text, out.disease_source) == (
        "non-small cell lung carcinoma", ["MONDO:0005233", "DOID:3908"], "NSCLC", "sentence")
    assert out.model_dump(exclude=NEW_FIELDS) == t.model_dump(exclude=NEW_FIELDS)  # nothing else changes


def test_rs_far_from_the_variant_is_not_taken(annotator: IdentifierAnnotator) -> None:
    text = "EGFR T790M confers resistance to osimertinib in a large series of NSCLC patients; separately, rs121434569 was genotyped."
    ctx = DiseaseContext(text, annotator.diseases.scan(text))
    out = annotator.annotate(_triple(sentence_start=0, sentence_end=len(text)), ctx, _variants(text))
    assert out.dbsnp_id == ""


# ------------------------------------------------------------------ the bundled tables


@pytest.mark.parametrize(
    ("text", "disease_id", "doid"),
    [
        ("non-small cell lung cancer", "MONDO:0005233", "DOID:3908"),
        ("NSCLC", "MONDO:0005233", "DOID:3908"),
        ("GIST", "MONDO:0011719", "DOID:9253"),
        ("lung adenocarcinomas", "MONDO:0005061", "DOID:3910"),
        ("malignant melanoma", "MONDO:0005105", "DOID:1909"),
        ("colorectal carcinoma", "MONDO:0024331", "DOID:0080199"),
    ],
)
def test_bundled_disease_lexicon(text: str, disease_id: str, doid: str) -> None:
    found = load_disease_lexicon().scan(text)
    assert [(m.concept.disease_id, m.text) for m in found] == [(disease_id, text)]
    assert doid in found[0].concept.ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CRC patients", []),  # three capitals: also initials (CML is a consultant)
        ("colorectal cancer (CRC); CRC patients", ["colorectal cancer", "CRC", "CRC"]),
        ("chronic myeloid leukemia (CML)", ["chronic myeloid leukemia", "CML"]),
        ("CML is a consultant", []),
    ],
)
def test_bundled_three_letter_abbreviations_need_the_disease_in_words(text: str, expected: list[str]) -> None:
    found = load_disease_lexicon().scan(text)
    assert [m.text for m in found] == expected
    assert len({m.concept.disease_id for m in found}) <= 1


@pytest.mark.parametrize("text", ["ALL patients", "cancer", "solid tumors", "BRCA mutation carriers", "the OS was", "a tumour mass", "anaplastic lymphoma kinase (ALK)"])
def test_bundled_disease_lexicon_guards(text: str) -> None:
    assert load_disease_lexicon().scan(text) == []


@pytest.mark.parametrize(
    ("drug", "ids"),
    [
        ("osimertinib", {"CHEBI:90943", "CHEMBL:CHEMBL3353410", "MESH:C000596361"}),
        ("gefitinib", {"CHEBI:49668", "MESH:D000077156", "NCIT:C1855"}),
        ("crizotinib", {"CHEBI:64310", "MESH:D000077547"}),
    ],
)
def test_bundled_drug_ids(drug: str, ids: set[str]) -> None:
    got = set(drug_id_table()[drug])
    assert ids <= got
    assert all(CURIE_RE.match(i) for i in got)


@pytest.mark.parametrize(("symbol", "hgnc", "ncbi"), [("EGFR", "HGNC:3236", "1956"), ("ALK", "HGNC:427", "238"), ("MET", "HGNC:7029", "4233")])
def test_bundled_gene_ids(symbol: str, hgnc: str, ncbi: str) -> None:
    assert gene_id_table()[symbol] == GeneIds(hgnc, ncbi)


def test_pipeline_adds_ids_and_disease(nlp_rules) -> None:
    from pipeline.stages.extract import extract_document
    from schemas.models import Document

    text = "Acquired resistance to osimertinib in EGFR-mutant NSCLC is mediated by MET amplification.\n\nOther text follows."
    triples = extract_document(nlp_rules, Document(doc_id="t", text=text))
    assert triples, "no triple extracted"
    t = triples[0]
    assert t.drugs == ["osimertinib"] and "CHEBI:90943" in t.drug_ids[0]
    assert len(t.drug_ids) == len(t.drugs)
    assert (t.hgnc_id, t.ncbi_gene_id) == ("HGNC:7029", "4233")
    assert (t.disease_ids[0], t.disease_text, t.disease_source) == ("MONDO:0005233", "NSCLC", "sentence")
    assert "oncotriples_identifiers" == nlp_rules.pipe_names[-1]
