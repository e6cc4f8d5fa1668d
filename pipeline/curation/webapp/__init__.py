"""The curator review web app (Flask + Jinja2 templates, autoescaped).

Security model for a local, single-user tool: binds 127.0.0.1 by default, refuses
requests whose Host is not the loopback name it serves (DNS rebinding), every
write needs the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``) and a same-origin ``Origin`` when the browser sends one, all
document text is escaped by the templates (no ``|safe``), and the
Content-Security-Policy allows scripts and styles only from ``/static``.
"""

from __future__ import annotations

import getpass
import hmac
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, redirect, render_template, request, session, url_for
from werkzeug.serving import BaseWSGIServer, make_server

from pipeline.config import Settings
from pipeline.curation import decisions, review
from schemas.errors import InputError
from schemas.vocab import (
    EDITABLE_FIELDS,
    EVIDENCE_LEVELS,
    OUTCOMES,
    REASON_CODES,
    REVIEW_STATUS_ORDER,
)

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
PAGE_SIZE = 200
DEFAULT_STATUS = "open"
"""The queue opens on what is left to review (pending + needs_review)."""


def _csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        log.warning("refused %s %s: missing or wrong CSRF token", request.method, request.path)
        abort(403, description="missing or wrong CSRF token; reload the page")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        abort(403, description="cross-origin write refused")


def _float_arg(name: str) -> float | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        abort(400, description=f"{name} must be a number")


def _filters_from_request() -> tuple[review.Filters, dict[str, Any]]:
    args = request.args
    status = args.get("status", DEFAULT_STATUS).strip() or DEFAULT_STATUS
    filters = review.Filters(
        statuses=[status],
        genes=[g for g in args.getlist("gene") if g.strip()],
        drugs=[d for d in args.getlist("drug") if d.strip()],
        docs=[d for d in args.getlist("doc") if d.strip()],
        outcomes=[o for o in args.getlist("outcome") if o.strip()],
        min_confidence=_float_arg("min_conf"),
        max_confidence=_float_arg("max_conf"),
        triple_ids=[t for t in args.getlist("triple") if t.strip()],
    )
    form = {
        "status": status,
        "gene": args.get("gene", ""),
        "drug": args.get("drug", ""),
        "doc": args.get("doc", ""),
        "outcome": args.get("outcome", ""),
        "min_conf": args.get("min_conf", ""),
        "max_conf": args.get("max_conf", ""),
        "order": "asc" if args.get("order") == "asc" else "desc",
        "triple": args.get("triple", ""),
    }
    return filters, form


def _safe_next(target: str) -> str:
    """Only same-site relative paths are followed after a form post."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("queue")


def _shown(t: Any, name: str) -> str:
    value = getattr(t, name)
    if name == "drugs":
        return review.format_drugs(value)
    return ("true" if value else "false") if name == "drug_class" else str(value)


def _current(t: Any) -> dict[str, str]:
    """A triple's editable fields as the page shows them (and the JSON answers carry them)."""
    return {name: _shown(t, name) for name in EDITABLE_FIELDS} | {"curated_triple_id": t.curated_triple_id}


def _card(item: review.ReviewItem, table: review.ReviewTable) -> dict[str, Any]:
    t = item.current
    doc = table.documents.get(t.doc_id)
    context = table.context(item)
    return {
        "item": item,
        "t": t,
        "context": context,
        "segments": review.highlight_segments(context.sentence, t),
        "links": review.source_links(t, doc),
        "trials": [(n, review.trial_url(n)) for n in t.nct_ids],
        "current": _current(t),
        "was": [(name, _shown(item.original, name)) for name in EDITABLE_FIELDS if _shown(item.original, name) != _shown(t, name)],
        "original": item.original,
    }


def _support(item: review.ReviewItem, table: review.ReviewTable) -> dict[str, Any]:
    """One supporting sentence of an assertion: marked sentence, source, status and its card's address."""
    t = item.current
    sentence = table.context(item).sentence
    return {
        "item": item,
        "t": t,
        "segments": review.highlight_segments(sentence, t),
        "links": review.source_links(t, table.documents.get(t.doc_id)),
        "card_url": url_for("queue", status="all", triple=item.triple_id),
    }


def _undo_target(settings: Settings, table: review.ReviewTable) -> dict[str, Any] | None:
    """What "undo the last decision" withdraws: the newest standing decision, described for the curator."""
    d = decisions.newest_standing_decision(settings)
    if d is None:
        return None
    item = table.by_id().get(d.triple_id)
    what = d.triple_id
    if item is not None:
        t = item.original
        what = f"{review.format_drugs(t.drugs)} · {t.gene} {t.alteration} → {t.outcome}"
    return {**review.decision_json(d), "triple_id": d.triple_id, "label": f"{d.decision} of {what}"}


def _triple_state(settings: Settings, triple_id: str) -> dict[str, Any]:
    """The JSON answer after a write: the triple's new state, the counts and the next undo target."""
    table = review.build_review_table(settings)
    item = table.by_id().get(triple_id)
    out: dict[str, Any] = {"ok": True, "triple_id": triple_id, "counts": table.counts(), "undo": _undo_target(settings, table)}
    if item is not None:
        out |= {"status": item.status, "latest": item.latest, "current": _current(item.current)}
    return out


