"""Each stage re-runs alone (`oncotriples stage NAME`, then `release`) and ends where one `run` ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
"""Byte-identical releases need one ``created`` (the reproducible-builds convention)."""


def oncotriples(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False, env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def release_files(root: Path) -> dict[str, bytes]:
    folder = root / "releases" / "1.0.0"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_stages_one_by_one_equal_one_run(tmp_path: Path) -> None:
    staged, whole = tmp_path / "staged", tmp_path / "whole"
    staged.mkdir()
    whole.mkdir()
    oncotriples(staged, "stage", "fetch", "--offline")
    assert not (staged / "work" / "parsed").exists()
    oncotriples(staged, "stage", "parse")
    assert any((staged / "work" / "parsed").iterdir())
    oncotriples(staged, "stage", "extract", "--ner-model", "none")
    assert any((staged / "work" / "extracted").glob("*.jsonl"))
    oncotriples(staged, "stage", "normalize", "--ner-model", "none")
    assert (staged / "work" / "normalized" / "triples.jsonl").is_file()
    oncotriples(staged, "release")
    oncotriples(whole, "run", "--offline", "--ner-model", "none")
    assert release_files(staged) == release_files(whole)
