"""Pipeline faults: damaged raw objects and caches, a shared releases folder, failed fetches, full or read-only disks.

Every check runs ``oncotriples run --offline`` (rules only, ``--ner-model none``) in its scratch
directory, injects the fault and looks at the exit code, the ``--json`` summary and the releases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scripts.faults._util import ROOT, one_line_error
from scripts.faults._util import cli as _cli

DOC = "demo_egfr_review"
"""A Markdown demo document: the extract stage reads its raw bytes."""
PAUSE_HOOK = ROOT / "tests" / "pause_hook.py"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``oncotriples ARGS`` with a deadline that leaves room for a loaded machine."""
    return _cli(*args, cwd=cwd, timeout=300.0)


def run_args(tmp: Path, *extra: str, work: str = "work", releases: str = "releases") -> list[str]:
    return ["run", "--offline", "--ner-model", "none", "--json", "--workdir", str(tmp / work), "--releases-dir", str(tmp / releases), *extra]


def summary(proc: subprocess.CompletedProcess[str]) -> dict:
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}


def releases(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / "manifest.json").is_file()) if folder.is_dir() else []


def own_snapshot(tmp: Path) -> Path:
    """A private copy of the demo snapshot, given to the run through a config file; returns the config."""
    snap = tmp / "snap"
    shutil.copytree(ROOT / "data" / "demo", snap)
    config = tmp / "config.toml"
    config.write_text(f'[pipeline]\ndemo_dir = "{snap}"\n', encoding="utf-8")
    return config


def raw_object(tmp: Path, root: str = "work/raw") -> Path:
    """The raw object of DOC's newest record under ``tmp/root``."""
    records = sorted((tmp / root / "records" / "demo" / DOC).glob("*.json"))
    sha = json.loads(records[-1].read_text(encoding="utf-8"))["sha256"]
    return tmp / root / "objects" / sha[:2] / sha


def first_run(tmp: Path, *extra: str) -> tuple[bool, str, dict]:
    proc = cli(*run_args(tmp, *extra), cwd=tmp)
    got = summary(proc)
    if proc.returncode != 0 or got.get("release") != "1.0.0":
        return False, f"first run: exit {proc.returncode}, release {got.get('release')}: {proc.stderr.strip()[-300:]}", got
    return True, "", got


# ------------------------------------------------------------------ checks


def raw_object_deleted(tmp: Path) -> tuple[bool, str]:
    ok, why, first = first_run(tmp)
    if not ok:
        return False, why
    obj = raw_object(tmp)
    obj.unlink()
    proc = cli(*run_args(tmp, "--force"), cwd=tmp)
    got = summary(proc)
    held = proc.returncode == 0 and obj.is_file() and got.get("removed") == 0 and releases(tmp / "releases") == ["1.0.0"]
    return held, f"exit {proc.returncode}, object {'back' if obj.is_file() else 'still missing'}, removed {got.get('removed')}, releases {releases(tmp / 'releases')}"


def raw_object_lost_everywhere(tmp: Path) -> tuple[bool, str]:
    config = own_snapshot(tmp)
    ok, why, first = first_run(tmp, "--config", str(config))
    if not ok:
        return False, why
    obj = raw_object(tmp)
    obj.unlink()
    (tmp / "snap" / obj.relative_to(tmp / "work" / "raw")).unlink()  # the snapshot cannot repair it
    proc = cli(*run_args(tmp, "--force", "--config", str(config)), cwd=tmp)
    got = summary(proc)
    held = proc.returncode == 2 and got.get("release") == "1.0.0" and releases(tmp / "releases") == ["1.0.0"]
    failed = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    return held, f"exit {proc.returncode}, releases {releases(tmp / 'releases')}; {failed[-1][:160] if failed else 'no failure line'}"


def truncated_cache(kind: str) -> Callable[[Path], tuple[bool, str]]:
    def check(tmp: Path) -> tuple[bool, str]:
        ok, why, first = first_run(tmp)
        if not ok:
            return False, why
        path = tmp / "work" / ("parsed" if kind == "parsed" else "extracted") / (f"{DOC}.json" if kind == "parsed" else f"{DOC}.meta.json")
        path.write_bytes(path.read_bytes()[:40])
        # --force re-extracts (the parsed cache is still read); --no-release skips the up-to-date shortcut
        proc = cli(*run_args(tmp, "--force" if kind == "parsed" else "--no-release"), cwd=tmp)
        try:
            json.loads(path.read_text(encoding="utf-8"))
            rebuilt = True
        except ValueError:
            rebuilt = False
        got = summary(proc)
        held = proc.returncode == 0 and rebuilt and got.get("triples") == first.get("triples")
        return held, f"exit {proc.returncode}, cache {'rebuilt' if rebuilt else 'still truncated'}, triples {got.get('triples')} (first {first.get('triples')})"

    return check


def shared_releases_dir(tmp: Path) -> tuple[bool, str]:
    rel = tmp / "releases"
    first = subprocess.Popen([sys.executable, str(PAUSE_HOOK), "release:15", *run_args(tmp, work="a")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp)
    try:
        prepared = cli(*run_args(tmp, "--no-release", work="b"), cwd=tmp)
        if prepared.returncode != 0:
            return False, f"second work dir not prepared: exit {prepared.returncode}"
        deadline = time.monotonic() + 120
        while not list(rel.glob(".tmp-1.0.0-*")) and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.2)
        if not list(rel.glob(".tmp-1.0.0-*")):
            return False, "the first job never started writing its release"
        second = cli("release", "--workdir", str(tmp / "b"), "--releases-dir", str(rel), cwd=tmp)
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    held = first.returncode == 0 and second.returncode == 0 and releases(rel) == ["1.0.0"] and not list(rel.glob(".tmp-*"))
    return held, f"first job exit {first.returncode}, second exit {second.returncode}, releases {releases(rel)}"


