"""PubTator reading/writing and the `mentions` round trip through the shared scorer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from extractors.text.pubtator import Mention, PubTatorDoc, read_pubtator, write_pubtator
from pipeline.stages.mentions import MENTION_TYPES, annotate_pubtator
from schemas.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared"
BC5CDR_DEV = SHARED / "corpora" / "BC5CDR" / "CDR_DevelopmentSet.PubTator.txt"
BIORED_DEV = SHARED / "corpora" / "BioRED" / "Dev.PubTator"
SCORER = SHARED / "tools" / "score_mentions.py"
needs_shared = pytest.mark.skipif(not BC5CDR_DEV.is_file(), reason="../shared/corpora not available")


def _first_docs_raw(path: Path, n: int) -> bytes:
    """The first ``n`` documents of a PubTator file, bytes unchanged (gold lines included)."""
    raw = path.read_bytes()
    sep = b"\r\n\r\n" if b"\r\n" in raw[:5000] else b"\n\n"
    return sep.join(raw.split(sep)[:n]) + sep


def _mention_lines(path: Path) -> list[list[str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) >= 5 and f[1].isdigit():
            out.append(f)
    return out


def test_write_read_round_trip(tmp_path):
    doc = PubTatorDoc("123", "EGFR and gefitinib.", "Gefitinib inhibits EGFR L858R.",
                      [Mention(9, 18, "gefitinib", "Chemical", "gefitinib"), Mention(0, 4, "EGFR", "Gene", "EGFR")])
    p = tmp_path / "x.PubTator"
    write_pubtator([doc], p)
    lines = p.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "123|t|EGFR and gefitinib."
    assert lines[2] == "123\t0\t4\tEGFR\tGene\tEGFR"  # sorted by offset
    (back,) = read_pubtator(p)
    assert back.text == doc.text and sorted(back.mentions, key=lambda m: m.start) == sorted(doc.mentions, key=lambda m: m.start)


def test_crlf_input(tmp_path):
    p = tmp_path / "crlf.PubTator"
    p.write_bytes(b"7|t|Imatinib in CML.\r\n7|a|Imatinib targets BCR-ABL1.\r\n7\t0\t8\tImatinib\tChemical\tD1\r\n7\tCID\tD1\tD2\r\n\r\n"
                  b"8|t|Second.\r\n8|a|Text.\r\n")
    a, b = read_pubtator(p)
    assert a.title == "Imatinib in CML." and a.abstract == "Imatinib targets BCR-ABL1."
    assert a.mentions == [Mention(0, 8, "Imatinib", "Chemical", "D1")]  # relation line ignored
    assert a.text[0:8] == "Imatinib" and b.pmid == "8" and b.mentions == []


@needs_shared
def test_biored_crlf_offsets_slice_text():
    raw = _first_docs_raw(BIORED_DEV, 3)
    assert b"\r\n" in raw
    docs = read_pubtator(BIORED_DEV)[:3]
    for d in docs:
        assert not d.title.endswith("\r") and not d.abstract.endswith("\r")
        for m in d.mentions:
            assert d.text[m.start:m.end] == m.text


@pytest.mark.parametrize("content", [b"", b"\x00\x01binary", b"not pubtator at all\tx\n", b"\xff\xfe bad utf8"])
def test_bad_input_raises_input_error(tmp_path, content):
    p = tmp_path / "bad.PubTator"
    p.write_bytes(content)
    with pytest.raises(InputError, match="bad.PubTator"):
        annotate_pubtator(p, tmp_path / "out.PubTator", model="none")
    assert not (tmp_path / "out.PubTator").exists()


def test_cli_bad_input_one_line_exit_2(tmp_path):
    from pipeline.cli.mentions import register

    app = typer.Typer()
    register(app)
    missing = tmp_path / "missing.PubTator"
    res = CliRunner().invoke(app, ["mentions", str(missing), "--out", str(tmp_path / "o.PubTator")])
    assert res.exit_code == 2
    assert str(missing) in res.output and len(res.output.strip().splitlines()) == 1


@needs_shared
def test_gold_lines_are_never_copied(tmp_path):
    src = tmp_path / "dev3.PubTator"
    src.write_bytes(_first_docs_raw(BC5CDR_DEV, 3))
    out = tmp_path / "none.PubTator"
    assert annotate_pubtator(src, out, model="none", lexicons=False, variants=False) == 3
    assert _mention_lines(out) == []
    assert sum(1 for line in out.read_text().splitlines() if "|t|" in line) == 3


@needs_shared
def test_mentions_round_trip_through_scorer(tmp_path):
    src = tmp_path / "dev.PubTator"
    src.write_bytes(_first_docs_raw(BC5CDR_DEV, 5))
    out = tmp_path / "pred.PubTator"
    assert annotate_pubtator(src, out) == 5
    docs = {d.pmid: d.text for d in read_pubtator(src)}
    gold = {tuple(f) for f in _mention_lines(src)}
    pred = _mention_lines(out)
    assert pred, "no mentions predicted"
    for f in pred:
        assert len(f) == 6 and f[4] in MENTION_TYPES and f[5]
        assert docs[f[0]][int(f[1]):int(f[2])] == f[3]  # offsets slice the text
        assert tuple(f) not in gold  # gold lines (MeSH ids) are not copied
    r = subprocess.run([sys.executable, str(SCORER), str(src), str(out), "--group", "chemical"],
                       capture_output=True, text=True, check=True)
    f1 = float(r.stdout.strip().splitlines()[-1].split()[-1])
    assert f1 >= 0.7, r.stdout
