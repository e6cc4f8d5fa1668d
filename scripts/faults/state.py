"""State faults: the state database emptied or deleted after curated releases, a lost work
directory beside them, restoring decisions from a release, an accept that would drop an edit,
and ``extract --out`` naming a directory.

Every check runs the real command line (``oncotriples run --offline`` and friends) in a scratch
directory: one demo run, one reject and one accept imported from the review spreadsheet, and a
second run (release x.1.0) before the fault is injected.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from pathlib import Path

from scripts.faults._util import cli, one_line_error


def _dirs(tmp: Path) -> list[str]:
    return ["--workdir", str(tmp / "work"), "--releases-dir", str(tmp / "releases")]


def _run(tmp: Path):  # noqa: ANN202 - a CompletedProcess
    return cli("run", "--offline", "--ner-model", "none", *_dirs(tmp), cwd=tmp, timeout=300)


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _releases(tmp: Path) -> list[str]:
    folder = tmp / "releases"
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda v: tuple(int(x) for x in v.split("."))) if folder.is_dir() else []


def _curated(tmp: Path) -> tuple[dict[str, str], str]:
    """Run, reject one triple and accept another by spreadsheet, run again; (ids, error)."""
    first = _run(tmp)
    if first.returncode != 0:
        return {}, f"first run exited {first.returncode}: {first.stderr.strip()[-200:]}"
    sheet = tmp / "review.csv"
    exported = cli("review", "export", "--out", str(sheet), *_dirs(tmp), cwd=tmp)
    if exported.returncode != 0:
        return {}, f"review export exited {exported.returncode}: {exported.stderr.strip()[-200:]}"
    rows = _rows(sheet)[:2]
    rows[0].update(decision="reject", reason="not_asserted", curator="ann")
    rows[1].update(decision="accept", curator="ann")
    _write(sheet, rows)
    imported = cli("review", "import", str(sheet), *_dirs(tmp), cwd=tmp)
    if imported.returncode != 0:
        return {}, f"review import exited {imported.returncode}: {imported.stderr.strip()[-200:]}"
    second = _run(tmp)
    if second.returncode != 0:
        return {}, f"second run exited {second.returncode}: {second.stderr.strip()[-200:]}"
    return {"reject": rows[0]["triple_id"], "accept": rows[1]["triple_id"]}, ""


def _latest_decisions(tmp: Path) -> dict[str, str]:
    """triple_id -> latest decision, read from a fresh review export's last_decision column."""
    out = tmp / "check.csv"
    proc = cli("review", "export", "--out", str(out), *_dirs(tmp), cwd=tmp)
    if proc.returncode != 0:
        return {"__error__": proc.stderr.strip()[-200:]}
    return {r["triple_id"]: r["last_decision"] for r in _rows(out) if r["last_decision"]}


def _refused_after_loss(tmp: Path, *, how: str) -> tuple[bool, str]:
    ids, error = _curated(tmp)
    if error:
        return False, error
    db = tmp / "work" / "state.sqlite"
    before = _releases(tmp)
    if how == "emptied":
        db.write_bytes(b"")
    elif how == "deleted":
        db.unlink()
    else:
        shutil.rmtree(tmp / "work")
    proc = _run(tmp)
    after = _releases(tmp)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode == 0:
        return False, f"run with the state database {how} exited 0; releases {before} -> {after}"
    if not one_line_error(proc) or len(lines) != 1:
        return False, f"not a one-line error (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    if "oncotriples review restore" not in lines[0]:
        return False, f"no recovery command in: {lines[0]}"
    if after != before:
        return False, f"a release was written anyway: {before} -> {after}"
    if how != "new_workdir" and db.exists() and db.stat().st_size > 0:
        return False, "a new state database was created"
    return True, f"exit {proc.returncode}, releases stay {after}: {lines[0][:140]}"


def emptied_db_refused(tmp: Path) -> tuple[bool, str]:
    return _refused_after_loss(tmp, how="emptied")


def deleted_db_refused(tmp: Path) -> tuple[bool, str]:
    return _refused_after_loss(tmp, how="deleted")


def lost_workdir_refused(tmp: Path) -> tuple[bool, str]:
    return _refused_after_loss(tmp, how="new_workdir")


