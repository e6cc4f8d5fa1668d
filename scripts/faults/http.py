"""HTTP faults: redirects to another host (with the NCBI credentials), redirect loops, a huge
``Content-Length``, a gzip bomb and servers trickling one byte a second.

Each fault comes from a scripted raw-socket server on 127.0.0.1 that writes exactly the bytes the
check gives it. The client checks use ``PoliteClient`` directly; the run checks run the real command
line (``oncotriples run``) against the server and watch its exit code, ``--json`` line, recorded
failures, peak memory and wall time. Every server answer ends on its own within seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scripts.faults._servers import RawServer as Server
from scripts.faults._servers import Seen, head, ok, redirect
from scripts.faults._util import ROOT

KIB, MIB = 1024, 1024 * 1024
SECRET = "FAULT-CHECK-API-KEY"
NCT = "NCT03418623"
SERVICES = ("CTGOV", "EUTILS", "BIOC", "EUROPEPMC")


# -- running the command line ------------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    failures: dict[str, str]
    summary: dict

    def problems(self) -> list[str]:
        """What a run that held would not show: a traceback, a crash exit code, no --json line."""
        out = []
        if "Traceback (most recent call last)" in self.stderr:
            out.append(f"traceback: {self.stderr.strip().splitlines()[-1][:200]}")
        if self.code != 2:
            out.append(f"exit {self.code}, not 2 (finished, some items failed)")
        if self.summary.get("status") != "partial" or self.summary.get("exit_code") != 2:
            out.append(f"--json line {self.summary or self.stdout[-200:]!r}")
        return out


def run_cli(tmp: Path, url: str, *, http_toml: str = "", sources: dict[str, list[str]] | None = None,
            env: dict[str, str] | None = None, timeout: float = 50.0) -> Run:
    """``oncotriples run --json`` with every service at ``url``; peak RSS read from /proc while it runs.

    The items are ``sources`` (default: one NCT id); the bundled DOIs and queries are dropped.
    """
    items = {"dois": [], "pmids": [], "pmcids": [], "pubmed_queries": [], "nct_ids": [NCT], **(sources or {})}
    config = tmp / "config.toml"
    config.write_text(
        "[http]\nmax_retries = 1\nbackoff_base = 0.01\nbackoff_max = 0.02\n" + http_toml + "\n[sources]\n"
        + "".join(f"{k} = {json.dumps(v)}\n" for k, v in items.items()),
        encoding="utf-8",
    )
    stats = tmp / "stats.json"
    args = [str(Path(sys.executable).with_name("oncotriples")), "run", "--config", str(config),
            "--workdir", str(tmp / "work"), "--releases-dir", str(tmp / "releases"), "--ner-model", "none",
            "--no-release", "--json", "--stats-json", str(stats)]
    full_env = {**os.environ, **{f"ONCOTRIPLES_{n}_URL": f"{url}/{n.lower()}" for n in SERVICES}, **(env or {})}
    t0 = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    status = Path(f"/proc/{proc.pid}/status")
    result: dict[str, str] = {}
    reader = threading.Thread(target=lambda: result.update(zip(("out", "err"), proc.communicate()[:2], strict=True)))
    reader.start()
    while reader.is_alive() and time.monotonic() - t0 < timeout:
        try:
            hwm = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM"))
            peak = max(peak, int(hwm.split()[1]) / 1024)
        except (OSError, StopIteration, ValueError):
            pass  # the process is starting or has ended
        reader.join(0.05)
    if reader.is_alive():
        proc.kill()
        reader.join(5)
        raise TimeoutError(f"oncotriples run still running after {timeout:.0f} s")
    seconds = time.monotonic() - t0
    lines = [x for x in (result.get("out") or "").splitlines() if x.startswith("{")]
    summary = json.loads(lines[-1]) if lines else {}
    failures = {}
    if stats.is_file():
        failures = {f["item"]: f["message"] for f in json.loads(stats.read_text(encoding="utf-8"))["failures"]}
    return Run(proc.returncode, result.get("out", ""), result.get("err", ""), seconds, peak, failures, summary)


def _client(tmp: Path, **http: object):
    from pipeline.config import HttpSettings
    from pipeline.sources.http import PoliteClient
    from pipeline.sources.rawstore import RawStore

    settings = HttpSettings(timeout=5.0, max_retries=1, backoff_base=0.01, backoff_max=0.02, **http)
    return PoliteClient(settings, cache_path=tmp / "http_cache.sqlite", raw_store=RawStore(tmp / "raw"),
                        ncbi_params={"tool": "oncotriples", "email": "ops@example.org", "api_key": SECRET})


def _rejected_sizes(tmp: Path) -> list[int]:
    from pipeline.sources.rawstore import RawStore

    return [r.size for r in RawStore(tmp / "work" / "raw").latest_records("rejected")]


# -- checks --------------------------------------------------------------------------------------


def cross_host_302(tmp: Path) -> tuple[bool, str]:
    from schemas.errors import RedirectError

    with Server(lambda s: ok(b"{}")) as other, Server(lambda s: redirect(302, f"{other.url}{s.target}")) as origin:
        try:
            _client(tmp).get("ctgov", f"{origin.url}/ctgov/studies/{NCT}", source_id=NCT)
        except RedirectError as exc:
            message = str(exc)
        else:
            return False, f"the 302 to {other.url} was followed"
        if other.seen:
            return False, f"the other host got {len(other.seen)} request(s)"
        if origin.url not in message or other.url not in message:
            return False, f"error does not name both URLs: {message}"
        return True, f"RedirectError, other host untouched: {message[:150]}"


def cross_host_307_credentials(tmp: Path) -> tuple[bool, str]:
    from schemas.errors import RedirectError

    with Server(lambda s: ok(b"{}")) as other, Server(lambda s: redirect(307, f"{other.url}{s.target}")) as origin:
        try:
            _client(tmp).post("ncbi", f"{origin.url}/eutils/efetch.fcgi", data={"db": "pubmed", "id": "1,2"}, source_id="batch")
        except RedirectError:
            pass
        else:
            return False, "the 307 POST was re-posted to the other host"
        if SECRET.encode() not in origin.seen[0].body:
            return False, "the check is wrong: the service itself did not get the api_key"
        # the same through a run: the DOI lookup is a GET carrying email and api_key
        run = run_cli(tmp, origin.url, sources={"dois": ["10.1000/fault.check"], "nct_ids": []},
                      env={"NCBI_API_KEY": SECRET, "ONCOTRIPLES_NCBI_EMAIL": "ops@example.org"})
    leaked = [s.target[:80] for s in other.seen]
    if leaked:
        return False, f"the other host got the credentials: {leaked}"
    problems = run.problems()
    if SECRET in run.stdout + run.stderr + json.dumps(run.failures):
        problems.append("the api_key appears in the run's output")
    if not any("redirected" in m for m in run.failures.values()):
        problems.append(f"no redirect failure recorded: {run.failures}")
    if problems:
        return False, "; ".join(problems)
    return True, f"POST and run: other host got 0 requests, api_key in no output; run exit 2: {next(iter(run.failures.values()))[:100]}"


def redirect_loop_run(tmp: Path) -> tuple[bool, str]:
    with Server(lambda s: redirect(302, s.target)) as origin:
        run = run_cli(tmp, origin.url)
    problems = run.problems()
    message = run.failures.get(NCT, "")
    if "redirect loop" not in message:
        problems.append(f"{NCT} not failed with a redirect loop: {run.failures}")
    errors = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    if not errors:
        problems.append("no one-line error on stderr")
    if problems:
        return False, "; ".join(problems)
    return True, f"exit 2, --json status partial, failed {run.summary['failed']}: {message[:110]}"


def _huge(seen: Seen) -> Iterator[bytes]:
    """Claims 2 GB and sends zeros as fast as the client takes them (512 MB at most)."""
    yield head(200, {"Content-Type": "application/json"}, length=2 * 1024 * MIB)
    block = b"\0" * MIB
    for _ in range(512):
        yield block


def huge_content_length(tmp: Path) -> tuple[bool, str]:
    with Server(_huge) as origin:
        run = run_cli(tmp, origin.url)
        sent = origin.sent
    problems = run.problems()
    if not any("2147483648 bytes" in m for m in run.failures.values()):
        problems.append(f"no failure naming the declared size: {run.failures}")
    if run.peak_mb > 700 or sent > 64 * MIB:
        problems.append(f"peak {run.peak_mb:.0f} MB, {sent / MIB:.0f} MB sent: the body was read")
    kept = _rejected_sizes(tmp)
    problems += _rejected_cap_problems(kept)
    if problems:
        return False, "; ".join(problems)
    return True, f"refused on the header: {sent / MIB:.1f} MB sent, peak RSS {run.peak_mb:.0f} MB, rejected kept {max(kept)} bytes"


def _rejected_cap_problems(kept: list[int]) -> list[str]:
    """A refused body must leave a stored prefix, and no more than the 64 KiB cap."""
    return [] if kept and max(kept) <= 64 * KIB else [f"rejected bodies kept: {kept}"]


def gzip_bomb(tmp: Path) -> tuple[bool, str]:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * MIB
    bomb = b"".join(packer.compress(block) for _ in range(1024)) + packer.flush()  # 1 GB of zeros, ~1 MB
    answer = lambda s: iter([head(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, length=len(bomb)) + bomb])  # noqa: E731
    with Server(answer) as origin:
        run = run_cli(tmp, origin.url, http_toml="[http.max_body_bytes]\nctgov = 16777216\n")
    problems = run.problems()
    if not any("decompressed past 16777216" in m for m in run.failures.values()):
        problems.append(f"no failure naming the decompressed limit: {run.failures}")
    if run.peak_mb > 600:
        problems.append(f"peak RSS {run.peak_mb:.0f} MB")
    kept = _rejected_sizes(tmp)
    problems += _rejected_cap_problems(kept)
    if problems:
        return False, "; ".join(problems)
    return True, (f"{len(bomb) / MIB:.1f} MB gzip of 1 GB stopped at 16 MB decompressed; peak RSS {run.peak_mb:.0f} MB; "
                  f"rejected kept {max(kept)} bytes")


def _trickle(seen: Seen) -> Iterator[bytes]:
    """Headers at once, then one byte a second, for at most 40 s."""
    yield head(200, {"Content-Type": "application/json"}, length=100)
    for _ in range(40):
        yield b" "
        time.sleep(1.0)


def trickle_body_run(tmp: Path) -> tuple[bool, str]:
    with Server(_trickle) as origin:
        run = run_cli(tmp, origin.url, http_toml="deadline = 3\n")
        asked = len(origin.seen)
    problems = run.problems()
    if not any("deadline" in m for m in run.failures.values()):
        problems.append(f"no deadline failure: {run.failures}")
    if run.seconds > 3 * asked + 15:
        problems.append(f"took {run.seconds:.0f} s for {asked} requests with a 3 s deadline")
    if problems:
        return False, "; ".join(problems)
    return True, f"run ended (lock released) in {run.seconds:.0f} s, {asked} requests cut at 3 s: {next(iter(run.failures.values()))[:90]}"


def _trickle_headers(seen: Seen) -> Iterator[bytes]:
    for byte in head(200, {"Content-Type": "application/json", "X-Pad": "p" * 60}, length=2)[:40]:
        yield bytes([byte])
        time.sleep(0.5)


def trickle_headers(tmp: Path) -> tuple[bool, str]:
    from schemas.errors import DeadlineError

    with Server(_trickle_headers) as origin:
        t0 = time.monotonic()
        try:
            _client(tmp, deadline=2.0).get("ctgov", f"{origin.url}/ctgov/version", source_id="version")
        except DeadlineError as exc:
            took = time.monotonic() - t0
            return took < 5, f"DeadlineError after {took:.1f} s: {str(exc)[:120]}"
        return False, f"no DeadlineError; returned after {time.monotonic() - t0:.1f} s"


CHECKS = [
    ("http-redirect-302-cross-host", cross_host_302),
    ("http-redirect-307-cross-host-credentials", cross_host_307_credentials),
    ("http-redirect-loop-run", redirect_loop_run),
    ("http-huge-content-length-run", huge_content_length),
    ("http-gzip-bomb-run", gzip_bomb),
    ("http-trickle-body-run", trickle_body_run),
    ("http-trickle-headers", trickle_headers),
]
