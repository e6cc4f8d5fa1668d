"""A local (127.0.0.1) replay server for the public services, built on pytest-httpserver.

It answers with the REAL recorded responses in ``../shared/fixtures`` (never
copied into the repository) and can inject the faults the fetchers must survive.
Every 200 answer carries an ``ETag`` (sha256 of the body) and ``If-None-Match``
is honoured with 304, like a well-behaved origin, so conditional requests can be
measured.

Mount points (base URLs to put into ``Settings``):
``/ctgov/api/v2`` (ClinicalTrials.gov v2), ``/eutils`` (E-utilities),
``/bioc`` (BioC-PMC), ``/europepmc/rest`` (Europe PMC).

CT.gov is modelled, not just replayed, because the fetcher's batching is what is
under test: ``/studies?filter.ids=…`` returns the recorded studies among the ids
(with ``pageSize``/``pageToken`` paging), ``/studies/{id}`` returns one record,
404 ``NCT number … not found`` for unknown and 400 for malformed ids (the real
text bodies). With ``synthesize=True`` well-formed ids that were never recorded
are served as clones of recorded studies with the id replaced and the title
marked ``[replay clone of …]`` — used only to show paging for N=1500 ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
"""The shared recorded responses; tests skip when this folder is absent."""

CTGOV = "/ctgov/api/v2"
EUTILS = "/eutils"
BIOC = "/bioc"
EUROPEPMC = "/europepmc/rest"
SERVICES = {"CTGOV": CTGOV, "EUTILS": EUTILS, "BIOC": BIOC, "EUROPEPMC": EUROPEPMC}
"""Where each service is mounted, by the name in its ``ONCOTRIPLES_<NAME>_URL`` setting."""

NCT_OK = re.compile(r"^NCT\d{8}$", re.I)
UNKNOWN_TEXT = "NCT number {nct} not found"  # real CT.gov 404 body (API_NOTES.md)
MALFORMED_TEXT = "Parameter `nctId` has incorrect format"  # real CT.gov 400 body

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>We are down for maintenance</h1><p>Please try again later.</p></body></html>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    b' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    b' <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\n'
    b"]>\n<eSearchResult><Count>&lol4;</Count></eSearchResult>\n"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [\n'
    b' <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>&xxe;</PMID>"
    b"</MedlineCitation></PubmedArticle></PubmedArticleSet>\n"
)

FAULTS = ("429", "500", "slow", "truncated", "html200", "xml_error200", "billion_laughs", "xxe", "404", "400")


def fixture(rel: str) -> Path:
    return FIXTURES / rel


def fixtures_available() -> bool:
    return (FIXTURES / "ctgov_v2" / "studies").is_dir()


@dataclass
class Route:
    method: str
    path: str
    params: dict[str, str]
    body: bytes | Callable[[Request], Response]
    content_type: str = "application/json"


@dataclass
class Fault:
    kind: str
    path: str
    params: dict[str, str]
    times: int = 1
    retry_after: str = "1"
    delay: float = 1.0
    body: bytes = b""


@dataclass
class Served:
    """One request the server answered (the server-side request log)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    fault: str = ""
    bytes_sent: int = 0


