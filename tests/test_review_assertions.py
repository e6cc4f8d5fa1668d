"""The review page's assertions view: the reviewed triples rolled up as the release rolls them up,
each row with its counts and conflict flag, expandable to its supporting sentences, each linking
the triple's card; decisions stay per triple and the roll-up follows them."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from review_client import csrf_token, review_client

from pipeline.config import load_settings
from pipeline.curation import review
from pipeline.stages.assertions import roll_up
from schemas.files import write_jsonl
from schemas.models import Document, Triple

SCRIPT = "<script>window.__xss = 'assert';alert(1)</script>"
IMG = "<img src=x onerror=\"window.__xss='img'\">"


def _t(tid: str, doc_id: str, evidence: str, **over: object) -> Triple:
    fields: dict[str, object] = {"triple_id": tid, "doc_id": doc_id, "source": "pubmed", "source_id": doc_id.removeprefix("pmid"),
                                 "evidence": evidence, "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "L858R",
                                 "outcome": "sensitivity", "confidence": 0.9, "evidence_level": "clinical_trial"}
    fields.update(over)
    return Triple.model_validate(fields)


def _triples() -> list[Triple]:
    return [
        _t("t_a", "pmid11111111", "Osimertinib was active in EGFR L858R tumours (ORR 70%).", confidence=0.9),
        _t("t_b", "pmid22222222", "EGFR L858R predicted benefit from osimertinib.", confidence=0.7, evidence_level="preclinical"),
        _t("t_c", "pmid33333333", "Osimertinib failed in EGFR L858R tumours with MET gain.", outcome="resistance", confidence=0.5),
        _t("t_x", "pmid11111111", f"Alectinib {SCRIPT} resists ALK G1202R {IMG}.", drugs=["alectinib"], gene="ALK",
           alteration="G1202R", outcome="resistance", confidence=0.6),
    ]


def workdir_settings(tmp_path: Path):
    """Settings over a work directory holding ``_triples()`` and their documents' metadata."""
    work = tmp_path / "work"
    write_jsonl(work / "normalized" / "triples.jsonl", _triples())
    write_jsonl(work / "normalized" / "documents.jsonl",
                [Document(doc_id=d, text="", source="pubmed", source_id=d[4:], pmid=d[4:]) for d in ("pmid11111111", "pmid22222222", "pmid33333333")])
    return load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(tmp_path / "rel")}})


@pytest.fixture()
def settings(tmp_path: Path):
    return workdir_settings(tmp_path)


@pytest.fixture()
def client(settings):
    return review_client(settings)


_token = csrf_token


