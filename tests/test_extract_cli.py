"""`oncotriples extract`: the external contract, bad inputs, determinism, and the dev-gold score floor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]
GOOD = "The EGFR C797S mutation confers resistance to osimertinib in patients with EGFR-mutant NSCLC.\n"


def run_cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    (d / "good.txt").write_text(GOOD, encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (d / "latin1.txt").write_bytes("Résistance à l'osimertinib \xe9".encode("latin-1"))
    (d / "nothing_readable").mkdir()
    (d / "nothing_readable" / "image.png").write_bytes(b"\x89PNG")
    return {p.name: p for p in d.iterdir()}


@pytest.mark.parametrize(
    ("name", "expect_in_message"),
    [
        pytest.param("missing.txt", "no such file", id="missing-path"),
        pytest.param("empty.txt", "empty", id="empty-file"),
        pytest.param("binary.txt", "binary", id="binary-file"),
        pytest.param("latin1.txt", "UTF-8", id="non-utf8"),
        pytest.param("nothing_readable", "no readable file", id="dir-nothing-readable"),
    ],
)
def test_bad_input_one_line_error_others_written(bad_inputs: dict[str, Path], tmp_path: Path, name: str, expect_in_message: str) -> None:
    good = bad_inputs["good.txt"]
    bad = good.parent / name
    out = tmp_path / "out.jsonl"
    proc = run_cli("extract", str(bad), str(good), "--out", str(out), "--ner-model", "none")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(bad) in errors[0] and expect_in_message.lower() in errors[0].lower(), proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["doc_id"] for r in rows} == {"good"}
    assert any(r["alteration"] == "C797S" and r["drugs"] == ["osimertinib"] for r in rows)


@pytest.mark.slow
def test_large_text_is_processed(tmp_path: Path) -> None:
    """A 20 MB text is processed (bounded by linear-time steps), not refused."""
    big = tmp_path / "big.txt"
    filler = "Patients were followed for a median of twelve months in this cohort. " * 10
    with big.open("w", encoding="utf-8") as fh:
        while fh.tell() < 20 * 1024 * 1024:
            fh.write(filler + "\n\n" + GOOD + "\n\n")
    out = tmp_path / "big.jsonl"
    proc = run_cli("extract", str(big), "--out", str(out), "--ner-model", "none", timeout=1500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert any(r["alteration"] == "C797S" for r in rows)


def test_corpus_extract_is_deterministic_and_scores_above_floor(shared_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (a, b):
        proc = run_cli("extract", str(shared_dir / "corpus"), "--out", str(out))
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert a.read_bytes() == b.read_bytes()
    score = subprocess.run(
        [sys.executable, str(shared_dir / "tools" / "score_triples.py"), str(shared_dir / "gold" / "dev"), str(a)],
        capture_output=True, text=True, check=True,
    )
    f1 = float(score.stdout.strip().splitlines()[-1].split()[-1])
    assert f1 >= 0.40, score.stdout
    for row in map(json.loads, a.read_text(encoding="utf-8").splitlines()):
        assert {"doc_id", "evidence", "drugs", "drug_class", "gene", "alteration", "outcome", "measures", "evidence_level", "nct_ids", "triple_id"} <= row.keys()
        assert 20 <= len(row["evidence"]) <= 300


def test_evidence_is_the_source_substring_and_evidence_text_the_clean_one(tmp_path: Path) -> None:
    src = tmp_path / "marked.txt"
    src.write_text(
        "Background\n\nThe *EGFR* C797S mutation conferred resistance to osimertinib in 12 patients ($n=12$, $P=0.001$).\n",
        encoding="utf-8",
    )
    out = tmp_path / "t.jsonl"
    proc = run_cli("extract", str(src), "--out", str(out), "--ner-model", "none")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    row = next(r for r in rows if r["alteration"] == "C797S")
    assert row["evidence"] in src.read_text(encoding="utf-8") and "$n=12$" in row["evidence"]
    assert "$" not in row["evidence_text"] and "*EGFR*" not in row["evidence_text"]
    assert "(n=12, P=0.001)" in row["evidence_text"] and "EGFR C797S" in row["evidence_text"]
