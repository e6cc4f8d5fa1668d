"""Drug, drug-class and gene lexicons and their spaCy rulers."""

from __future__ import annotations

import csv

import pytest
import spacy

from extractors.nlp import lexicons as L
from extractors.nlp.datafiles import gene_stoplist
from extractors.nlp.extensions import register_extensions
from extractors.nlp.tokenizer import make_tokenizer_nlp
from schemas.resources import data_path
from schemas.versions import DRUG_LEXICON_VERSION, GENE_LEXICON_VERSION


@pytest.fixture(scope="module")
def drugs() -> L.DrugLexicon:
    return L.load_drug_lexicon()


@pytest.fixture(scope="module")
def classes() -> L.DrugClassLexicon:
    return L.load_drug_class_lexicon()


@pytest.fixture(scope="module")
def genes() -> L.GeneLexicon:
    return L.load_gene_lexicon()


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    nlp = make_tokenizer_nlp()
    nlp.add_pipe("oncotriples_drug_ruler")
    nlp.add_pipe("oncotriples_gene_ruler")
    return nlp


# ------------------------------------------------------------------ lookups


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("AZD9291", "osimertinib", id="code-azd9291"),
        pytest.param("AZD-9291", "osimertinib", id="code-hyphen-variant"),
        pytest.param("azd 9291", "osimertinib", id="code-space-lowercase"),
        pytest.param("Tagrisso", "osimertinib", id="brand-tagrisso"),
        pytest.param("almonertinib", "aumolertinib", id="alias-almonertinib"),
        pytest.param("ABBV-399", "telisotuzumab vedotin", id="code-abbv399"),
        pytest.param("Teliso-V", "telisotuzumab vedotin", id="abbrev-teliso-v"),
        pytest.param("T-DXd", "trastuzumab deruxtecan", id="abbrev-tdxd"),
        pytest.param("DS-8201a", "trastuzumab deruxtecan", id="code-ds8201a"),
        pytest.param("Dato-DXd", "datopotamab deruxtecan", id="abbrev-dato-dxd"),
        pytest.param("PF06463922", "lorlatinib", id="code-without-hyphen"),
        pytest.param("AMG 510", "sotorasib", id="code-with-space"),
        pytest.param("AZD6738", "ceralasertib", id="code-azd6738"),
        pytest.param("MK-3475", "pembrolizumab", id="code-mk3475"),
        pytest.param("Keytruda", "pembrolizumab", id="brand-keytruda"),
        pytest.param("volitinib", "savolitinib", id="alias-volitinib"),
        pytest.param("blu945", "BLU-945", id="code-without-inn"),
        pytest.param("Osimertinib", "osimertinib", id="inn-capitalized"),
        pytest.param("XYZ-123", "XYZ-123", id="unknown-code-uppercased"),
        pytest.param("Foobarinib", "foobarinib", id="unknown-word-lowercased"),
    ],
)
def test_drug_canonical(drugs: L.DrugLexicon, text: str, canonical: str) -> None:
    assert drugs.canonical(text) == canonical


