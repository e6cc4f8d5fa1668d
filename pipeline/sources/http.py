"""One polite HTTP client for every public service the pipeline talks to.

Why one client: the politeness rules (timeouts, bounded retries with backoff and
jitter, ``Retry-After``, per-service rate limits, NCBI identification), the
on-disk HTTP cache with conditional requests, the raw store and the request log
must hold for every request, so they live in exactly one place.

Flow of one request: rate-limit token → (cached) send → retry loop on 429/5xx/
connection errors/timeouts → other 4xx raise ``HTTPStatusError`` at once →
``validate(body)`` (a parser check) → body stored in the ``RawStore``. A body that
fails validation is evicted from the HTTP cache and stored under source
``rejected`` so a bad answer never replaces a good stored one and a re-run asks
the server again.

Hostile answers fail their item, never the run. Redirects are followed by hand, only
within the scheme, host and port the request was sent to, so the NCBI ``email`` and
``api_key`` (in the query or a re-posted body) never reach another host; a loop is a
``RedirectError``. Bodies are read in chunks against the service's limit, counted
after decompression, so a lying ``Content-Length`` or a gzip bomb stops at the limit
(``ResponseTooLargeError``). A watchdog shuts the socket at the request's deadline,
which ends a server trickling headers or body (``DeadlineError``). The raw store keeps
only the first ``rejected_keep_bytes`` of a rejected body.
"""

from __future__ import annotations

