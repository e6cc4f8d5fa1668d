"""`schemas/vocab.py` is the one vocabulary: no other module re-defines an enum, an id pattern or a source name,
and what is derived from it (JSON/Table Schemas, SQL checks, the scorer mirror) agrees with it."""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractors.text.builder import nct_ids_in
from schemas import vocab
from schemas.export import json_schemas, table_schema
from schemas.models import Triple

ROOT = Path(__file__).resolve().parents[1]
VOCAB = ROOT / "schemas" / "vocab.py"
SCANNED = ("schemas", "extractors", "pipeline", "scripts")
SCORER = Path("/work/shared/tools/score_triples.py")

ENUMS: dict[str, frozenset[str]] = {
    name: frozenset(getattr(vocab, name))
    for name in (
        "OUTCOMES", "EVIDENCE_LEVELS", "SECTION_LABELS", "EXTRACTABLE_SECTIONS", "ALTERATION_TYPES",
        "CURATION_STATUSES", "OPEN_STATUSES", "DECISIONS", "REASON_CODES", "EDITABLE_FIELDS", "RUN_OUTCOMES",
        "LOCAL_SOURCES", "FULL_TEXT_SOURCES", "NOT_PARSED_SOURCES",
    )
}
"""Every enum the vocabulary owns; a literal collection with exactly these values elsewhere is a copy."""

SOURCE_VALUES = {getattr(vocab, n) for n in dir(vocab) if n.startswith("SOURCE_")}
DISTINCT_SOURCE_NAMES = frozenset(v for v in SOURCE_VALUES if "-" in v)
"""Raw-record source names that mean nothing else (``pmc-bioc``, ``pubmed-batch`` …); as a literal elsewhere they are a copy."""

ID_SAMPLES = ("NCT01234567", "NCT 01234567", "PMC1234567")
RE_FUNCTIONS = frozenset({"compile", "search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"})


def _python_files() -> Iterator[Path]:
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != VOCAB and ".venv" not in path.parts:
                yield path


def _strings(node: ast.AST) -> list[str] | None:
    """The values of a literal tuple, list or set made only of strings (``frozenset({...})`` and ``Literal[...]`` hold one)."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def enum_copies(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, enum name) of every literal collection equal to a vocabulary enum."""
    found = []
    for node in ast.walk(tree):
        values = _strings(node)
        if values is None:
            continue
        for name, members in ENUMS.items():
            if frozenset(values) == members:
                found.append((node.lineno, name))  # type: ignore[attr-defined]
    return found


def sql_list_copies(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, enum name) of string constants holding an SQL-quoted list of a vocabulary enum (``'a', 'b'``)."""
    lists = {name: ", ".join(f"'{v}'" for v in getattr(vocab, name)) for name in ("DECISIONS", "REASON_CODES")}
    return [
        (node.lineno, name)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for name, text in lists.items()
        if text in node.value
    ]


def id_pattern_copies(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, pattern) of regexes passed to ``re.*`` whose whole job is matching an NCT/PMC id (or a bare PMID).

    Patterns with alternatives (cue lists) merely mention an id among other words and are not copies.
    """
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RE_FUNCTIONS):
            continue
        if getattr(node.func.value, "id", None) != "re" or not node.args:
            continue
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            continue
        pattern = arg.value
        if pattern == vocab.PMID_RE.pattern:
            found.append((node.lineno, pattern))
            continue
        if "|" in pattern:
            continue
        for sample in ID_SAMPLES:
            prefix = sample[:3]
            if prefix.lower() not in pattern.lower():
                continue
            m = re.search(pattern, sample)
            if m and m.group(0)[:3].upper() == prefix and re.search(r"\d{7}", m.group(0)):
                found.append((node.lineno, pattern))
                break
    return found


def source_name_copies(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, value) of string constants that are a distinctive raw-record source name."""
    found = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DISTINCT_SOURCE_NAMES
    ]
    return found


def fetcher_source_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, value) of ``source="..."`` keyword arguments with a literal value (fetchers must use the vocabulary)."""
    return [
        (node.value.lineno, node.value.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and node.arg == "source" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ]


def _scan(check) -> list[str]:  # noqa: ANN001 - one of the detectors above
    out = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in check(tree)]
    return out