def test_drug_lookup_entry(drugs: L.DrugLexicon) -> None:
    entry = drugs.lookup("AZD9291")
    assert entry is not None
    assert (entry.canonical, entry.kind, entry.targets) == ("osimertinib", "code", ("EGFR",))
    assert drugs.lookup("not a drug") is None


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("EGFR-TKIs", "EGFR-TKI", id="egfr-tkis"),
        pytest.param("EGFR TKIs", "EGFR-TKI", id="egfr-tkis-space"),
        pytest.param("EGFR tyrosine kinase inhibitors", "EGFR-TKI", id="egfr-long-form"),
        pytest.param("ALK inhibitors", "ALK-TKI", id="alk-inhibitors"),
        pytest.param(
            "second-generation ALK-TKIs", "ALK-TKI (second-generation)", id="second-gen-alk"
        ),
        pytest.param("2nd generation ALK TKIs", "ALK-TKI (second-generation)", id="2nd-gen-alk"),
        pytest.param("third generation ALK-TKI", "ALK-TKI (third-generation)", id="third-gen-alk"),
        pytest.param(
            "first-generation EGFR-TKIs", "EGFR-TKI (first-generation)", id="first-gen-egfr"
        ),
        pytest.param(
            "early-generation EGFR-TKIs", "EGFR-TKI (early-generation)", id="early-gen-egfr"
        ),
        pytest.param("4 th Gen TKI", "TKI (fourth-generation)", id="untargeted-4th-gen"),
        pytest.param("ICIs", "ICI", id="icis"),
        pytest.param("immune checkpoint inhibitors", "ICI", id="ici-long"),
        pytest.param("PD-1/PD-L1 inhibitors", "ICI", id="pd1-pdl1"),
        pytest.param("platinum-based chemotherapy", "chemotherapy", id="platinum-chemo"),
        pytest.param("mTOR inhibitors", "mTOR inhibitor", id="mtor"),
        pytest.param("KRAS G12C inhibitors", "KRAS G12C inhibitor", id="kras-g12c"),
        pytest.param("MEK inhibitor", "MEK inhibitor", id="mek"),
        pytest.param("SHP2 inhibitors", "SHP2 inhibitor", id="shp2"),
        pytest.param("ALK PROTAC", "ALK-PROTAC", id="alk-protac"),
        pytest.param("TILs", "tumor infiltrating lymphocytes", id="tils"),
    ],
)
def test_drug_class_canonical(classes: L.DrugClassLexicon, text: str, canonical: str) -> None:
    assert classes.canonical(text) == canonical


def test_class_with_target(classes: L.DrugClassLexicon) -> None:
    entry = classes.lookup("4th generation TKIs")
    assert entry is not None
    assert entry.with_target("ALK").canonical == "ALK-TKI (fourth-generation)"
    assert classes.canonical("icis") is None  # short class abbreviations are case-sensitive


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        pytest.param("HER2", "ERBB2", id="her2"),
        pytest.param("ErbB2", "ERBB2", id="erbb2-mixed-case"),
        pytest.param("c-Met", "MET", id="c-met"),
        pytest.param("cMET", "MET", id="cmet"),
        pytest.param("MET", "MET", id="met-upper"),
        pytest.param("HER3", "ERBB3", id="her3"),
        pytest.param("PD-L1", "CD274", id="pd-l1"),
        pytest.param("PD-1", "PDCD1", id="pd-1"),
        pytest.param("CTLA-4", "CTLA4", id="ctla-4"),
        pytest.param("mTOR", "MTOR", id="mtor"),
        pytest.param("MEK1", "MAP2K1", id="mek1"),
        pytest.param("IGF-1R", "IGF1R", id="igf-1r"),
        pytest.param("NPM", "NPM1", id="npm"),
        pytest.param("pik3ca", "PIK3CA", id="long-symbol-any-case"),
        pytest.param("anaplastic lymphoma kinase", "ALK", id="name"),
        pytest.param("OS", None, id="neg-os"),
        pytest.param("PFS", None, id="neg-pfs"),
        pytest.param("CI", None, id="neg-ci"),
        pytest.param("HR", None, id="neg-hr"),
        pytest.param("ORR", None, id="neg-orr"),
        pytest.param("met", None, id="neg-met-lowercase-verb"),
        pytest.param("alk", None, id="neg-alk-lowercase"),
        pytest.param("CAT", None, id="neg-cat"),
        pytest.param("SET", None, id="neg-set"),
    ],
)
def test_gene_lookup(genes: L.GeneLexicon, text: str, symbol: str | None) -> None:
    assert genes.lookup(text) == symbol


