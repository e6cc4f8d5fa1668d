"""The polite client under hostile servers: redirects off the service's host, redirect loops,
oversized and compressed bodies, trickling servers.

A scripted raw-socket server on 127.0.0.1 answers each request with exactly the bytes a test
gives it (lying ``Content-Length``, headers one byte at a time), which an HTTP framework would
not send. Every answer is bounded in time, so a client that does not hold makes a test fail,
never hang.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import HttpSettings, Settings
from pipeline.sources.http import PoliteClient
from pipeline.sources.rawstore import RawStore
from schemas.errors import DeadlineError, ParseError, RedirectError, ResponseTooLargeError

ROOT = Path(__file__).resolve().parents[1]


def _load_servers():
    """The fault checks' raw-socket server module (``scripts/faults/_servers.py``), loaded by path."""
    spec = importlib.util.spec_from_file_location("fault_servers", ROOT / "scripts" / "faults" / "_servers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through the module
    spec.loader.exec_module(module)
    return module


_servers = _load_servers()
Seen, RawServer, head, ok, redirect = _servers.Seen, _servers.RawServer, _servers.head, _servers.ok, _servers.redirect


KIB, MIB = 1024, 1024 * 1024
FAST = HttpSettings(timeout=5.0, max_retries=1, backoff_base=0.01, backoff_max=0.02, cache=True, deadline=20.0,
                    max_body_bytes={"ncbi": MIB, "ctgov": MIB, "europepmc": MIB, "bioc": MIB},
                    rejected_keep_bytes=4 * KIB)


def make_client(tmp_path: Path, http: HttpSettings = FAST, **kw) -> tuple[PoliteClient, RawStore]:
    store = RawStore(tmp_path / "raw")
    client = PoliteClient(http, cache_path=tmp_path / "http_cache.sqlite", raw_store=store,
                          rates={"ncbi": 1000.0, "ctgov": 1000.0, "europepmc": 1000.0}, sleep=lambda s: None, **kw)
    return client, store


def json_ok(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from exc


# -- 6. redirects ------------------------------------------------------------------------------


def test_a_302_to_another_host_is_refused_naming_both_urls(tmp_path):
    with RawServer(lambda s: ok(b'{"elsewhere": true}')) as other, \
            RawServer(lambda s: redirect(302, f"{other.url}/studies/NCT1")) as origin:
        client, _ = make_client(tmp_path)
        with pytest.raises(RedirectError) as info:
            client.get("ctgov", f"{origin.url}/studies/NCT1", source_id="NCT1")
        message = str(info.value)
        assert "NCT1" in message and f"{origin.url}/studies/NCT1" in message and f"{other.url}/studies/NCT1" in message
        assert other.seen == []


@pytest.mark.parametrize("status,method", [(307, "POST"), (308, "POST"), (302, "GET"), (303, "POST")])
def test_a_redirect_never_takes_ncbi_credentials_to_another_host(tmp_path, status, method):
    with RawServer(lambda s: ok(b"<eSearchResult/>", "text/xml")) as other, \
            RawServer(lambda s: redirect(status, f"{other.url}{s.target}")) as origin:
        client, _ = make_client(tmp_path, ncbi_params={"tool": "t", "email": "me@example.org", "api_key": "SECRET"})
        with pytest.raises(RedirectError) as info:
            if method == "POST":
                client.post("ncbi", f"{origin.url}/efetch.fcgi", data={"db": "pubmed", "id": "1,2,3"}, source_id="batch")
            else:
                client.get("ncbi", f"{origin.url}/efetch.fcgi", params={"db": "pubmed", "id": "1"}, source_id="batch")
        sent = origin.seen[0].body if method == "POST" else origin.seen[0].target.encode()
        assert b"SECRET" in sent and b"me%40example.org" in sent  # the service itself gets them
        assert other.seen == []  # the other host never does
        assert "SECRET" not in str(info.value) and other.url in str(info.value)


def test_a_redirect_to_another_scheme_on_the_same_host_is_refused(tmp_path):
    with RawServer(lambda s: redirect(301, "https://127.0.0.1:1/x")) as origin:
        client, _ = make_client(tmp_path)
        with pytest.raises(RedirectError, match="https://127.0.0.1:1/x"):
            client.get("europepmc", f"{origin.url}/x", source_id="x")


def test_redirects_within_the_service_host_are_followed_and_307_keeps_the_body(tmp_path):
    def answer(seen: Seen) -> Iterator[bytes]:
        if seen.target.startswith("/old"):
            return redirect(307, "/new")
        return ok(b'{"ok": 1}')

    with RawServer(answer) as origin:
        client, _ = make_client(tmp_path, ncbi_params={"email": "me@example.org"})
        resp = client.post("ncbi", f"{origin.url}/old", data={"id": "42"}, validate=json_ok)
        assert resp.parsed == {"ok": 1} and resp.url == f"{origin.url}/new"
        assert [(s.method, s.target) for s in origin.seen] == [("POST", "/old"), ("POST", "/new")]
        assert origin.seen[1].body == origin.seen[0].body and b"id=42" in origin.seen[1].body


def _ping_pong(seen: Seen) -> Iterator[bytes]:
    return redirect(302, "/b" if seen.target.startswith("/a") else "/a")


def _onwards(seen: Seen) -> Iterator[bytes]:
    return redirect(308, f"/n{int(seen.target.rsplit('/n', 1)[-1] or 0) + 1}")


@pytest.mark.parametrize("answer", [lambda s: redirect(302, s.target), _ping_pong, _onwards],
                         ids=["to-itself", "ping-pong", "endless-chain"])
def test_a_redirect_loop_fails_the_item_with_a_fetch_error(tmp_path, answer):
    with RawServer(answer) as origin:
        client, _ = make_client(tmp_path)
        with pytest.raises(RedirectError, match="NCT9: ctgov redirect loop"):
            client.get("ctgov", f"{origin.url}/a/n", source_id="NCT9")
        assert 1 <= len(origin.seen) <= FAST.max_redirects + 1


LOOP_CONFIG = """
[http]
max_retries = 1
backoff_base = 0.01
backoff_max = 0.02
[sources]
dois = []
pmids = []
pmcids = []
pubmed_queries = []
nct_ids = ["NCT03418623"]
"""


def test_a_redirect_loop_in_run_is_one_failed_item_with_the_json_summary(tmp_path):
    with RawServer(lambda s: redirect(302, s.target)) as origin:
        config = tmp_path / "config.toml"
        config.write_text(LOOP_CONFIG, encoding="utf-8")
        env = {**os.environ, **{f"ONCOTRIPLES_{n}_URL": f"{origin.url}/{n.lower()}" for n in ("CTGOV", "EUTILS", "BIOC", "EUROPEPMC")}}
        stats = tmp_path / "stats.json"
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "oncotriples"), "run", "--config", str(config), "--workdir",
             str(tmp_path / "work"), "--releases-dir", str(tmp_path / "releases"), "--ner-model", "none",
             "--no-release", "--json", "--stats-json", str(stats)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
        )
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 2, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["status"] == "partial" and summary["exit_code"] == 2 and summary["failed"] >= 1
    failures = {f["item"]: f["message"] for f in json.loads(stats.read_text(encoding="utf-8"))["failures"]}
    assert "redirect" in failures.get("NCT03418623", ""), failures
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:") and "NCT03418623" in line]
    assert errors and all("\n" not in e for e in errors)