def all_fetches_failed(tmp: Path) -> tuple[bool, str]:
    dead = "http://127.0.0.1:9"  # nothing listens on the discard port: every request is refused
    config = tmp / "config.toml"
    config.write_text(
        "[http]\nmax_retries = 0\ntimeout = 2.0\nbackoff_base = 0.01\nbackoff_max = 0.01\n"
        f'[ncbi]\neutils_url = "{dead}"\n[ctgov]\nurl = "{dead}"\n'
        '[sources]\ndois = ["10.1056/NEJMoa1715274"]\npmids = ["29768149"]\npubmed_queries = ["osimertinib resistance"]\nnct_ids = ["NCT04267848"]\n',
        encoding="utf-8",
    )
    proc = cli("run", "--config", str(config), "--ner-model", "none", "--json", "--workdir", str(tmp / "work"),
               "--releases-dir", str(tmp / "releases"), cwd=tmp)
    got = summary(proc)
    held = proc.returncode == 2 and not releases(tmp / "releases") and got.get("release") is None
    return held, f"exit {proc.returncode}, failed {got.get('failed')}, releases {releases(tmp / 'releases') or 'none'}"


def read_only_releases_dir(tmp: Path) -> tuple[bool, str]:
    rel = tmp / "releases"
    rel.mkdir()
    rel.chmod(0o555)
    immutable = False
    if _writable(rel) and shutil.which("chattr"):  # root: chmod does not stop writes
        immutable = subprocess.run(["chattr", "+i", str(rel)], capture_output=True, check=False).returncode == 0
        if not immutable:
            return False, "running as root without chattr: cannot make a read-only folder"
    try:
        proc = cli(*run_args(tmp), cwd=tmp)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(rel)], capture_output=True, check=False)
        rel.chmod(0o755)
    return _one_line_with_json(proc, str(rel))


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    return True


def _patched_cli(tmp: Path, patch: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter after ``patch`` (Python source) ran: how an OS fault is injected."""
    code = f"{patch}\nimport sys\nfrom pipeline.cli import app\nsys.argv = ['oncotriples', *sys.argv[1:]]\napp()\n"
    return subprocess.run([sys.executable, "-c", code, *run_args(tmp)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def full_disk(tmp: Path) -> tuple[bool, str]:
    patch = ("import errno, os\n"
             "def full(fd):\n    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
             "os.fsync = full")
    proc = _patched_cli(tmp, patch)
    held, detail = _one_line_with_json(proc, str(tmp / "work"))
    return held and "No space left on device" in proc.stderr, detail


def full_state_database(tmp: Path) -> tuple[bool, str]:
    patch = (
        "from pipeline.state import db\n"
        "opened = db.StateDB.__init__\n"
        "def no_room(self, *a, **k):\n"
        "    opened(self, *a, **k)\n"
        "    self.conn.execute('CREATE TABLE IF NOT EXISTS filler (x BLOB)')\n"
        "    pages = self.conn.execute('PRAGMA page_count').fetchone()[0]\n"
        "    self.conn.execute(f'PRAGMA max_page_count = {pages}')\n"
        "    self.conn.execute('CREATE TEMP TRIGGER needs_room AFTER INSERT ON main.triples BEGIN INSERT INTO filler VALUES (zeroblob(65536)); END')\n"
        "db.StateDB.__init__ = no_room"
    )
    proc = _patched_cli(tmp, patch)
    held, detail = _one_line_with_json(proc, str(tmp / "work" / "state.sqlite"))
    return held and "cannot rollback" not in proc.stderr + proc.stdout, detail


def corrupt_state_database(tmp: Path) -> tuple[bool, str]:
    import sqlite3

    ok, why, _ = first_run(tmp)
    if not ok:
        return False, why
    path = tmp / "work" / "state.sqlite"
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'decisions' AND rootpage > 0")]
    finally:
        conn.close()
    with open(path, "r+b") as fh:  # the decisions table and its index, read by apply_curation
        for root in roots:
            fh.seek((root - 1) * size)
            fh.write(b"\xa5" * size)
    proc = cli(*run_args(tmp, "--force"), cwd=tmp)
    return _one_line_with_json(proc, str(path))


def _one_line_with_json(proc: subprocess.CompletedProcess[str], names: str) -> tuple[bool, str]:
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    got = summary(proc)
    held = (proc.returncode == 1 and one_line_error(proc) and len(errors) == 1 and names in errors[0]
            and got.get("status") == "error" and got.get("exit_code") == 1)
    return held, f"exit {proc.returncode}, json {got.get('status')}: {(errors[0] if errors else proc.stderr.strip()[-200:])[:200]}"


CHECKS = [
    ("raw object deleted: re-ingested, no release drops triples", raw_object_deleted),
    ("raw object lost in snapshot too: item failed, no release drops triples", raw_object_lost_everywhere),
    ("truncated parsed cache: rebuilt", truncated_cache("parsed")),
    ("truncated extraction meta: rebuilt", truncated_cache("meta")),
    ("two work dirs, one releases dir: in-progress release kept", shared_releases_dir),
    ("all fetches failed: no empty release", all_fetches_failed),
    ("read-only releases dir: one-line error + json", read_only_releases_dir),
    ("full disk (ENOSPC): one-line error + json", full_disk),
    ("full state database: one-line error, no 'cannot rollback'", full_state_database),
    ("corrupt state database: one-line error + json", corrupt_state_database),
]