# ------------------------------------------------------------------ data files


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        pytest.param("drugs.tsv", ["canonical", "synonym", "kind", "target", "source"], id="drugs"),
        pytest.param("drug_classes.tsv", ["canonical", "synonym", "source"], id="classes"),
        pytest.param("genes.tsv", ["symbol", "synonym", "kind", "hgnc_id", "source", "grammar"], id="genes"),
    ],
)
def test_tsv_shape(name: str, columns: list[str]) -> None:
    with data_path("lexicons", name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == columns
    assert all(len(r) == len(columns) for r in rows[1:])
    assert all(r[0] and r[1] for r in rows[1:])


def test_no_synonym_names_two_drugs(drugs: L.DrugLexicon) -> None:
    seen: dict[str, str] = {}
    for e in drugs.entries:
        key = L.phrase_key(e.synonym)
        assert seen.setdefault(key, e.canonical) == e.canonical, (e.synonym, seen[key], e.canonical)
    assert {e.kind for e in drugs.entries} <= {"inn", "brand", "code", "alias"}


def test_no_alias_names_two_genes(genes: L.GeneLexicon) -> None:
    seen: dict[str, str] = {}
    for e in genes.entries:
        key = L.phrase_key(e.synonym, case_sensitive=True)
        assert seen.setdefault(key, e.symbol) == e.symbol, (e.synonym, seen[key], e.symbol)
    assert not {e.synonym for e in genes.entries} & gene_stoplist()


def test_sizes_and_versions(
    drugs: L.DrugLexicon, genes: L.GeneLexicon, classes: L.DrugClassLexicon
) -> None:
    assert len({e.canonical for e in drugs.entries}) >= 200
    assert len(genes.symbols) >= 200
    assert len(classes) > 1000
    assert DRUG_LEXICON_VERSION.startswith("drugs-")
    assert GENE_LEXICON_VERSION.startswith("genes-")
    sources = data_path("lexicons", "SOURCES.md").read_text(encoding="utf-8")
    assert DRUG_LEXICON_VERSION in sources and GENE_LEXICON_VERSION in sources


# ------------------------------------------------------------------ scanning raw text


def _found(mentions: list[L.LexiconMention]) -> list[tuple[str, str, int, int]]:
    return [(m.text, m.norm_id, m.start, m.end) for m in mentions]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "EML4-ALK", [("EML4", "EML4", 0, 4), ("ALK", "ALK", 5, 8)], id="fusion-hyphen"
        ),
        pytest.param(
            "EML4–ALK v3", [("EML4", "EML4", 0, 4), ("ALK", "ALK", 5, 8)], id="fusion-en-dash"
        ),
        pytest.param("in EGFR-TKI", [("EGFR", "EGFR", 3, 7)], id="inside-class-token"),
        pytest.param(
            "HER2/HER3 and c-Met",
            [("HER2", "ERBB2", 0, 4), ("HER3", "ERBB3", 5, 9), ("c-Met", "MET", 14, 19)],
            id="slash-and-alias",
        ),
        pytest.param("*ALK*-positive", [("ALK", "ALK", 1, 4)], id="markdown-italics"),
        pytest.param(
            "OS and PFS (HR 0.4, 95% CI) met the endpoint", [], id="clinical-abbreviations"
        ),
        pytest.param("ALKALINE alkaline phosphatase", [], id="no-partial-words"),
    ],
)
def test_gene_scan(text: str, expected: list[tuple[str, str, int, int]]) -> None:
    assert _found(L.GeneRuler().find_genes(text)) == expected


@pytest.mark.parametrize(
    ("text", "map_codes", "expected"),
    [
        pytest.param(
            "NVL-655 inhibits G1202R",
            "document",
            [("NVL-655", "NVL-655")],
            id="code-kept-when-inn-absent",
        ),
        pytest.param(
            "neladalkib (NVL-655)",
            "document",
            [("neladalkib", "neladalkib"), ("NVL-655", "neladalkib")],
            id="code-mapped-when-inn-named",
        ),
        pytest.param(
            "NVL-655 inhibits G1202R", "always", [("NVL-655", "neladalkib")], id="always-map"
        ),
        pytest.param(
            "osimertinib (AZD9291)",
            "never",
            [("osimertinib", "osimertinib"), ("AZD9291", "AZD9291")],
            id="never-map",
        ),
        pytest.param(
            "AZD-9291-resistant cells",
            "document",
            [("AZD-9291", "AZD9291")],
            id="code-preferred-spelling",
        ),
        pytest.param(
            "BLU945 and Tagrisso",
            "document",
            [("BLU945", "BLU-945"), ("Tagrisso", "osimertinib")],
            id="no-inn-code-and-brand",
        ),
    ],
)
def test_drug_scan_code_mapping(text: str, map_codes: str, expected: list[tuple[str, str]]) -> None:
    ruler = L.DrugRuler(map_codes=map_codes)  # type: ignore[arg-type]
    assert [(m.text, m.norm_id) for m in ruler.find_drugs(text)] == expected


