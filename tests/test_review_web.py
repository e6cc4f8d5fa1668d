"""The review web app: escaping of document text (XSS), CSRF on every write, filters, headers."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.curation import review
from pipeline.stages.assertions import roll_up
from schemas.files import write_jsonl
from schemas.models import Document, Triple

SCRIPT = "<script>window.__xss = 'script';alert(1)</script>"
IMG = "<img src=x onerror=\"window.__xss='img';alert(2)\">"
SVG = "\"><svg onload=alert(3)>"


def _triples() -> list[Triple]:
    return [
        Triple(
            triple_id="t_xss", doc_id="doc_xss", source="pubmed", source_id="12345678",
            evidence=f"Osimertinib {SCRIPT} was active in EGFR L858R tumours {IMG} (ORR 60%).",
            drugs=["osimertinib"], gene="EGFR", alteration="L858R", outcome="sensitivity",
            measures=["ORR 60 %"], nct_ids=["NCT01234567"], confidence=0.9,
        ),
        Triple(
            triple_id="t_payload_fields", doc_id="doc_xss", source="pubmed", source_id="12345678",
            evidence="Payloads sit in the extracted fields too.",
            drugs=[f"drug{SVG}"], gene="EGFR", alteration=f"T790M{IMG}", outcome="resistance", confidence=0.5,
        ),
        Triple(
            triple_id="t_alk", doc_id="doc_alk", source="pmc", source_id="PMC7654321",
            evidence="ALK G1202R confers resistance to alectinib.",
            drugs=["alectinib"], gene="ALK", alteration="G1202R", outcome="resistance", confidence=0.7,
        ),
        Triple(
            triple_id="t_kras", doc_id="NCT07654321", source="ctgov", source_id="NCT07654321",
            evidence="Sotorasib is being investigated in KRAS G12C NSCLC.",
            drugs=["sotorasib"], gene="KRAS", alteration="G12C", outcome="investigation", confidence=0.3,
        ),
    ]


@pytest.fixture()
def settings(tmp_path: Path):
    work = tmp_path / "work"
    write_jsonl(work / "normalized" / "triples.jsonl", _triples())
    write_jsonl(
        work / "normalized" / "documents.jsonl",
        [
            Document(doc_id="doc_xss", text="", source="pubmed", source_id="12345678", pmid="12345678"),
            Document(doc_id="doc_alk", text="", source="pmc", source_id="PMC7654321", pmcid="PMC7654321"),
        ],
    )
    return load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(tmp_path / "rel")}})


@pytest.fixture()
def client(settings):
    from pipeline.curation.webapp import create_app

    app = create_app(settings, roll_up=roll_up, curator="tester")
    app.testing = True
    return app.test_client()


def _token(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert m, "page carries a CSRF token"
    return m.group(1)


def _card_ids(html: str) -> list[str]:
    return re.findall(r'data-triple-id="([^"]+)"', html)


# ------------------------------------------------------------------ XSS


def test_document_text_is_escaped_everywhere(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    # no live markup from the payloads anywhere in the page
    assert "<script>window.__xss" not in html
    assert "<img src=x" not in html
    assert "<svg" not in html
    assert "onerror=\"window" not in html
    # the payloads are shown as text
    assert "&lt;script&gt;window.__xss" in html
    assert "&lt;img src=x onerror=" in html
    assert "&lt;svg onload=alert(3)&gt;" in html
    # the only script tag is the static file
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/review.js" defer>']


def test_highlights_drug_gene_alteration_without_unescaping(client):
    html = client.get("/?gene=EGFR").get_data(as_text=True)
    assert '<mark class="hl hl-drug">Osimertinib</mark>' in html
    assert '<mark class="hl hl-gene">EGFR</mark>' in html
    assert '<mark class="hl hl-alteration">L858R</mark>' in html


def test_highlight_segments_keep_raw_text_for_the_template():
    t = _triples()[0]
    segs = review.highlight_segments(t.evidence, t)
    assert "".join(s.text for s in segs) == t.evidence
    assert [s.text for s in segs if s.kind] == ["Osimertinib", "EGFR", "L858R"]


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_payloads_do_not_execute_in_chromium(settings):
    """Load the page in headless Chromium: no dialog, no side effect, payload visible as text."""
    from test_review_browser import browser_or_skip

    from pipeline.curation.webapp import build_server

    server = build_server(settings, "127.0.0.1", 0, roll_up=roll_up, curator="tester")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with browser_or_skip() as browser:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_selector("body[data-ready='1']")
            page.wait_for_timeout(300)
            assert page.evaluate("window.__xss === undefined")
            assert dialogs == []
            evidence = page.locator("[data-triple-id='t_xss'] .context").inner_text()
            assert SCRIPT in evidence and IMG in evidence
            assert page.locator("[data-triple-id='t_xss'] .context script, [data-triple-id='t_xss'] .context img").count() == 0
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ CSRF


def _decide(client, token: str | None, **extra):
    data = {"triple_id": "t_alk", "decision": "accept", **extra}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/decide", data=data, headers={"Accept": "application/json"})


def test_write_without_token_is_refused(client, settings):
    client.get("/")
    assert _decide(client, None).status_code == 403
    assert review.latest_decisions(settings) == {}


def test_write_with_wrong_token_is_refused(client, settings):
    client.get("/")
    assert _decide(client, "not-the-token").status_code == 403
    resp = client.post("/decide", data={"triple_id": "t_alk", "decision": "accept"}, headers={"X-CSRF-Token": "wrong"})
    assert resp.status_code == 403
    assert review.latest_decisions(settings) == {}


def test_token_from_another_session_is_refused(settings, client):
    from pipeline.curation.webapp import create_app

    other = create_app(settings, roll_up=roll_up).test_client()
    foreign = _token(other.get("/").get_data(as_text=True))
    client.get("/")
    assert _decide(client, foreign).status_code == 403
    assert review.latest_decisions(settings) == {}


def test_cross_origin_write_is_refused_even_with_token(client, settings):
    token = _token(client.get("/").get_data(as_text=True))
    resp = client.post("/decide", data={"triple_id": "t_alk", "decision": "accept", "csrf_token": token}, headers={"Origin": "http://evil.example"})
    assert resp.status_code == 403
    assert review.latest_decisions(settings) == {}


def test_foreign_host_header_is_refused(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_write_with_token_is_saved_immediately(client, settings):
    token = _token(client.get("/").get_data(as_text=True))
    resp = _decide(client, token)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["status"] == "accepted" and body["counts"]["accepted"] == 1 and body["counts"]["left"] == 3
    latest = review.latest_decisions(settings)
    assert latest["t_alk"]["decision"] == "accept" and latest["t_alk"]["curator"] == "tester"
    # reject needs a reason; the header token works as well as the form field
    resp = client.post("/decide", data={"triple_id": "t_kras", "decision": "reject", "reason": "not_asserted", "note": "trial only", "curator": "ann"},
                       headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert resp.get_json()["status"] == "rejected"
    assert review.latest_decisions(settings)["t_kras"]["curator"] == "ann"


def test_invalid_decisions_are_refused_and_not_saved(client, settings):
    token = _token(client.get("/").get_data(as_text=True))
    assert _decide(client, token, decision="reject").status_code == 422  # no reason
    assert _decide(client, token, decision="reject", reason="because").status_code == 422
    assert _decide(client, token, decision="edit", outcome="cured", drugs="alectinib", gene="ALK", alteration="G1202R").status_code == 422
    assert _decide(client, token, decision="edit", outcome="resistance", drugs="alectinib", gene=" ", alteration="G1202R").status_code == 422
    assert _decide(client, token, triple_id="nope").status_code == 422
    assert review.latest_decisions(settings) == {}


def test_edit_and_form_post_without_js(client, settings):
    token = _token(client.get("/").get_data(as_text=True))
    resp = client.post("/decide", data={
        "csrf_token": token, "triple_id": "t_alk", "decision": "edit", "drugs": "alectinib; brigatinib",
        "gene": "ALK", "alteration": "G1202R", "outcome": "resistance", "next": "/?gene=ALK",
    })
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/?gene=ALK")
    latest = review.latest_decisions(settings)["t_alk"]
    assert latest["decision"] == "edit" and latest["fields"] == {"drugs": ["alectinib", "brigatinib"]}
    html = client.get("/?gene=ALK&status=all").get_data(as_text=True)
    assert "alectinib; brigatinib" in html and 'data-status="edited"' in html
    # accepting the edited triple would drop the edit: refused, with the way out named
    resp = _decide(client, token)
    assert resp.status_code == 422 and "carries an edit" in resp.get_json()["error"]
    # an open redirect is not followed
    resp = client.post("/decide", data={"csrf_token": token, "triple_id": "t_kras", "decision": "accept", "next": "//evil.example/"})
    assert resp.headers["Location"] == "/"


# ------------------------------------------------------------------ filters, links, counts


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["t_xss", "t_alk", "t_payload_fields", "t_kras"]),
        ("?order=asc", ["t_kras", "t_payload_fields", "t_alk", "t_xss"]),
        ("?gene=EGFR", ["t_xss", "t_payload_fields"]),
        ("?drug=alectinib", ["t_alk"]),
        ("?outcome=investigation", ["t_kras"]),
        ("?doc=doc_xss", ["t_xss", "t_payload_fields"]),
        ("?min_conf=0.6", ["t_xss", "t_alk"]),
        ("?min_conf=0.4&max_conf=0.8", ["t_alk", "t_payload_fields"]),
        ("?gene=EGFR&outcome=resistance", ["t_payload_fields"]),
    ],
)
def test_filters_and_confidence_order(client, query, expected):
    assert _card_ids(client.get("/" + query).get_data(as_text=True)) == expected


def test_status_filter_and_counts(client):
    token = _token(client.get("/").get_data(as_text=True))
    _decide(client, token)
    html = client.get("/?status=open").get_data(as_text=True)
    assert "t_alk" not in _card_ids(html) and len(_card_ids(html)) == 3
    assert '<b id="count-left">3</b>' in html and '<b id="count-accepted">1</b>' in html
    assert _card_ids(client.get("/?status=accepted").get_data(as_text=True)) == ["t_alk"]


def test_rekeyed_triple_shows_as_needs_review(client, settings):
    from pipeline.curation import decisions as curation

    alk = next(t for t in _triples() if t.triple_id == "t_alk")
    old = alk.model_copy(update={"triple_id": "t_alk_before_rekey", "drugs": ["crizotinib"]})
    curation.record_decision(settings, old.triple_id, "accept", curator="ann", triple=old)
    html = client.get("/?status=needs_review").get_data(as_text=True)
    assert _card_ids(html) == ["t_alk"]
    assert "t_alk_before_rekey" in html and '<b id="count-needs_review">1</b>' in html
    assert '<b id="count-left">4</b>' in html


def test_source_and_trial_links(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/"' in html
    assert 'href="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/"' in html
    assert 'href="https://clinicaltrials.gov/study/NCT07654321"' in html
    assert 'href="https://clinicaltrials.gov/study/NCT01234567"' in html
    assert "ORR 60 %" in html


def test_bioc_full_text_links_to_pmc_without_document_metadata():
    """BioC documents are stored with the source ``pmc-bioc`` (``SOURCE_BIOC``); their id is a PMCID."""
    from schemas.vocab import SOURCE_BIOC

    t = Triple(triple_id="t_bioc", doc_id=f"{SOURCE_BIOC}:PMC1112223", source=SOURCE_BIOC, source_id="PMC1112223",
               evidence="e", drugs=["x"], gene="ALK", alteration="G1202R", outcome="resistance")
    assert review.source_links(t, None) == [("PMC PMC1112223", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1112223/")]
    assert review.source_links(t.model_copy(update={"source_id": "PMC12<script>"}), None) == []


def test_bad_confidence_filter_is_a_400(client):
    assert client.get("/?min_conf=abc").status_code == 400


def test_binds_loopback_by_default(settings):
    from pipeline.curation.webapp import build_server

    server = build_server(settings, port=0, roll_up=roll_up)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_serve_without_triples_explains(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    res = CliRunner().invoke(app, ["review", "serve", "--workdir", str(tmp_path / "empty"), "--port", "0"])
    assert res.exit_code == 1 and "run `oncotriples run` first" in res.output