# -- 9. response size and time -------------------------------------------------------------------


def test_every_service_has_a_body_limit_by_default():
    limits = Settings().http.max_body_bytes
    assert {"ncbi", "bioc", "ctgov", "europepmc"} <= set(limits)
    assert all(MIB <= n <= 1024 * MIB for n in limits.values())
    assert HttpSettings().deadline > HttpSettings().timeout


def _huge_declared(seen: Seen) -> Iterator[bytes]:
    """Claims 2 GB, then sends zeros (at most 64 MB, so a client that reads on ends the test)."""
    yield head(200, {"Content-Type": "application/json"}, length=2 * 1024 * MIB)
    for _ in range(1024):
        yield b"\0" * (64 * KIB)


def test_a_huge_content_length_is_refused_and_only_a_small_prefix_kept(tmp_path):
    with RawServer(_huge_declared) as origin:
        client, store = make_client(tmp_path)
        with pytest.raises(ResponseTooLargeError, match=r"NCT2: ctgov .*2147483648 bytes.*1048576"):
            client.get("ctgov", f"{origin.url}/studies/NCT2", source="ctgov", source_id="NCT2", validate=json_ok)
        assert origin.sent < 16 * MIB  # stopped at once (what is sent fills the socket buffers, no more)
        assert store.latest("ctgov", "NCT2") is None
        kept = store.latest("rejected", "ctgov:NCT2")
        assert kept is not None and kept.size <= FAST.rejected_keep_bytes