def test_class_scan_offsets() -> None:
    text = "after second-generation ALK-TKIs or EGFR-TKIs, ICIs and chemotherapy"
    found = _found(L.DrugRuler().find_classes(text))
    assert found == [
        ("second-generation ALK-TKIs", "ALK-TKI (second-generation)", 6, 32),
        ("EGFR-TKIs", "EGFR-TKI", 36, 45),
        ("ICIs", "ICI", 47, 51),
        ("chemotherapy", "chemotherapy", 56, 68),
    ]


def test_bad_map_codes() -> None:
    with pytest.raises(ValueError, match="map_codes"):
        L.DrugRuler(map_codes="sometimes")  # type: ignore[arg-type]


# ------------------------------------------------------------------ spaCy pipeline


def test_pipeline_spans(nlp: spacy.language.Language) -> None:
    text = "Resistance to second-generation ALK-TKIs in EML4-ALK NSCLC treated with HER3-DXd; OS was 12 months."
    doc = nlp(text)
    tokens = [t.text for t in doc]
    assert tokens[5:8] == ["ALK", "-", "TKIs"]  # the project tokenizer splits a hyphen between words

    (cls,) = doc.spans["drug_classes"]
    assert (cls._.norm_id, cls._.char_start, cls._.char_end) == (
        "ALK-TKI (second-generation)",
        14,
        40,
    )
    assert cls._.ent_source == "lexicon" and cls.label_ == "DRUG_CLASS"

    (drug,) = doc.spans["drugs"]
    assert (drug.text, drug._.norm_id, drug.kb_id_) == (
        "HER3-DXd",
        "patritumab deruxtecan",
        "patritumab deruxtecan",
    )

    genes = [(s.text, s._.norm_id, text[s._.char_start : s._.char_end]) for s in doc.spans["genes"]]
    # HER3 inside the drug name HER3-DXd is not a gene mention; OS is never a gene
    assert genes == [("ALK", "ALK", "ALK"), ("EML4", "EML4", "EML4"), ("ALK", "ALK", "ALK")]
    assert [(m.text, m.start, m.end) for m in doc._.gene_mentions] == [
        ("ALK", 32, 35),
        ("EML4", 44, 48),
        ("ALK", 49, 52),
    ]


def test_pipeline_config_and_empty_doc() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("oncotriples_drug_ruler", config={"map_codes": "always", "drugs_key": "d"})
    nlp.add_pipe("oncotriples_gene_ruler", config={"extra_stoplist": ["ALK"], "spans_key": "g"})
    doc = nlp("AZD9291 in ALK and EGFR")
    assert [s._.norm_id for s in doc.spans["d"]] == ["osimertinib"]
    assert [s._.norm_id for s in doc.spans["g"]] == ["EGFR"]
    empty = nlp("")
    assert list(empty.spans["d"]) == [] and empty._.gene_mentions == []


def test_extensions_idempotent() -> None:
    register_extensions()
    register_extensions()
    assert spacy.tokens.Span.has_extension("norm_id")


def test_long_dense_document(nlp: spacy.language.Language) -> None:
    """Every gene of a ~10k-token document is found (speed: scripts/bench_lexicons.py)."""
    sentence = "Osimertinib and second-generation ALK-TKIs fail in EML4-ALK or EGFR T790M/C797S NSCLC with MET amplification (HR 0.5). "
    doc = nlp.make_doc(sentence * 400)  # ~10k tokens, ~50k chars
    L.split_pieces.cache_clear()
    for _, proc in nlp.pipeline:
        proc(doc)
    assert len(doc.spans["genes"]) == 400 * 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NVL-655 and TAK-788 were active", []),
        ("NVL 655 was active in ALK-positive cells", ["ALK"]),
        ("MET-amplified and HER2-positive tumours", ["MET", "ERBB2"]),
        ("ALK 2 sites", ["ALK"]),
    ],
)
def test_symbol_starting_a_drug_code_is_not_a_gene(genes: L.GeneLexicon, text: str, expected: list[str]) -> None:
    """A gene-like prefix of a sponsor code (three or more digits after it) is the drug, not the gene."""
    assert [h.value.symbol for h in genes.scan(text)] == expected