def create_app(settings: Settings, *, roll_up: review.RollUp, curator: str = "", allowed_hosts: set[str] | None = None) -> Flask:
    """Build the review app for one settings object (work directory + state database);
    ``roll_up`` is the release's roll-up, which the assertions view applies to the reviewed triples."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    default_curator = curator or getpass.getuser()
    hosts = LOOPBACK_NAMES | set(allowed_hosts or ())

    @app.before_request
    def _guard() -> None:
        hostname = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if "*" not in hosts and hostname not in hosts:
            abort(400, description="unexpected Host header")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _check_csrf()

    @app.after_request
    def _headers(resp):  # noqa: ANN001, ANN202 - flask Response
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.get("/")
    def queue():  # noqa: ANN202
        filters, form = _filters_from_request()
        table = review.build_review_table(settings)
        hits = review.filter_items(table.items, filters, descending=form["order"] != "asc")
        shown = hits[:PAGE_SIZE]
        current = [i.current for i in table.items]
        return render_template(
            "queue.html",
            cards=[_card(i, table) for i in shown],
            n_hits=len(hits),
            counts=table.counts(),
            filtered_counts=table.counts(hits),
            form=form,
            genes=sorted({t.gene for t in current}),
            drugs=sorted({d for t in current for d in t.drugs}, key=str.lower),
            docs=sorted({t.doc_id for t in current}),
            outcomes=OUTCOMES,
            evidence_levels=EVIDENCE_LEVELS,
            undo=_undo_target(settings, table),
            statuses=REVIEW_STATUS_ORDER,
            reasons=REASON_CODES,
            csrf_token=_csrf_token(),
            default_curator=default_curator,
            next_url=request.full_path.rstrip("?"),
            next_open_url=url_for("queue", **({k: v for k, v in request.args.to_dict().items() if k != "triple"} | {"status": DEFAULT_STATUS})),
        )

    @app.get("/assertions")
    def assertions():  # noqa: ANN202
        """The triples rolled up as the release's assertions table, each row expandable to its
        supporting sentences; decisions stay on the triples' cards, which every sentence links."""
        args = request.args
        gene = args.get("gene", "").strip().upper()
        only_conflicting = args.get("conflicting") == "1"
        table = review.build_review_table(settings)
        rows = review.review_assertions(table, roll_up)
        genes = sorted({r.assertion.gene for r in rows})
        shown = [r for r in rows if (not gene or r.assertion.gene == gene) and (r.conflicting or not only_conflicting)]
        return render_template(
            "assertions.html",
            rows=[{"a": r.assertion, "conflicting": r.conflicting, "conflicts": r.conflicts_with, "support": [_support(i, table) for i in r.supporting]} for r in shown],
            n_assertions=len(rows),
            n_rejected=table.counts()["rejected"],
            genes=genes,
            form={"gene": gene, "conflicting": only_conflicting},
            counts=table.counts(),
        )

    @app.post("/decide")
    def decide():  # noqa: ANN202
        f = request.form
        tid = f.get("triple_id", "").strip()
        action = f.get("decision", "").strip().lower()
        fields = {k: f.get(k, "") for k in EDITABLE_FIELDS if k in f} if action == "edit" else {}
        table = review.build_review_table(settings)
        try:
            decision = review.submitted_decision(table.by_id().get(tid), f, fields=fields, default_curator=default_curator)
        except InputError as exc:
            if _wants_json():
                return jsonify({"ok": False, "error": str(exc)}), 422
            abort(422, description=str(exc))
        decisions.save_decisions(settings, [decision])
        if not _wants_json():
            return redirect(_safe_next(f.get("next", "")), code=303)
        return jsonify(_triple_state(settings, tid))

    @app.post("/undo")
    def undo():  # noqa: ANN202
        """Withdraw the decision the page offered to undo (its id is sent, so nothing else is undone)."""
        f = request.form
        raw = f.get("decision_id", "").strip()
        try:
            if not raw.isdigit():
                raise InputError(f"decision_id {raw!r} is not a decision number; reload the page")
            undone = decisions.undo_decision(settings, int(raw), curator=f.get("curator", "").strip() or default_curator)
        except InputError as exc:
            if _wants_json():
                return jsonify({"ok": False, "error": str(exc)}), 422
            abort(422, description=str(exc))
        if not _wants_json():
            return redirect(_safe_next(f.get("next", "")), code=303)
        return jsonify(_triple_state(settings, undone.triple_id) | {"undone": review.decision_json(undone)})

    @app.get("/history/<triple_id>")
    def history(triple_id: str):  # noqa: ANN202
        return jsonify({"triple_id": triple_id, "history": review.decision_history(settings, triple_id)})

    @app.get("/favicon.ico")
    def favicon():  # noqa: ANN202
        return "", 204

    @app.get("/healthz")
    def healthz():  # noqa: ANN202
        return jsonify({"ok": True})

    return app


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


def build_server(settings: Settings, host: str = "127.0.0.1", port: int = 8765, *, roll_up: review.RollUp, curator: str = "") -> BaseWSGIServer:
    """A threaded WSGI server for the app (``port=0`` picks a free port; see ``server.server_port``)."""
    extra = {host} if host not in ("0.0.0.0", "::") else {"*"}
    app = create_app(settings, roll_up=roll_up, curator=curator, allowed_hosts=extra)
    return make_server(host, port, app, threaded=True)


def template_dir() -> Path:
    return Path(__file__).parent / "templates"