# ------------------------------------------------------------------ the detectors find copies


def test_the_detectors_find_a_planted_copy() -> None:
    """A copy of each kind is caught (so an empty scan below means something)."""
    planted = ast.parse(
        "import re\n"
        "DECISIONS = ('accept', 'reject', 'edit')\n"
        "Outcome = Literal['resistance', 'sensitivity', 'investigation']\n"
        "OPEN = frozenset({'needs_review', 'pending'})\n"
        "if s in ('pmc', 'europepmc', 'pmc-bioc'): pass\n"
        "SQL = \"CHECK (decision IN ('accept', 'reject', 'edit'))\"\n"
        "NCT = re.compile(r'\\bNCT\\s?(\\d{8})\\b')\n"
        "m = re.search(r'PMC\\d+', url)\n"
        "PMID = re.compile(r'^\\d{1,9}$')\n"
        "client.get('ncbi', url, source='pubmed')\n"
        "kept = doc.source == 'pubmed-batch'\n"
    )
    assert [name for _, name in enum_copies(planted)] == ["DECISIONS", "OUTCOMES", "OPEN_STATUSES", "FULL_TEXT_SOURCES"]
    assert [name for _, name in sql_list_copies(planted)] == ["DECISIONS"]
    assert [line for line, _ in id_pattern_copies(planted)] == [7, 8, 9]
    assert sorted(v for _, v in source_name_copies(planted)) == ["pmc-bioc", "pubmed-batch"]
    assert [v for _, v in fetcher_source_literals(planted)] == ["pubmed"]
    # what is not a copy: a cue list naming an id among other words, a look-ahead refusing an id, a subset
    innocent = ast.parse(
        "import re\n"
        "TRIAL = re.compile(r'\\btrials?\\b|\\bNCT\\d{7,8}\\b')\n"
        "CODE = re.compile(r'^(?!NCT\\d)[A-Z][A-Za-z]{0,6}-?\\d{2,7}$')\n"
        "SPECIFIC = frozenset({'substitution', 'deletion'})\n"
    )
    assert enum_copies(innocent) == [] and id_pattern_copies(innocent) == []


# ------------------------------------------------------------------ no copies in the source tree


def test_no_module_redefines_a_vocabulary_enum() -> None:
    assert _scan(enum_copies) == []


def test_sql_checks_are_generated_not_written() -> None:
    assert _scan(sql_list_copies) == []


def test_no_module_redefines_an_id_pattern() -> None:
    assert _scan(id_pattern_copies) == []


