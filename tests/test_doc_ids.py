"""``oncotriples extract`` document ids: the file stem, made unique from the path when stems collide."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipeline.stages.extract import extract_paths

GOOD = "The EGFR C797S mutation confers resistance to osimertinib in patients with EGFR-mutant NSCLC.\n"


def _write(path: Path, text: str = GOOD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_unique_stems_keep_the_stem(nlp_rules, tmp_path: Path) -> None:
    _write(tmp_path / "a" / "first.txt")
    _write(tmp_path / "b" / "second.txt")
    result = extract_paths([tmp_path], nlp_rules)
    assert sorted(d.doc_id for d in result.documents) == ["first", "second"]
    assert {t.doc_id for t in result.triples} == {"first", "second"}


def test_same_stem_in_two_folders_gets_distinct_ids(nlp_rules, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write(tmp_path / "a" / "paper.txt")
    _write(tmp_path / "b" / "paper.txt")
    with caplog.at_level(logging.WARNING, logger="pipeline.stages.extract"):
        result = extract_paths([tmp_path], nlp_rules)
    ids = sorted(d.doc_id for d in result.documents)
    assert ids == ["a/paper", "b/paper"]
    assert len({t.triple_id for t in result.triples}) == len(result.triples) >= 2
    assert {t.doc_id for t in result.triples} == set(ids)
    assert any("paper" in r.getMessage() and "a/paper" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert all(any("path-derived" in n for n in d.notes) for d in result.documents)


def test_same_stem_given_as_two_arguments(nlp_rules, tmp_path: Path) -> None:
    first = _write(tmp_path / "x" / "deep" / "paper.txt")
    second = _write(tmp_path / "y" / "paper.txt")
    result = extract_paths([first, second], nlp_rules)
    assert sorted(d.doc_id for d in result.documents) == ["x/deep/paper", "y/paper"]


def test_same_stem_different_suffix_in_one_folder(nlp_rules, tmp_path: Path) -> None:
    _write(tmp_path / "paper.txt")
    _write(tmp_path / "paper.md")
    result = extract_paths([tmp_path], nlp_rules)
    assert sorted(d.doc_id for d in result.documents) == ["paper.md", "paper.txt"]


def test_one_file_named_twice_is_extracted_once(nlp_rules, tmp_path: Path) -> None:
    path = _write(tmp_path / "paper.txt")
    result = extract_paths([path, tmp_path], nlp_rules)
    assert [d.doc_id for d in result.documents] == ["paper"]
    assert len({t.triple_id for t in result.triples}) == len(result.triples)
