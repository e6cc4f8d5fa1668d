"""The polite HTTP client against the local replay server: retries, limits, cache, store."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from replay_server import CTGOV, EUTILS, fixtures_available

from pipeline.config import HttpSettings, Settings
from pipeline.sources.ctgov.parse import parse_study_object
from pipeline.sources.eutils.parse import parse_esearch
from pipeline.sources.http import (
    PoliteClient,
    TokenBucket,
    parse_retry_after,
    redact,
    service_rates,
)
from pipeline.sources.rawstore import RawStore
from schemas.errors import FetchError, HTTPStatusError, ParseError, UnsafeXMLError

pytestmark = pytest.mark.skipif(not fixtures_available(), reason="../shared/fixtures not present")

FAST = HttpSettings(timeout=10.0, max_retries=3, backoff_base=0.01, backoff_max=0.05)


class Sleeps:
    """A fake clock: records requested sleeps without sleeping, and time moves only when one is requested.

    The client's rate-limit buckets read this clock too, so with the test rates (1000/s, i.e. 1 ms)
    and backoffs of at least ``backoff_base / 2`` no bucket ever has to wait: every recorded sleep
    is a retry backoff, however fast or slow the machine is.
    """

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(tmp_path: Path, http: HttpSettings = FAST, **kw) -> tuple[PoliteClient, RawStore, Sleeps]:
    sleeps = Sleeps()
    store = RawStore(tmp_path / "raw")
    kw.setdefault("rates", {"ctgov": 1000.0, "ncbi": 1000.0, "europepmc": 1000.0})
    client = PoliteClient(http, cache_path=tmp_path / "http_cache.sqlite", raw_store=store, sleep=sleeps,
                          clock=sleeps.clock, rng=lambda: 0.5, **kw)
    return client, store, sleeps


def test_500_then_success_retries_and_stores_once(server, tmp_path):
    server.inject("500", f"{CTGOV}/studies/NCT03418623")
    client, store, sleeps = make_client(tmp_path)
    resp = client.get("ctgov", f"{server.url(CTGOV)}/studies/NCT03418623", source="ctgov", source_id="NCT03418623",
                      validate=parse_study_object)
    assert [e.status for e in client.log] == [500, 200]
    assert len(sleeps.calls) == 1 and 0 < sleeps.calls[0] <= FAST.backoff_max
    assert resp.raw is not None and store.latest("ctgov", "NCT03418623").sha256 == resp.raw.sha256


def test_429_honours_retry_after_capped_by_backoff_max(server, tmp_path):
    server.inject("429", f"{CTGOV}/version", retry_after="30")
    client, _, sleeps = make_client(tmp_path)
    client.get("ctgov", f"{server.url(CTGOV)}/version")
    assert [e.status for e in client.log] == [429, 200]
    assert sleeps.calls == [FAST.backoff_max]  # Retry-After 30 s capped at backoff_max


def test_429_retry_after_used_when_below_cap(server, tmp_path):
    server.inject("429", f"{CTGOV}/version", retry_after="2")
    client, _, sleeps = make_client(tmp_path, HttpSettings(timeout=1, max_retries=2, backoff_base=0.01, backoff_max=5))
    client.get("ctgov", f"{server.url(CTGOV)}/version")
    assert sleeps.calls == [2.0]


def test_persistent_429_gives_up_after_bounded_retries(server, tmp_path):
    server.inject("429", f"{CTGOV}/version", times=10)
    client, _, sleeps = make_client(tmp_path)
    with pytest.raises(HTTPStatusError) as info:
        client.get("ctgov", f"{server.url(CTGOV)}/version", source_id="version")
    assert info.value.status == 429
    assert "version" in str(info.value) and "API rate limit exceeded" in str(info.value)
    assert len(client.log) == FAST.max_retries + 1 and len(sleeps.calls) == FAST.max_retries


def test_404_fails_at_once_with_the_service_message(server, tmp_path):
    client, _, sleeps = make_client(tmp_path)
    with pytest.raises(HTTPStatusError) as info:
        client.get("ctgov", f"{server.url(CTGOV)}/studies/NCT99999999", source_id="NCT99999999")
    assert info.value.status == 404
    assert "NCT number NCT99999999 not found" in str(info.value)
    assert len(client.log) == 1 and sleeps.calls == []


def test_400_malformed_fails_at_once(server, tmp_path):
    client, _, _ = make_client(tmp_path)
    with pytest.raises(HTTPStatusError) as info:
        client.get("ctgov", f"{server.url(CTGOV)}/studies/NCT0429119", source_id="NCT0429119")
    assert info.value.status == 400 and "incorrect format" in str(info.value)


def test_timeout_is_retried(server, tmp_path):
    server.inject("slow", f"{CTGOV}/version", delay=1.0)
    client, _, _ = make_client(tmp_path, HttpSettings(timeout=0.2, max_retries=2, backoff_base=0.01, backoff_max=0.02))
    client.get("ctgov", f"{server.url(CTGOV)}/version")
    assert client.log[0].error == "timed out" and client.log[0].status == 0
    assert client.log[-1].status == 200


def test_timeouts_exhausted_raise_fetch_error_naming_item(server, tmp_path):
    server.inject("slow", f"{CTGOV}/version", delay=0.6, times=5)
    client, _, _ = make_client(tmp_path, HttpSettings(timeout=0.1, max_retries=1, backoff_base=0.01, backoff_max=0.02))
    with pytest.raises(FetchError, match="version-item: ctgov request failed after 2 attempts: timed out"):
        client.get("ctgov", f"{server.url(CTGOV)}/version", source_id="version-item")


def test_connection_error_is_retried_then_fails(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client, _, sleeps = make_client(tmp_path)
    with pytest.raises(FetchError, match="connection failed"):
        client.get("ctgov", f"http://127.0.0.1:{port}/api/v2/version", source_id="version")
    assert [e.error for e in client.log] == ["connection failed"] * (FAST.max_retries + 1)
    # one backoff per retry, exponential with the fixed jitter (rng 0.5: 3/4 of the capped delay), no rate-limit waits
    expected = [0.75 * min(FAST.backoff_max, FAST.backoff_base * 2 ** n) for n in range(FAST.max_retries)]
    assert sleeps.calls == pytest.approx(expected) and client.waits == []


def test_backoff_is_exponential_with_jitter_and_capped(tmp_path):
    http = HttpSettings(timeout=1, max_retries=5, backoff_base=1.0, backoff_max=6.0)
    lo = PoliteClient(http, rng=lambda: 0.0)
    hi = PoliteClient(http, rng=lambda: 1.0)
    assert [lo._backoff(n, None) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    assert [hi._backoff(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 6.0]
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 10) == pytest.approx(10.0)


def test_token_bucket_spaces_requests_per_service():
    now = [0.0]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    bucket = TokenBucket(3.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        bucket.acquire()
    assert sleeps == pytest.approx([1 / 3, 1 / 3, 1 / 3])


def test_service_rates_cap_public_services():
    s = Settings()
    assert service_rates(s) == {"ncbi": 3.0, "ctgov": 1.0, "europepmc": 3.0}
    s.ncbi.api_key = "secret"
    assert service_rates(s)["ncbi"] == 10.0
    s.ncbi.requests_per_second = 50
    s.ctgov.requests_per_second = 20
    assert service_rates(s)["ncbi"] == 10.0 and service_rates(s)["ctgov"] == 1.0
    s.ctgov.url = "http://127.0.0.1:9/ctgov/api/v2"
    assert service_rates(s)["ctgov"] == 20  # a local stand-in is not clinicaltrials.gov


def test_ncbi_identification_params_and_api_key_redaction(server, tmp_path):
    server.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biomcp_esearch_pten_d326n.json")
    client, store, _ = make_client(tmp_path, ncbi_params={"tool": "oncotriples", "email": "a@b.org", "api_key": "SECRET"})
    resp = client.get("ncbi", f"{server.url(EUTILS)}/esearch.fcgi", params={"db": "pubmed", "term": "x"},
                      source="pubmed-search", source_id="q1", validate=parse_esearch)
    sent = server.served[-1].query
    assert sent["tool"] == "oncotriples" and sent["email"] == "a@b.org" and sent["api_key"] == "SECRET"
    assert "SECRET" not in client.log[-1].url and "SECRET" not in resp.raw.url
    assert "SECRET" not in redact("http://h/e?api_key=SECRET&db=pubmed")


def test_post_for_large_id_lists(server, tmp_path):
    server.add_file("POST", f"{EUTILS}/efetch.fcgi", "pubmed_efetch/biopython_pubmed2.xml", params={"db": "pubmed"})
    client, _, _ = make_client(tmp_path)
    ids = ",".join(str(10_000_000 + i) for i in range(300))
    client.post("ncbi", f"{server.url(EUTILS)}/efetch.fcgi", data={"db": "pubmed", "id": ids})
    assert server.served[-1].method == "POST" and server.served[-1].query["id"] == ids
    assert client.log[-1].method == "POST" and len(client.log[-1].url) < 200


def test_second_run_revalidates_and_downloads_nothing(server, tmp_path):
    url = f"{server.url(CTGOV)}/studies/NCT04267848"
    first, store, _ = make_client(tmp_path)
    r1 = first.get("ctgov", url, source="ctgov", source_id="NCT04267848", validate=parse_study_object)
    first.close()
    second, _, _ = make_client(tmp_path)
    r2 = second.get("ctgov", url, source="ctgov", source_id="NCT04267848", validate=parse_study_object)
    assert first.downloads() == 1 and second.downloads() == 0
    assert second.log[0].from_cache and second.log[0].revalidated
    assert [s.status for s in server.served] == [200, 304]
    assert r1.content == r2.content and len(store.history("ctgov", "NCT04267848")) == 1


def test_bad_body_is_rejected_not_cached_and_good_one_kept(server, tmp_path):
    url = f"{server.url(CTGOV)}/studies/NCT03418623"
    client, store, _ = make_client(tmp_path)
    good = client.get("ctgov", url, source="ctgov", source_id="NCT03418623", validate=parse_study_object)
    server.inject("html200", f"{CTGOV}/studies/NCT03418623")
    server.etags = False  # force a full answer instead of 304
    with pytest.raises(ParseError, match="NCT03418623: ctgov answered 200 with an unusable body: .*HTML"):
        client.get("ctgov", url, source="ctgov", source_id="NCT03418623", validate=parse_study_object)
    assert store.latest("ctgov", "NCT03418623").sha256 == good.raw.sha256  # nothing stored lost
    assert store.latest("rejected", "ctgov:NCT03418623") is not None  # bad body kept aside
    again = client.get("ctgov", url, source="ctgov", source_id="NCT03418623", validate=parse_study_object)
    assert again.content == good.content and server.served[-1].status == 200


def test_unsafe_xml_is_refused(server, tmp_path):
    server.inject("billion_laughs", f"{EUTILS}/esearch.fcgi")
    server.add_file("GET", f"{EUTILS}/esearch.fcgi", "eutils/biopython_esearch1.xml")
    client, _, _ = make_client(tmp_path)
    with pytest.raises(UnsafeXMLError, match="q-laughs"):
        client.get("ncbi", f"{server.url(EUTILS)}/esearch.fcgi", source="pubmed-search", source_id="q-laughs",
                   validate=parse_esearch)


def test_replay_log_drops_requests_answered_after_reset(server, tmp_path):
    """A slow request the client gave up on must not land in the next test's request log
    (it did under CPU load and broke test_second_run_revalidates_and_downloads_nothing)."""
    server.inject("slow", f"{CTGOV}/version", delay=0.5, times=2)
    client, _, _ = make_client(tmp_path, HttpSettings(timeout=0.05, max_retries=1, backoff_base=0.01, backoff_max=0.02))
    with pytest.raises(FetchError):
        client.get("ctgov", f"{server.url(CTGOV)}/version", source_id="version-item")
    server.reset()
    time.sleep(0.8)  # both server threads have answered by now
    assert server.served == []