@dataclass
class ReplayServer:
    """Start with ``with ReplayServer() as srv:``; ``srv.settings_env()`` gives base URLs."""

    fixtures: Path = FIXTURES
    synthesize: bool = False
    etags: bool = True
    routes: list[Route] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    served: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise here
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self._lock = threading.Lock()
        # bumped by reset(): a request still in flight from an earlier test (a "slow" fault the
        # client gave up on) must not land in the next test's request log
        self._generation = 0
        self.studies: dict[str, dict[str, Any]] = {}
        self._template_json: dict[str, str] = {}
        self._load_ctgov()
        self._default_routes()

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> ReplayServer:
        self.server.expect_request(re.compile(r"^/.*")).respond_with_handler(self._handle)
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return self.server.url_for("").rstrip("/")

    def url(self, mount: str) -> str:
        """This server's base URL for the service mounted at ``mount`` (``CTGOV``, ``EUTILS``, ``BIOC``, ``EUROPEPMC``)."""
        return self.base + mount

    def settings_env(self) -> dict[str, str]:
        """Environment variables pointing every service at this server."""
        return {f"ONCOTRIPLES_{name}_URL": self.url(path) for name, path in SERVICES.items()}

    # -- configuration ----------------------------------------------------------------

    def add_file(self, method: str, path: str, rel: str | Path, *, params: dict[str, str] | None = None,
                 content_type: str | None = None) -> None:
        """Answer ``method path`` (when ``params`` are a subset of the request's) with a fixture file."""
        file = rel if isinstance(rel, Path) else self.fixtures / rel
        ctype = content_type or ("application/json" if file.suffix == ".json" else "text/xml")
        self.routes.append(Route(method.upper(), path, dict(params or {}), file.read_bytes(), ctype))

    def add_bytes(self, method: str, path: str, body: bytes, *, params: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
        self.routes.append(Route(method.upper(), path, dict(params or {}), body, content_type))

    def inject(self, kind: str, path: str, *, params: dict[str, str] | None = None, times: int = 1,
               retry_after: str = "1", delay: float = 1.0) -> None:
        """Make the next ``times`` matching requests fail with ``kind`` (see ``FAULTS``)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {FAULTS}")
        self.faults.append(Fault(kind, path, dict(params or {}), times, retry_after, delay))

    def reset(self) -> None:
        """Forget routes added by tests, faults and the request log (server keeps running)."""
        with self._lock:
            self.routes.clear()
            self.faults.clear()
            self.served.clear()
            self.etags = True
            self._generation += 1
        self._default_routes()

    def count(self, path_prefix: str, *, status: int | None = None) -> int:
        return sum(1 for s in self.served if s.path.startswith(path_prefix) and (status is None or s.status == status))

    # -- CT.gov model -----------------------------------------------------------------

    def _load_ctgov(self) -> None:
        base = self.fixtures / "ctgov_v2"
        if not base.is_dir():
            return
        for file in sorted((base / "studies").glob("*.json")) + sorted((base / "search").glob("aact_*.json")):
            doc = json.loads(file.read_bytes())
            for study in doc.get("studies", [doc]) if isinstance(doc, dict) else []:
                nct = study["protocolSection"]["identificationModule"]["nctId"].upper()
                # full records win over field subsets
                if nct not in self.studies or "derivedSection" in study:
                    self.studies[nct] = study

    def _study_for(self, nct: str) -> dict[str, Any] | None:
        nct = nct.upper()
        if nct in self.studies:
            return self.studies[nct]
        if not self.synthesize or nct == "NCT99999999" or not NCT_OK.match(nct):
            return None
        # small recorded studies only, so a 1000-id page stays a few MB
        templates = self._templates()
        template_id = templates[int(nct[3:]) % len(templates)]
        clone = json.loads(self._template_json[template_id])
        ident = clone["protocolSection"]["identificationModule"]
        ident["nctId"] = nct
        ident["briefTitle"] = f"{ident.get('briefTitle', '')} [replay clone of {template_id}]"
        return clone

    def _templates(self) -> list[str]:
        if not self._template_json:
            for nct in sorted(self.studies):
                text = json.dumps(self.studies[nct])
                if len(text) < 20_000:
                    self._template_json[nct] = text
        return sorted(self._template_json)

    def _ctgov_studies(self, request: Request) -> Response:
        args = request.args
        if "filter.ids" not in args:
            return self._route_or_404(request)
        ids = [i.strip() for i in re.split(r"[,|]", args["filter.ids"]) if i.strip()]
        found = [s for s in (self._study_for(i) for i in ids) if s is not None]
        size = int(args.get("pageSize") or 10)
        size = 10 if size == 0 else min(size, 1000)
        offset = int(base64.urlsafe_b64decode(args["pageToken"]).decode()) if args.get("pageToken") else 0
        page: dict[str, Any] = {"studies": found[offset : offset + size]}
        if offset + size < len(found):
            page["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        if args.get("countTotal") == "true" and not offset:
            page["totalCount"] = len(found)
        return Response(json.dumps(page).encode(), 200, content_type="application/json")

    def _ctgov_one(self, request: Request, nct: str) -> Response:
        candidate = nct.upper().replace(" ", "")
        if not NCT_OK.match(candidate):
            return Response(MALFORMED_TEXT, 400, content_type="text/plain")
        study = self._study_for(candidate)
        if study is None:
            return Response(UNKNOWN_TEXT.format(nct=candidate), 404, content_type="text/plain")
        return Response(json.dumps(study).encode(), 200, content_type="application/json")

    def _default_routes(self) -> None:
        # /version has no recorded fixture; this body has the documented shape (API_NOTES.md).
        self.add_bytes("GET", f"{CTGOV}/version",
                       b'{"apiVersion":"2.0.5","dataTimestamp":"2026-08-11T09:00:05"}')

    # -- dispatch ---------------------------------------------------------------------

    @staticmethod
    def _params(request: Request) -> dict[str, str]:
        params = {k: v for k, v in request.args.items()}
        if request.method == "POST":
            params.update({k: v for k, v in request.form.items()})
        return params

    def _route_or_404(self, request: Request) -> Response:
        params = self._params(request)
        best: Route | None = None
        for route in self.routes:
            if route.method != request.method or route.path != request.path:
                continue
            if all(params.get(k) == v for k, v in route.params.items()):
                if best is None or len(route.params) >= len(best.params):
                    best = route
        if best is None:
            return Response(f"no recorded response for {request.method} {request.path}", 404,
                            content_type="text/plain")
        if callable(best.body):
            return best.body(request)
        return Response(best.body, 200, content_type=best.content_type)

    def _normal(self, request: Request) -> Response:
        path = request.path
        if path == f"{CTGOV}/studies":
            return self._ctgov_studies(request)
        if path.startswith(f"{CTGOV}/studies/"):
            return self._ctgov_one(request, path.rsplit("/", 1)[1])
        return self._route_or_404(request)

    def _take_fault(self, request: Request) -> Fault | None:
        params = self._params(request)
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and request.path.startswith(fault.path) and all(
                    params.get(k) == v for k, v in fault.params.items()
                ):
                    fault.times -= 1
                    return fault
        return None

    def _faulty(self, fault: Fault, request: Request) -> Response:
        kind = fault.kind
        if kind == "429":
            body = (self.fixtures / "eutils" / "biomcp_esummary_http429_rate_limit.json").read_bytes()
            return Response(body, 429, headers={"Retry-After": fault.retry_after}, content_type="application/json")
        if kind == "500":
            return Response(b"Internal Server Error", 500, content_type="text/plain")
        if kind == "slow":
            time.sleep(fault.delay)
            return self._normal(request)
        if kind == "truncated":
            good = self._normal(request)
            data = good.get_data()
            return Response(data[: max(1, len(data) // 2)], 200, content_type=good.content_type)
        if kind == "html200":
            return Response(HTML_ERROR_PAGE, 200, content_type="text/html")
        if kind == "xml_error200":
            body = (self.fixtures / "eutils" / "biopython_esummary8.xml").read_bytes()
            return Response(body, 200, content_type="text/xml")
        if kind == "billion_laughs":
            return Response(BILLION_LAUGHS, 200, content_type="text/xml")
        if kind == "xxe":
            return Response(EXTERNAL_ENTITY, 200, content_type="text/xml")
        if kind == "404":
            return Response(UNKNOWN_TEXT.format(nct="NCT99999999"), 404, content_type="text/plain")
        return Response(MALFORMED_TEXT, 400, content_type="text/plain")

    def _handle(self, request: Request) -> Response:
        with self._lock:
            generation = self._generation
        fault = self._take_fault(request)
        response = self._faulty(fault, request) if fault else self._normal(request)
        if self.etags and response.status_code == 200 and not fault:
            tag = '"' + hashlib.sha256(response.get_data()).hexdigest()[:32] + '"'
            response.headers["ETag"] = tag
            if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
                response = Response(b"", 304, headers={"ETag": tag})
        with self._lock:
            if generation != self._generation:
                return response  # answered after a reset: belongs to an earlier test
            self.served.append(
                Served(request.method, request.path, self._params(request), response.status_code,
                       fault.kind if fault else "", len(response.get_data()))
            )
        return response