def restore_rebuilds_decisions(tmp: Path) -> tuple[bool, str]:
    ids, error = _curated(tmp)
    if error:
        return False, error
    version = _releases(tmp)[-1]
    release = tmp / "releases" / version
    journal = release / "decisions.jsonl"
    if not journal.is_file():
        return False, f"release {version} has no decisions.jsonl"
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    if "decisions.jsonl" not in manifest.get("files", {}) or "decisions.jsonl" not in (release / "SHA256SUMS").read_text(encoding="utf-8"):
        return False, "decisions.jsonl is not in manifest.json and SHA256SUMS"
    (tmp / "work" / "state.sqlite").unlink()
    first = cli("review", "restore", str(release), *_dirs(tmp), cwd=tmp)
    if first.returncode != 0:
        return False, f"review restore exited {first.returncode}: {first.stderr.strip()[-200:]}"
    again = cli("review", "restore", version, *_dirs(tmp), cwd=tmp)
    if again.returncode != 0 or "restored 0 decision(s)" not in again.stderr:
        return False, f"a second restore was not a no-op: {again.stderr.strip()[-200:]}"
    latest = _latest_decisions(tmp)
    if latest != {ids["reject"]: "reject", ids["accept"]: "accept"}:
        return False, f"decisions after restore: {latest}"
    proc = _run(tmp)
    if proc.returncode != 0 or _releases(tmp)[-1] != version:
        return False, f"run after restore: exit {proc.returncode}, releases {_releases(tmp)} (want {version} to stay newest)"
    return True, f"{first.stderr.strip().splitlines()[-1][:90]}; second restore adds none; the next run keeps {version}"


def restore_keeps_newer_decision(tmp: Path) -> tuple[bool, str]:
    ids, error = _curated(tmp)
    if error:
        return False, error
    version = _releases(tmp)[-1]
    sheet = tmp / "later.csv"
    cli("review", "export", "--out", str(sheet), *_dirs(tmp), cwd=tmp)
    row = next(r for r in _rows(sheet) if r["triple_id"] == ids["accept"])
    row.update(decision="reject", reason="duplicate", curator="bob")
    _write(sheet, [row])
    if cli("review", "import", str(sheet), *_dirs(tmp), cwd=tmp).returncode != 0:
        return False, "could not record the later decision"
    proc = cli("review", "restore", version, *_dirs(tmp), cwd=tmp)
    latest = _latest_decisions(tmp)
    if proc.returncode != 0 or latest.get(ids["accept"]) != "reject":
        return False, f"after restore the later reject became {latest.get(ids['accept'])!r} (exit {proc.returncode})"
    return True, "the later reject stays the latest decision; " + proc.stderr.strip().splitlines()[-1][:80]


def accept_after_edit_refused(tmp: Path) -> tuple[bool, str]:
    first = _run(tmp)
    if first.returncode != 0:
        return False, f"run exited {first.returncode}"
    before = tmp / "before.csv"
    cli("review", "export", "--out", str(before), *_dirs(tmp), cwd=tmp)
    row = _rows(before)[0]
    _write(tmp / "edit.csv", [dict(row, decision="edit", gene="KRAS", curator="ann")])
    if cli("review", "import", str(tmp / "edit.csv"), *_dirs(tmp), cwd=tmp).returncode != 0:
        return False, "the edit was not recorded"
    # the sheet exported before the edit shows the extracted values
    _write(tmp / "accept.csv", [dict(row, decision="accept", curator="bob")])
    proc = cli("review", "import", str(tmp / "accept.csv"), *_dirs(tmp), cwd=tmp)
    latest = _latest_decisions(tmp)
    if proc.returncode == 0:
        return False, f"accept recorded over the edit (latest now {latest.get(row['triple_id'])!r})"
    if latest.get(row["triple_id"]) != "edit":
        return False, f"latest decision is {latest.get(row['triple_id'])!r}, not the edit"
    last = [line for line in proc.stderr.splitlines() if line.strip()][-1]
    return True, f"exit {proc.returncode}: {last.strip()[:120]}"


def extract_out_dir_refused(tmp: Path) -> tuple[bool, str]:
    doc = tmp / "a.txt"
    doc.write_text("The EGFR C797S mutation confers resistance to osimertinib in EGFR-mutant NSCLC.\n", encoding="utf-8")
    out = tmp / "out"
    out.mkdir()
    t0 = time.perf_counter()
    proc = cli("extract", str(doc), "--out", str(out), cwd=tmp, timeout=300)
    secs = time.perf_counter() - t0
    if proc.returncode == 0 or not one_line_error(proc):
        return False, f"exit {proc.returncode}: {proc.stderr.strip()[-200:]}"
    if "directory" not in proc.stderr or "triples from" in proc.stderr:
        return False, f"not refused before the work: {proc.stderr.strip()[-200:]}"
    return True, f"exit {proc.returncode} in {secs:.1f}s: {proc.stderr.strip()[:100]}"


CHECKS = [
    ("state DB emptied after releases: refused", emptied_db_refused),
    ("state DB deleted: refused", deleted_db_refused),
    ("work dir lost beside curated releases: refused", lost_workdir_refused),
    ("review restore RELEASE rebuilds decisions", restore_rebuilds_decisions),
    ("review restore keeps a newer decision", restore_keeps_newer_decision),
    ("accept after edit: refused", accept_after_edit_refused),
    ("extract --out DIR: refused before work", extract_out_dir_refused),
]
