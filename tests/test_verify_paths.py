"""``verify`` reads only files inside the release: a SHA256SUMS or manifest.json entry that is
absolute, climbs out with ``..`` or reaches outside through a symlink fails with a one-line error."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.stages.release import (
    ChangeSet,
    ReleaseContent,
    build_release_files,
    verify_release,
    write_release,
)
from schemas.errors import InputError
from schemas.models import Triple
from schemas.vocab import triple_key_id


@pytest.fixture()
def release(tmp_path: Path) -> Path:
    t = Triple(doc_id="d1", evidence="EGFR C797S confers resistance to osimertinib.", drugs=["osimertinib"], gene="EGFR", alteration="C797S", outcome="resistance")
    t.triple_id = triple_key_id(t.doc_id, t.drugs, t.gene, t.alteration, t.outcome)
    files = build_release_files("1.0.0", ReleaseContent(triples=[t]), None, ChangeSet())
    return write_release(tmp_path / "releases", "1.0.0", files)


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("not part of any release\n", encoding="utf-8")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_sums_line(release: Path, line: str) -> None:
    sums = release / "SHA256SUMS"
    sums.write_text(sums.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def verify_cli(release: Path):
    return CliRunner().invoke(app, ["verify", release.name, "--releases-dir", str(release.parent)])


def assert_one_line_refusal(release: Path, needle: str) -> None:
    with pytest.raises(InputError, match="outside the release|not a plain file name|malformed"):
        verify_release(release)
    res = verify_cli(release)
    assert res.exit_code == 1 and not isinstance(res.exception, Exception), res.output
    errors = [x for x in res.output.splitlines() if x.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and needle in errors[0], res.output


def test_a_clean_release_verifies(release: Path) -> None:
    assert verify_release(release) == []
    assert verify_cli(release).exit_code == 0


def test_dotdot_entry_is_refused_even_when_its_checksum_matches(release: Path, secret: Path) -> None:
    rel = os.path.relpath(secret, release)
    assert rel.startswith("..")
    add_sums_line(release, f"{digest(secret)}  {rel}")
    assert_one_line_refusal(release, rel)


def test_deep_dotdot_entry_is_refused(release: Path) -> None:
    add_sums_line(release, f"{'0' * 64}  ../../../../etc/shadow")
    assert_one_line_refusal(release, "../../../../etc/shadow")


def test_absolute_entry_is_refused(release: Path, secret: Path) -> None:
    add_sums_line(release, f"{digest(secret)}  {secret}")
    assert_one_line_refusal(release, str(secret))


def test_symlink_out_of_the_release_is_refused(release: Path, secret: Path) -> None:
    target = release / "triples.csv"
    target.unlink()
    target.symlink_to(secret)
    sums = release / "SHA256SUMS"
    lines = [f"{digest(secret)}  triples.csv" if x.endswith("  triples.csv") else x for x in sums.read_text(encoding="utf-8").splitlines()]
    sums.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_one_line_refusal(release, "triples.csv")


def test_manifest_entries_are_held_to_the_same_rule(release: Path, secret: Path) -> None:
    path = release / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"][os.path.relpath(secret, release)] = digest(secret)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    sums = release / "SHA256SUMS"
    lines = [f"{digest(path)}  manifest.json" if x.endswith("  manifest.json") else x for x in sums.read_text(encoding="utf-8").splitlines()]
    sums.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = verify_cli(release)
    errors = [x for x in res.output.splitlines() if x.strip()]
    assert res.exit_code == 1 and not isinstance(res.exception, Exception) and len(errors) == 1 and "outside the release" in errors[0], res.output


def test_a_malformed_line_is_a_one_line_error(release: Path) -> None:
    add_sums_line(release, "deadbeef triples.csv")
    assert_one_line_refusal(release, "SHA256SUMS line")