import email.utils
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
import requests_cache
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pipeline.config import HttpSettings, Settings
from pipeline.sources.rawstore import RawStore, sha256_bytes
from schemas.errors import (
    DeadlineError,
    FetchError,
    HTTPStatusError,
    OncoTriplesError,
    RedirectError,
    ResponseTooLargeError,
    ServiceError,
)
from schemas.models import RawRecord
from schemas.vocab import (
    SERVICE_BIOC,
    SERVICE_CTGOV,
    SERVICE_EUROPEPMC,
    SERVICE_NCBI,
    SOURCE_REJECTED,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses worth retrying; any other 5xx is retried too (see ``_retryable``)."""

NCBI_LIMIT = 3.0
NCBI_LIMIT_WITH_KEY = 10.0
CTGOV_LIMIT = 1.0
SECRET_PARAMS = ("api_key",)
BUCKET_OF = {SERVICE_BIOC: SERVICE_NCBI}
"""Services that share another service's rate limit (same host/organisation)."""
KEPT_HEADERS = ("content-type", "etag", "last-modified", "date", "content-length", "retry-after")
CHUNK = 64 * 1024
"""Bytes read (after decompression) per step while a body streams in."""
REWRITE_TO_GET = frozenset({301, 302, 303})
"""Redirects after which a POST becomes a GET without its body, as browsers do; 307/308 keep both."""

Validator = Callable[[bytes], Any]


@dataclass(frozen=True)
class LogEntry:
    """One network attempt or cache answer, as the request log shows it."""

    method: str
    url: str
    status: int
    from_cache: bool
    service: str = ""
    revalidated: bool = False
    attempt: int = 1
    error: str = ""

    def as_tuple(self) -> tuple[str, str, int, bool]:
        return (self.method, self.url, self.status, self.from_cache)

    def describe(self) -> str:
        how = "cache-revalidated(304)" if self.revalidated else ("cache" if self.from_cache else "network")
        extra = f" attempt={self.attempt}" if self.attempt > 1 else ""
        err = f" error={self.error}" if self.error else ""
        return f"{self.method} {self.status or '---'} {how:<22} {self.url}{extra}{err}"


@dataclass
class FetchedResponse:
    """A validated response body plus where it came from."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str]
    from_cache: bool
    revalidated: bool
    raw: RawRecord | None = None
    parsed: Any = None

    @property
    def downloaded(self) -> bool:
        """True when the body crossed the network this time (not a cache hit or a 304)."""
        return not self.from_cache


class TokenBucket:
    """A token bucket of capacity 1: requests are spaced at least ``1/rate`` apart."""

    def __init__(self, rate: float, *, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.rate = max(rate, 1e-6)
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            self._next = max(now, self._next) + 1.0 / self.rate
        if wait:
            self._sleep(wait)
        return wait


class _Watch:
    """The deadline of one request: when it passes, the request's sockets are shut down.

    Per-read timeouts never end a server that sends one byte a second; shutting the socket
    from a timer thread makes the blocked read return at once, wherever it is (headers or body).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._end = time.monotonic() + seconds
        self._socks: list[socket.socket] = []
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def attach(self, conn: Any) -> None:
        """Watch the socket of ``conn``; kept by itself, since http.client drops ``conn.sock`` on "Connection: close"."""
        sock = getattr(conn, "sock", None)
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            late = self.fired
        if late:
            self._shut(sock)

    def stop(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            socks = list(self._socks)
        for sock in socks:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: nothing left to end


_active = threading.local()
"""The ``_Watch`` of the request this thread is sending, seen by the connections it uses."""


class _WatchedConnection:
    """Registers the connection with the thread's current request deadline before reading the answer."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_active, "watch", None)
        if watch is not None:
            watch.attach(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """The requests adapter whose connections obey ``_Watch`` deadlines."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


@dataclass
class _Exchange:
    """What one ``request`` call knows while it runs: its deadline and a refused body's first bytes."""

    method: str
    service: str
    item: str
    watch: _Watch
    rejected: bytes = b""
    rejected_size: str = ""
    rejected_resp: requests.Response | None = None
    hops: list[str] = field(default_factory=list)


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL; a malformed port gives an origin no request has."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return scheme, "", -1
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def redact(url: str) -> str:
    """The URL with secrets (api_key) removed, for logs and provenance."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [p for p in parts.query.split("&") if p.split("=", 1)[0] not in SECRET_PARAMS]
    return parts._replace(query="&".join(kept)).geturl()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _retryable(status: int) -> bool:
    return status in RETRY_STATUSES or 500 <= status < 600


def _service_message(resp: requests.Response) -> str:
    text = resp.content[:500].decode("utf-8", errors="replace").strip()
    return " ".join(text.split())[:300] or resp.reason or "no message"


class PoliteClient:
    """The pipeline's HTTP client; see the module docstring for the rules it enforces."""

    def __init__(
        self,
        http: HttpSettings,
        *,
        rates: Mapping[str, float] | None = None,
        cache_path: Path | None = None,
        raw_store: RawStore | None = None,
        ncbi_params: Mapping[str, str] | None = None,
        expire_after: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = http
        self.raw_store = raw_store
        self.ncbi_params = {k: v for k, v in (ncbi_params or {}).items() if v}
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._buckets = {name: TokenBucket(rate, clock=clock, sleep=sleep) for name, rate in (rates or {}).items()}
        self.log: list[LogEntry] = []
        self.waits: list[float] = []
        self.session: requests.Session
        if http.cache and cache_path is not None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            # expire_after=0: keep bodies that carry validators, revalidate on every use
            # (If-None-Match / If-Modified-Since → 304), so unchanged bodies are not re-downloaded
            # and changed ones are never served stale.
            self.session = requests_cache.CachedSession(
                str(cache_path),
                backend="sqlite",
                expire_after=expire_after,
                allowable_methods=("GET", "HEAD", "POST"),
                allowable_codes=(200,),
                stale_if_error=False,
                cache_control=False,
            )
        else:
            self.session = requests.Session()
        self.session.headers["User-Agent"] = http.user_agent
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, _WatchedAdapter())

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        raw_store: RawStore | None = None,
        workdir: Path | None = None,
        **kwargs: Any,
    ) -> PoliteClient:
        """Build the client from ``Settings``; the cache lives at ``<workdir>/http_cache.sqlite``."""
        wd = Path(workdir) if workdir is not None else settings.workdir
        return cls(
            settings.http,
            rates=service_rates(settings),
            cache_path=wd / "http_cache.sqlite",
            raw_store=raw_store,
            ncbi_params={"tool": settings.ncbi.tool, "email": settings.ncbi.email, "api_key": settings.ncbi.api_key},
            **kwargs,
        )

    # -- public API -------------------------------------------------------------------

    def get(self, service: str, url: str, *, params: Mapping[str, Any] | None = None, **kw: Any) -> FetchedResponse:
        return self.request("GET", service, url, params=params, **kw)

    def post(self, service: str, url: str, *, data: Mapping[str, Any] | None = None, **kw: Any) -> FetchedResponse:
        return self.request("POST", service, url, data=data, **kw)

    def request(
        self,
        method: str,
        service: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        source: str = "",
        source_id: str = "",
        format_hint: str = "",
        validate: Validator | None = None,
        store: bool = True,
    ) -> FetchedResponse:
        """Send one request politely; return the validated body (stored in the raw store).

        ``item`` in every error message is ``source_id`` (or the URL), so a failure
        names what could not be fetched.
        """
        params = dict(params or {})
        data = dict(data) if data is not None else None
        if service == SERVICE_NCBI:
            target = data if data is not None else params
            for key, value in self.ncbi_params.items():
                target.setdefault(key, value)
        item = source_id or redact(url)
        exchange = _Exchange(method, service, item, _Watch(self.settings.deadline))
        try:
            resp = self._send_with_retries(exchange, url, params, data)
        except ResponseTooLargeError as exc:
            if exchange.rejected_resp is not None:
                bad = exchange.rejected_resp
                refused = FetchedResponse(
                    url=redact(bad.url or url),
                    status=bad.status_code,
                    content=exchange.rejected,
                    headers={k.lower(): v for k, v in bad.headers.items() if k.lower() in KEPT_HEADERS},
                    from_cache=False,
                    revalidated=False,
                )
                self._store_rejected(refused, source or service, item, format_hint, str(exc), size=exchange.rejected_size)
            raise
        finally:
            exchange.watch.stop()
        from_cache = bool(getattr(resp, "from_cache", False))
        revalidated = bool(getattr(resp, "revalidated", False))
        shown_url = redact(resp.url or url)
        if method == "POST" and data:
            shown_url = f"{shown_url} [POST {len(urlencode(data))} bytes]"
        content = resp.content
        headers = {k.lower(): v for k, v in resp.headers.items() if k.lower() in KEPT_HEADERS}
        fetched = FetchedResponse(
            url=redact(resp.url or url),
            status=resp.status_code,
            content=content,
            headers=headers,
            from_cache=from_cache,
            revalidated=revalidated,
        )
        if validate is not None:
            try:
                fetched.parsed = validate(content)
            except OncoTriplesError as exc:
                self._evict(resp)
                self._store_rejected(fetched, source or service, item, format_hint, str(exc))
                # same error type (ParseError, UnsafeXMLError, ServiceError), message names the item
                raise type(exc)(
                    f"{item}: {service} answered {resp.status_code} with an unusable body: {exc}"
                ) from exc
        if store and self.raw_store is not None and source:
            fetched.raw = self.store(fetched, source=source, source_id=source_id or shown_url, format_hint=format_hint)
        return fetched

    def store(self, fetched: FetchedResponse, *, source: str, source_id: str, format_hint: str = "") -> RawRecord:
        """Store a body unless the newest record of this item already has the same bytes."""
        if self.raw_store is None:
            raise FetchError("no raw store configured")
        latest = self.raw_store.latest(source, source_id)
        if latest is not None and latest.sha256 == sha256_bytes(fetched.content) and latest.status == fetched.status:
            log.debug("unchanged %s/%s (sha256 %s): no new raw record", source, source_id, latest.sha256[:12])
            return latest
        return self.raw_store.put(
            fetched.content,
            source=source,
            source_id=source_id,
            url=fetched.url,
            status=fetched.status,
            content_type=fetched.headers.get("content-type", ""),
            format_hint=format_hint,
            headers=fetched.headers,
        )

    def request_log(self) -> list[tuple[str, str, int, bool]]:
        """(method, url, status, from_cache) for every attempt, oldest first."""
        return [e.as_tuple() for e in self.log]

    def downloads(self) -> int:
        """How many bodies crossed the network (status 200 answers that were not cache hits/304)."""
        return sum(1 for e in self.log if e.status == 200 and not e.from_cache)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cap = self.settings.backoff_max
        if retry_after is not None:
            return min(cap, retry_after)
        delay = min(cap, self.settings.backoff_base * (2 ** (attempt - 1)))
        return delay / 2 + self._rng() * delay / 2  # "equal jitter": never 0, never more than delay

    def _send_with_retries(
        self,
        ex: _Exchange,
        url: str,
        params: dict[str, Any],
        data: dict[str, Any] | None,
    ) -> requests.Response:
        method, service, item = ex.method, ex.service, ex.item
        attempts = self.settings.max_retries + 1
        last_problem = ""
        for attempt in range(1, attempts + 1):
            bucket = self._buckets.get(BUCKET_OF.get(service, service))
            if bucket is not None:
                waited = bucket.acquire()
                if waited:
                    self.waits.append(waited)
            try:
                resp = self._follow(ex, url, params, data, attempt)
            except (requests.Timeout, requests.ConnectionError) as exc:
                if ex.watch.fired:
                    raise self._deadline_error(ex, url) from exc
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                shown = redact(ex.hops[-1]) if ex.hops else redact(url)
                self.log.append(LogEntry(method, shown, 0, False, service, attempt=attempt, error=kind))
                last_problem = f"{kind} ({type(exc).__name__})"
                if attempt == attempts:
                    break
                delay = self._backoff(attempt, None)
                self._pause(ex, url, delay, last_problem)
                log.info("%s: %s %s %s; retry %d/%d in %.2fs", item, method, shown, kind, attempt, attempts - 1, delay)
                self._sleep(delay)
                continue
            if resp.status_code < 400:
                return resp
            message = _service_message(resp)
            if not _retryable(resp.status_code):
                raise HTTPStatusError(
                    f"{item}: {service} answered {resp.status_code}: {message}",
                    status=resp.status_code,
                    url=redact(resp.url or url),
                )
            last_problem = f"HTTP {resp.status_code}: {message}"
            if attempt == attempts:
                raise HTTPStatusError(
                    f"{item}: {service} still answered {resp.status_code} after {attempts} attempts: {message}",
                    status=resp.status_code,
                    url=redact(resp.url or url),
                )
            delay = self._backoff(attempt, parse_retry_after(resp.headers.get("Retry-After")))
            self._pause(ex, url, delay, last_problem)
            log.info("%s: %s answered %d; retry %d/%d in %.2fs", item, service, resp.status_code, attempt, attempts - 1, delay)
            self._sleep(delay)
        raise FetchError(f"{item}: {service} request failed after {attempts} attempts: {last_problem}")

    def _follow(
        self, ex: _Exchange, url: str, params: dict[str, Any], data: dict[str, Any] | None, attempt: int
    ) -> requests.Response:
        """One attempt: send, and follow redirects that stay on the request's scheme, host and port."""
        method, query, body = ex.method, params or None, data
        target = url
        visited: list[str] = []
        ex.hops = []
        while True:
            remaining = ex.watch.remaining()
            if remaining <= 0:
                raise self._deadline_error(ex, url)
            per_read = min(self.settings.timeout, remaining)
            _active.watch = ex.watch
            try:
                ex.hops.append(requests.Request(method, target, params=query).prepare().url or target)
                resp = self.session.request(
                    method,
                    target,
                    params=query,
                    data=body,
                    timeout=(per_read, per_read),
                    allow_redirects=False,
                    hooks={"response": lambda r, *a, **kw: self._read_body(ex, r)},
                )
            finally:
                _active.watch = None
            self.log.append(
                LogEntry(method, redact(resp.url or target), resp.status_code, bool(getattr(resp, "from_cache", False)),
                         ex.service, bool(getattr(resp, "revalidated", False)), attempt)
            )
            if not resp.is_redirect:
                return resp
            here = resp.url or target
            there = urljoin(here, resp.headers["location"])
            resp.close()
            if _origin(there) != _origin(url):
                raise RedirectError(
                    f"{ex.item}: {ex.service} redirected {redact(here)} to {redact(there)}, which is not on "
                    f"{_origin(url)[0]}://{urlsplit(url).netloc}; not followed"
                )
            visited.append(here)
            if there in visited or len(visited) > self.settings.max_redirects:
                chain = " -> ".join(redact(u) for u in [*visited[:5], there])
                raise RedirectError(
                    f"{ex.item}: {ex.service} redirect loop after {len(visited)} redirects (at most "
                    f"{self.settings.max_redirects} followed): {chain}"
                )
            if resp.status_code in REWRITE_TO_GET and method != "HEAD":
                method, body = "GET", None
            target, query = there, None

    def _read_body(self, ex: _Exchange, resp: requests.Response) -> requests.Response:
        """Read the body in chunks, stopping at the service's limit (a response hook, so before the cache sees it).

        An error answer or a redirect keeps only its first ``rejected_keep_bytes``: enough for the
        message, never the whole of a huge one.
        """
        limit = self.settings.max_body(ex.service)
        if resp._content is not False:  # already read: a cached answer, or this hook ran before
            if len(resp._content or b"") > limit:
                raise ResponseTooLargeError(
                    f"{ex.item}: {ex.service} cached body of {len(resp._content or b'')} bytes is more than "
                    f"the {ex.service} limit of {limit} bytes"
                )
            return resp
        keep = self.settings.rejected_keep_bytes
        ok = 200 <= resp.status_code < 300
        where = f"{ex.method} {redact(resp.url)}"
        declared = resp.headers.get("Content-Length", "").strip()
        refused_at_once = ok and declared.isdigit() and int(declared) > limit
        cap = limit if ok and not refused_at_once else keep
        encoded = resp.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        chunks: list[bytes] = []
        total = 0
        complete = False
        try:
            for chunk in resp.raw.stream(CHUNK, decode_content=True):
                chunks.append(chunk)
                total += len(chunk)
                if total > cap:
                    break
            else:
                complete = True
        except urllib3.exceptions.DecodeError as exc:
            resp.close()
            raise ServiceError(f"{ex.item}: {ex.service} sent a body that does not decompress ({where}): {exc}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            resp.close()
            if ex.watch.fired:
                raise self._deadline_error(ex, resp.url) from exc
            if not refused_at_once:
                if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                    raise requests.ReadTimeout(exc, request=resp.request, response=resp) from exc
                raise requests.ConnectionError(exc, request=resp.request, response=resp) from exc
        if not complete:
            resp.close()  # the rest is never read, so this connection is not reused
        if ex.watch.fired:
            raise self._deadline_error(ex, resp.url)
        if refused_at_once:
            self._refuse(ex, resp, chunks, declared,
                         f"{ex.item}: {ex.service} declared a body of {declared} bytes ({where}), more than the "
                         f"{ex.service} limit of {limit} bytes")
        if ok and total > cap:
            how = "decompressed" if encoded else "received"
            self._refuse(ex, resp, chunks, f">{limit}",
                         f"{ex.item}: {ex.service} body {how} past {limit} bytes ({where}), the {ex.service} "
                         f"limit{'; a compression bomb?' if encoded else ''}")
        resp._content = b"".join(chunks)[:cap]
        resp._content_consumed = True
        return resp

    def _refuse(self, ex: _Exchange, resp: requests.Response, chunks: list[bytes], size: str, message: str) -> None:
        ex.rejected = b"".join(chunks)[: self.settings.rejected_keep_bytes]
        ex.rejected_size = size
        ex.rejected_resp = resp
        raise ResponseTooLargeError(message)

    def _deadline_error(self, ex: _Exchange, url: str) -> DeadlineError:
        return DeadlineError(
            f"{ex.item}: {ex.service} did not answer {ex.method} {redact(url)} within the {ex.watch.seconds:g} s "
            f"deadline; the connection was closed"
        )

    def _pause(self, ex: _Exchange, url: str, delay: float, problem: str) -> None:
        """Refuse to back off past the deadline: the request ends within it."""
        if ex.watch.remaining() <= delay:
            raise DeadlineError(
                f"{ex.item}: {ex.service} gave no usable answer to {ex.method} {redact(url)} within the "
                f"{ex.watch.seconds:g} s deadline (last: {problem})"
            )

    def _evict(self, resp: requests.Response) -> None:
        """Drop a bad body from the HTTP cache so the next run asks the server again."""
        cache = getattr(self.session, "cache", None)
        if cache is None:
            return
        key = getattr(resp, "cache_key", None) or cache.create_key(resp.request)
        cache.delete(key)

    def _store_rejected(
        self, fetched: FetchedResponse, source: str, item: str, hint: str, why: str, *, size: str = ""
    ) -> None:
        """Keep the first ``rejected_keep_bytes`` of a refused body, for a look at what the server sent."""
        if self.raw_store is None:
            return
        self.raw_store.put(
            fetched.content[: self.settings.rejected_keep_bytes],
            source=SOURCE_REJECTED,
            source_id=f"{source}:{item}",
            url=fetched.url,
            status=fetched.status,
            content_type=fetched.headers.get("content-type", ""),
            format_hint=f"rejected:{hint}" if hint else "rejected",
            headers={
                **fetched.headers,
                "x-oncotriples-rejected": why[:500],
                "x-oncotriples-size": size or str(len(fetched.content)),
            },
        )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def service_rates(settings: Settings) -> dict[str, float]:
    """Requests per second per service; the public services' published limits are caps."""
    ncbi = settings.ncbi.requests_per_second
    if _host(settings.ncbi.eutils_url).endswith("nih.gov"):
        cap = NCBI_LIMIT_WITH_KEY if settings.ncbi.api_key else NCBI_LIMIT
        if settings.ncbi.api_key and ncbi == NCBI_LIMIT:
            ncbi = NCBI_LIMIT_WITH_KEY
        ncbi = min(ncbi, cap)
    ctgov = settings.ctgov.requests_per_second
    if _host(settings.ctgov.url).endswith("clinicaltrials.gov"):
        ctgov = min(ctgov, CTGOV_LIMIT)
    return {SERVICE_NCBI: ncbi, SERVICE_CTGOV: ctgov, SERVICE_EUROPEPMC: settings.europepmc.requests_per_second}


class ServiceFetcher:
    """What each web service's fetcher holds: the polite client all services share, and this service's base URL."""

    def __init__(self, client: PoliteClient, *, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