def _endless(seen: Seen) -> Iterator[bytes]:
    """No Content-Length, 64 MB of zeros or until the client hangs up."""
    yield head(200, {"Content-Type": "application/json"})
    for _ in range(1024):
        yield b"\0" * (64 * KIB)


def test_a_body_without_length_is_cut_off_while_streaming(tmp_path):
    with RawServer(_endless) as origin:
        client, _ = make_client(tmp_path)
        with pytest.raises(ResponseTooLargeError, match="europepmc"):
            client.get("europepmc", f"{origin.url}/search", source_id="q")
        assert origin.sent < 16 * MIB


def _bomb(encoding: str, size: int) -> bytes:
    if encoding == "gzip":
        return gzip.compress(b"\0" * size, compresslevel=9)
    return zlib.compress(b"\0" * size, 9)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_is_stopped_at_the_decompressed_limit(tmp_path, encoding):
    body = _bomb(encoding, 256 * MIB)  # ~250 KB on the wire, 256 MB decompressed
    with RawServer(lambda s: iter([head(200, {"Content-Encoding": encoding}, length=len(body)) + body])) as origin:
        client, store = make_client(tmp_path)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError, match="decompress"):
                client.get("ncbi", f"{origin.url}/efetch.fcgi", source="pubmed", source_id="bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 32 * MIB, f"peak {peak / MIB:.0f} MB"
        kept = store.latest("rejected", "pubmed:bomb")
        assert kept is not None and kept.size <= FAST.rejected_keep_bytes


def test_a_rejected_body_is_kept_only_up_to_the_cap(tmp_path):
    page = b"<html>" + b"x" * (512 * KIB) + b"</html>"
    with RawServer(lambda s: ok(page, "text/html")) as origin:
        client, store = make_client(tmp_path)
        with pytest.raises(ParseError):
            client.get("ctgov", f"{origin.url}/studies/NCT3", source="ctgov", source_id="NCT3", validate=json_ok)
        kept = store.latest("rejected", "ctgov:NCT3")
        assert kept is not None and kept.size == FAST.rejected_keep_bytes
        assert kept.headers["x-oncotriples-size"] == str(len(page))
        assert store.get_bytes(kept.sha256) == page[: FAST.rejected_keep_bytes]


def _trickle_body(seen: Seen) -> Iterator[bytes]:
    """Headers at once, then one byte a second (for at most 20 s)."""
    yield head(200, {"Content-Type": "application/json"}, length=100)
    for _ in range(20):
        yield b" "
        time.sleep(1.0)


def _trickle_headers(seen: Seen) -> Iterator[bytes]:
    """The status line and headers one byte every half second (for at most 20 s)."""
    for byte in head(200, {"Content-Type": "application/json", "X-Pad": "p" * 60}, length=2)[:40]:
        yield bytes([byte])
        time.sleep(0.5)


@pytest.mark.parametrize("answer", [_trickle_body, _trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_is_cut_off_at_the_deadline(tmp_path, answer):
    http = FAST.model_copy(update={"deadline": 2.0})
    with RawServer(answer) as origin:
        client, store = make_client(tmp_path, http)
        t0 = time.monotonic()
        with pytest.raises(DeadlineError, match=r"NCT4: ctgov .*2(\.0)? s"):
            client.get("ctgov", f"{origin.url}/studies/NCT4", source="ctgov", source_id="NCT4")
        took = time.monotonic() - t0
        assert took < 6.0, f"took {took:.1f} s"
        assert len(origin.seen) == 1  # not retried: a trickling server would multiply the wait
        assert store.latest("ctgov", "NCT4") is None


def test_backoffs_never_wait_past_the_deadline(tmp_path):
    def busy(seen: Seen) -> Iterator[bytes]:
        yield head(503, {"Retry-After": "5"}, length=4) + b"busy"

    http = FAST.model_copy(update={"deadline": 2.0, "max_retries": 5, "backoff_max": 10.0})
    with RawServer(busy) as origin:
        client, _ = make_client(tmp_path, http)
        with pytest.raises(DeadlineError, match=r"NCT5: ctgov gave no usable answer .*2 s deadline \(last: HTTP 503"):
            client.get("ctgov", f"{origin.url}/studies/NCT5", source_id="NCT5")
        assert len(origin.seen) == 1  # a 5 s Retry-After does not fit in what is left of 2 s