def test_source_names_come_from_the_vocabulary() -> None:
    assert _scan(source_name_copies) == []
    fetchers = []
    for path in sorted((ROOT / "pipeline" / "sources").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fetchers += [f"{path.relative_to(ROOT)}:{line}: {v}" for line, v in fetcher_source_literals(tree)]
    assert fetchers == []


def _results(node: ast.AST) -> set[str]:
    """The string values an expression can evaluate to (``"a" if cond else "b"`` gives both; the condition is not a value)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _results(node.body) | _results(node.orelse)
    return set()


def test_alteration_types_cover_what_the_variant_grammar_produces() -> None:
    """Every ``vtype`` literal of the variant grammar, and every set of them, is a vocabulary alteration type."""
    produced: set[str] = set()
    for path in sorted((ROOT / "extractors" / "nlp").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "vtype":
                produced |= _results(node.value)
            values = _strings(node)
            if values and "substitution" in values:
                produced |= set(values)
    assert {"substitution", "fusion", "wild_type", "exon_skipping"} <= produced  # the scan found the grammar
    assert produced - set(vocab.ALTERATION_TYPES) == set()


# ------------------------------------------------------------------ derived artefacts agree


@pytest.mark.parametrize(
    ("field", "values"),
    [("outcome", vocab.OUTCOMES), ("evidence_level", vocab.EVIDENCE_LEVELS), ("curation_status", vocab.CURATION_STATUSES)],
)
def test_schemas_enumerate_the_vocabulary(field: str, values: tuple[str, ...]) -> None:
    assert json_schemas()["triples"]["properties"][field]["enum"] == list(values)
    table = {f["name"]: f for f in table_schema("triples")["fields"]}
    assert table[field]["constraints"]["enum"] == list(values)


def test_section_labels_and_statuses_are_consistent() -> None:
    section = json_schemas()["documents"]["$defs"]["Section"]["properties"]["label"]
    assert section["enum"] == list(vocab.SECTION_LABELS)
    assert vocab.EXTRACTABLE_SECTIONS <= set(vocab.SECTION_LABELS)
    assert sorted(vocab.REVIEW_STATUS_ORDER) == sorted(vocab.CURATION_STATUSES)
    assert vocab.OPEN_STATUSES <= set(vocab.CURATION_STATUSES)
    assert set(vocab.EDITABLE_FIELDS) <= set(Triple.model_fields) - {"triple_id", "doc_id", "curation_status"}
    assert vocab.reason_code(" Wrong  drug") == "wrong_drug" and vocab.reason_code("not-asserted") == "not_asserted"


# ------------------------------------------------------------------ id finders


def test_nct_finders_strict_canonical_and_in_text() -> None:
    text = "NCT01234567 and NCT 02345678, a typo NCT0345678, lower nct04567890, glued XNCT05678901 and NCT067890123."
    assert vocab.nct_ids_written(text) == [(0, "NCT01234567"), (16, "NCT02345678"), (37, "NCT0345678")]
    assert vocab.well_formed_nct_ids(text) == ["NCT01234567", "NCT02345678"]
    assert vocab.NCT_RE.match("NCT01234567") and not vocab.NCT_RE.match("NCT 01234567")
    # documents: metadata ids first, then the text's, de-duplicated
    assert nct_ids_in(text, ["nct 09999999", "none"]) == ["NCT09999999", "NCT01234567", "NCT02345678"]
    # the loose finder reads what the in-text one refuses, and reports malformed ids
    good, bad = vocab.unique_nct_ids(text)
    assert good == ["NCT01234567", "NCT02345678", "NCT04567890"] and "NCT0345678" in bad


def test_pmid_and_pmcid_patterns() -> None:
    assert vocab.PMID_RE.match("12345678") and not vocab.PMID_RE.match("1234567890")
    assert vocab.PMCID_RE.match("PMC7654321") and not vocab.PMCID_RE.match("PMC7654321/")
    assert vocab.PMCID_IN_TEXT_RE.search("https://pmc.ncbi.nlm.nih.gov/articles/PMC7654321/").group() == "PMC7654321"


# ------------------------------------------------------------------ alteration keys


ALTERATIONS = ["T790M+C797S", "C797S + T790M", "p.T790M", "p.T790M+p.C797S", "exon 19  deletion", "exon 19–21", "exon 19—21", "L718Q/V", "p.E746_A750del", " G12C ", "wild-type"]


@pytest.mark.skipif(not SCORER.is_file(), reason="the shared scorer is not available")
def test_scorer_alteration_key_is_the_shared_scorers() -> None:
    spec = importlib.util.spec_from_file_location("score_triples", SCORER)
    assert spec and spec.loader
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    for alt in ALTERATIONS:
        assert vocab.scorer_alteration_key(alt) == scorer.norm_alteration(alt), alt


def test_identity_key_is_stricter_than_the_scorers() -> None:
    """The triple id's alteration key ignores compound order only: ``p.T790M`` stays a different id from ``T790M``."""
    assert vocab.norm_alteration_key("T790M+C797S") == vocab.norm_alteration_key("C797S + T790M")
    assert vocab.norm_alteration_key("p.T790M") != vocab.norm_alteration_key("T790M")
    assert vocab.scorer_alteration_key("p.T790M") == vocab.scorer_alteration_key("T790M")
    assert vocab.triple_key_id("d", ["B", "a"], "egfr", "T790M+C797S", "resistance") == vocab.triple_key_id("d", ["a", "b"], "EGFR", "C797S+T790M", "resistance")