def _q(el, tag: str, cls: str = "", **attrs: str) -> list:
    """Descendants ``tag`` with class ``cls`` and the given attribute values (XPath, no cssselect needed)."""
    cond = [f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')"] if cls else []
    cond += [f"@{k.replace('_', '-')}='{v}'" for k, v in attrs.items()]
    return el.xpath(f".//{tag}" + "".join(f"[{c}]" for c in cond))


def _rows(html: str) -> dict[str, dict[str, object]]:
    """Each assertion row as ``{label: {counts…, conflicting, support: [(triple_id, status, doc, card href)], conflicts: [labels]}}``."""
    root = lxml.html.fromstring(html)
    out: dict[str, dict[str, object]] = {}
    labels: dict[str, str] = {}
    for body in _q(root, "tbody", "assertion"):
        cell = {td.get("data-role"): td.text_content().strip() for td in body.xpath(".//tr[@class='row']/td[@data-role]")}
        label = " ".join(_q(body, "td", "triple")[0].text_content().split())
        support = [(li.get("data-triple-id"), li.get("data-status"), _q(li, "span", "doc")[0].text_content(), _q(li, "a", "to-card")[0].get("href"))
                   for li in _q(body, "li", "sentence")]
        out[label] = {
            "docs": int(cell["n_documents"]), "sentences": int(cell["n_sentences"]), "triples": int(cell["n_triples"]),
            "best": cell["best_evidence_level"], "conflicting": body.get("data-conflicting") == "1", "curated": int(cell["n_curated"]),
            "support": support, "conflicts": body.xpath(".//p[@data-role='conflicts']/a/@data-assertion-ref"),
        }
        labels[body.get("data-assertion-id")] = label
    for row in out.values():
        row["conflicts"] = [labels[ref] for ref in row["conflicts"]]
    return out


EGFR_S = "osimertinib · EGFR L858R → sensitivity"
EGFR_R = "osimertinib · EGFR L858R → resistance"
ALK_R = "alectinib · ALK G1202R → resistance"


def _support(*tids_status: tuple[str, str]) -> list[tuple[str, str, str, str]]:
    doc = {t.triple_id: t.doc_id for t in _triples()}
    return [(tid, st, doc[tid], f"/?status=all&triple={tid}") for tid, st in tids_status]


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        pytest.param([], {
            ALK_R: {"docs": 1, "sentences": 1, "triples": 1, "best": "clinical_trial", "conflicting": False, "curated": 0, "support": _support(("t_x", "pending")), "conflicts": []},
            EGFR_R: {"docs": 1, "sentences": 1, "triples": 1, "best": "clinical_trial", "conflicting": True, "curated": 0, "support": _support(("t_c", "pending")), "conflicts": [EGFR_S]},
            EGFR_S: {"docs": 2, "sentences": 2, "triples": 2, "best": "clinical_trial", "conflicting": True, "curated": 0,
                     "support": _support(("t_a", "pending"), ("t_b", "pending")), "conflicts": [EGFR_R]},
        }, id="as-extracted"),
        pytest.param([("t_c", "reject", {"reason": "wrong_outcome"}), ("t_a", "accept", {})], {
            ALK_R: {"docs": 1, "sentences": 1, "triples": 1, "best": "clinical_trial", "conflicting": False, "curated": 0, "support": _support(("t_x", "pending")), "conflicts": []},
            EGFR_S: {"docs": 2, "sentences": 2, "triples": 2, "best": "clinical_trial", "conflicting": False, "curated": 1,
                     "support": _support(("t_a", "accepted"), ("t_b", "pending")), "conflicts": []},
        }, id="rejected-triple-drops-out-and-its-conflict-with-it"),
        pytest.param([("t_a", "reject", {"reason": "not_asserted"})], {
            ALK_R: {"docs": 1, "sentences": 1, "triples": 1, "best": "clinical_trial", "conflicting": False, "curated": 0, "support": _support(("t_x", "pending")), "conflicts": []},
            EGFR_R: {"docs": 1, "sentences": 1, "triples": 1, "best": "clinical_trial", "conflicting": True, "curated": 0, "support": _support(("t_c", "pending")), "conflicts": [EGFR_S]},
            EGFR_S: {"docs": 1, "sentences": 1, "triples": 1, "best": "preclinical", "conflicting": True, "curated": 0, "support": _support(("t_b", "pending")), "conflicts": [EGFR_R]},
        }, id="rejecting-the-best-evidence-lowers-the-row"),
        pytest.param([("t_c", "edit", {"drugs": "osimertinib", "gene": "EGFR", "alteration": "L858R", "outcome": "sensitivity"})], {
            ALK_R: {"docs": 1, "sentences": 1, "triples": 1, "best": "clinical_trial", "conflicting": False, "curated": 0, "support": _support(("t_x", "pending")), "conflicts": []},
            EGFR_S: {"docs": 3, "sentences": 3, "triples": 3, "best": "clinical_trial", "conflicting": False, "curated": 1,
                     "support": _support(("t_a", "pending"), ("t_b", "pending"), ("t_c", "edited")), "conflicts": []},
        }, id="an-edited-outcome-moves-the-triple"),
    ],
)
def test_assertions_view_rows(client, decisions, expected):
    token = _token(client)
    for tid, decision, extra in decisions:
        resp = client.post("/decide", data={"csrf_token": token, "triple_id": tid, "decision": decision, **extra}, headers={"Accept": "application/json"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = client.get("/assertions")
    assert resp.status_code == 200
    assert _rows(resp.get_data(as_text=True)) == expected


def test_rows_are_the_release_roll_up_of_the_kept_triples(client, settings):
    """The view's rows are exactly what roll_up gives for the triples curation keeps."""
    token = _token(client)
    client.post("/decide", data={"csrf_token": token, "triple_id": "t_b", "decision": "reject", "reason": "duplicate"})
    kept = [i.current for i in review.build_review_table(settings).items if i.status != "rejected"]
    html = client.get("/assertions").get_data(as_text=True)
    ids = lxml.html.fromstring(html).xpath("//tbody[@data-assertion-id]/@data-assertion-id")
    assert ids == [a.assertion_id for a in roll_up(kept)]
    assert sorted(tid for a in roll_up(kept) for tid in a.triple_ids) == ["t_a", "t_c", "t_x"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [ALK_R, EGFR_R, EGFR_S]),
        ("?gene=EGFR", [EGFR_R, EGFR_S]),
        ("?gene=egfr", [EGFR_R, EGFR_S]),
        ("?conflicting=1", [EGFR_R, EGFR_S]),
        ("?gene=ALK&conflicting=1", []),
    ],
)
def test_assertion_filters(client, query, expected):
    assert list(_rows(client.get("/assertions" + query).get_data(as_text=True))) == expected


def test_supporting_sentence_marks_terms_links_source_and_card(client):
    html = client.get("/assertions?gene=EGFR").get_data(as_text=True)
    root = lxml.html.fromstring(html)
    li = _q(root, "li", "sentence", data_triple_id="t_a")[0]
    assert [(m.get("class"), m.text_content()) for m in li.xpath(".//mark")] == [
        ("hl hl-drug", "Osimertinib"), ("hl hl-gene", "EGFR"), ("hl hl-alteration", "L858R")]
    assert [a.get("href") for a in _q(li, "a", "source-link")] == ["https://pubmed.ncbi.nlm.nih.gov/11111111/"]
    # the link opens exactly that triple's card, where the decision is made
    card_html = client.get(_q(li, "a", "to-card")[0].get("href")).get_data(as_text=True)
    assert re.findall(r'<article [^>]*data-triple-id="([^"]+)"', card_html) == ["t_a"]
    assert 'id="one-triple"' in card_html and 'href="/assertions"' in card_html
    # from there, "next unreviewed" goes back to the whole queue
    assert re.search(r'id="next-unreviewed" class="button" href="/\?status=open" data-more="1"', card_html)


def test_assertions_view_escapes_document_text(client):
    resp = client.get("/assertions")
    html = resp.get_data(as_text=True)
    assert "<script>window.__xss" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__xss" in html and "&lt;img src=x onerror=" in html
    assert re.findall(r"<script[^>]*>", html) == []
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]


def test_every_triple_rejected_leaves_no_assertion(client):
    token = _token(client)
    for t in _triples():
        client.post("/decide", data={"csrf_token": token, "triple_id": t.triple_id, "decision": "reject", "reason": "other"})
    html = client.get("/assertions").get_data(as_text=True)
    assert _rows(html) == {} and "No assertions" in html and "4 rejected triple(s)" in html


@pytest.mark.parametrize(
    ("diseases", "expected"),
    [
        # (outcome, disease) of three triples of one drugs · gene · alteration -> each row's conflicting rows
        ([("sensitivity", "NSCLC"), ("resistance", "breast cancer"), ("sensitivity", "breast cancer")],
         {("sensitivity", "NSCLC"): [("resistance", "breast cancer")],
          ("resistance", "breast cancer"): [("sensitivity", "NSCLC"), ("sensitivity", "breast cancer")],
          ("sensitivity", "breast cancer"): [("resistance", "breast cancer")]}),
        ([("sensitivity", "NSCLC"), ("sensitivity", "breast cancer")],
         {("sensitivity", "NSCLC"): [], ("sensitivity", "breast cancer"): []}),
    ],
)
def test_conflicting_rows_are_what_n_conflicting_counts(diseases, expected):
    triples = [_t(f"t{i}", f"pmid{i}", "EGFR L858R and osimertinib.", outcome=o, disease=d) for i, (o, d) in enumerate(diseases)]
    table = review.ReviewTable(items=[review.ReviewItem(original=t, current=t, status="pending") for t in triples])
    rows = review.review_assertions(table, roll_up)
    got = {(r.assertion.outcome, r.assertion.disease): sorted((b.outcome, b.disease) for b in r.conflicts_with) for r in rows}
    assert got == expected
    assert all(sum(b.n_triples for b in r.conflicts_with) == r.assertion.n_conflicting for r in rows)
