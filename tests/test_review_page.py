"""The review page for real curation: context paragraph, source links, default queue, undo, every field editable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from review_client import csrf_token, review_client

from pipeline.config import load_settings
from pipeline.curation import decisions, review
from pipeline.state.db import StateDB
from schemas.files import write_jsonl
from schemas.models import Document, Trial, Triple
from schemas.vocab import triple_key_id

TEXT = (
    "Title of the paper\n\n"
    "Abstract\n\n"
    "Osimertinib is standard. Acquired resistance is inevitable, and EGFR C797S confers resistance to osimertinib. "
    "Combinations are under study.\n\n"
    "Results\n\n"
    "Compound mutations such as ALK G1202R/L1196M are resistant to lorlatinib."
)
C797S_SENTENCE = "Acquired resistance is inevitable, and EGFR C797S confers resistance to osimertinib."
COMPOUND_SENTENCE = "Compound mutations such as ALK G1202R/L1196M are resistant to lorlatinib."
TRIAL_FIELD = "Inclusion Criteria:\n\n* Age 18 or older\n* EGFR mutation-positive NSCLC with MET amplification\n* Measurable disease"


def _t(tid: str, sentence: str, text: str = TEXT, **over: object) -> Triple:
    start = text.index(sentence)
    fields: dict[str, object] = {"triple_id": tid, "doc_id": "paper", "evidence": sentence, "sentence": sentence, "sentence_start": start,
                                 "sentence_end": start + len(sentence), "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "C797S",
                                 "outcome": "resistance", "confidence": 0.9}
    fields.update(over)
    return Triple.model_validate(fields)


def _triples() -> list[Triple]:
    return [
        _t("t_c797s", C797S_SENTENCE),
        _t("t_compound", COMPOUND_SENTENCE, drugs=["lorlatinib"], gene="ALK", alteration="G1202R+L1196M", confidence=0.8),
        _t("t_trial", "EGFR mutation-positive NSCLC with MET amplification", text=TRIAL_FIELD, doc_id="NCT03778229", source="ctgov",
           source_id="NCT03778229", section="registry:eligibility_criteria.inclusion", drugs=["savolitinib"], gene="MET",
           alteration="amplification", outcome="investigation", evidence_level="clinical_trial", confidence=0.7),
        _t("t_nodoc", "No parsed text is kept for this one.", text="No parsed text is kept for this one.", doc_id="gone", confidence=0.6),
    ]


@pytest.fixture()
def settings(tmp_path: Path):
    work = tmp_path / "work"
    write_jsonl(work / "normalized" / "triples.jsonl", _triples())
    paper = Document(doc_id="paper", text=TEXT, source="pubmed", source_id="12345678", pmid="12345678", pmcid="PMC7654321", doi="10.1000/xyz-1(2)")
    write_jsonl(work / "normalized" / "documents.jsonl", [paper.model_copy(update={"text": ""})])
    s = load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(tmp_path / "rel")}})
    path = review.parsed_document_path(s, "paper")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(paper.model_dump_json(), encoding="utf-8")
    StateDB(s.state_db, allow_new=True).close()
    write_jsonl(work / "normalized" / "trials.jsonl", [Trial(nct_id="NCT03778229", brief_title="A trial", eligibility_criteria=TRIAL_FIELD + "\n\nExclusion Criteria:\n\n* none")])
    return s


@pytest.fixture()
def client(settings):
    return review_client(settings)


_token = csrf_token


def _card(html: str, tid: str) -> str:
    m = re.search(rf'<article [^>]*data-triple-id="{tid}".*?</article>', html, re.S)
    assert m, f"no card {tid}"
    return m.group(0)


def _post(client, url: str, token: str, **data: str):
    return client.post(url, data={"csrf_token": token, **data}, headers={"Accept": "application/json"})


# ------------------------------------------------------------------ context


def test_parsed_document_path_is_where_the_parse_stage_writes():
    from pipeline.stages.context import WorkDir

    s = load_settings(None, env={}, overrides={"pipeline": {"workdir": "/w"}})
    for doc_id in ("paper", "pubmed:123", "a/paper", "pmc-bioc:PMC1"):
        assert review.parsed_document_path(s, doc_id) == WorkDir(s.workdir).parsed_path(doc_id)


@pytest.mark.parametrize(
    ("tid", "before", "after", "found"),
    [
        ("t_c797s", "Osimertinib is standard. ", " Combinations are under study.", True),
        ("t_compound", "", "", True),
        ("t_trial", "* Age 18 or older\n* ", "\n* Measurable disease", True),
        ("t_nodoc", "", "", False),
    ],
)
def test_context_is_the_paragraph_around_the_sentence(settings, tid, before, after, found):
    table = review.build_review_table(settings)
    ctx = table.context(table.by_id()[tid])
    assert (ctx.before, ctx.after, ctx.found) == (before, after, found)
    assert ctx.sentence == table.by_id()[tid].current.sentence


def test_context_finds_the_sentence_when_its_offsets_moved_and_cuts_long_paragraphs():
    t = _t("x", C797S_SENTENCE)
    moved = "Preface.\n\n" + TEXT
    ctx = review.sentence_context(t, moved)
    assert ctx.found and ctx.sentence == C797S_SENTENCE and ctx.before == "Osimertinib is standard. "
    assert not review.sentence_context(t, "another text altogether").found
    trailing = t.model_copy(update={"sentence": C797S_SENTENCE + " Combinations are under study.\n\n",
                                    "sentence_end": t.sentence_start + len(C797S_SENTENCE + " Combinations are under study.\n\n")})
    ctx = review.sentence_context(trailing, TEXT)
    assert (ctx.sentence, ctx.after) == (C797S_SENTENCE + " Combinations are under study.", "")
    long = "word " * 400 + C797S_SENTENCE + " tail" * 400
    t2 = t.model_copy(update={"sentence_start": 2000, "sentence_end": 2000 + len(C797S_SENTENCE)})
    ctx = review.sentence_context(t2, long)
    assert ctx.cut_before and ctx.cut_after and len(ctx.before) <= review.CONTEXT_CHARS and len(ctx.after) <= review.CONTEXT_CHARS
    assert ctx.before.startswith("word") and ctx.after.endswith("tail")


def test_page_shows_the_paragraph_with_the_sentence_marked(client):
    card = _card(client.get("/").get_data(as_text=True), "t_c797s")
    assert 'Osimertinib is standard. <mark class="sentence">Acquired resistance is inevitable, and <mark class="hl hl-gene">EGFR</mark>' in card
    assert '</mark>.</mark> Combinations are under study.</p>' in card
    assert "Title of the paper" not in card and "Compound mutations" not in card
    assert "paragraph is not in the work directory" in _card(client.get("/").get_data(as_text=True), "t_nodoc")


# ------------------------------------------------------------------ highlights


@pytest.mark.parametrize(
    ("sentence", "gene", "alteration", "marked"),
    [
        (COMPOUND_SENTENCE, "ALK", "G1202R+L1196M", ["G1202R/L1196M"]),
        ("ALK L1196M and G1202R together confer resistance.", "ALK", "G1202R+L1196M", ["L1196M", "G1202R"]),
        ("Whereas T790M-cis-C797S confers resistance to all EGFR-TKIs.", "EGFR", "C797S+T790M", ["T790M-cis-C797S"]),
        ("EGFR C797S alone.", "EGFR", "C797S", []),
    ],
)
def test_compound_variants_are_highlighted(sentence, gene, alteration, marked):
    t = _t("x", sentence, text=sentence, gene=gene, alteration=alteration)
    segs = review.highlight_segments(sentence, t)
    assert "".join(s.text for s in segs) == sentence
    assert [s.text for s in segs if s.kind == "alteration" and s.compound] == marked


def test_compound_highlight_on_the_page(client):
    assert '<mark class="hl hl-alteration hl-compound">G1202R/L1196M</mark>' in _card(client.get("/").get_data(as_text=True), "t_compound")


# ------------------------------------------------------------------ source links


@pytest.mark.parametrize(
    ("doc", "triple", "expected"),
    [
        (Document(doc_id="d", text="", pmid="12345678", pmcid="pmc7654321", doi="10.1000/xyz-1(2)"), {},
         [("PubMed 12345678", "https://pubmed.ncbi.nlm.nih.gov/12345678/"), ("PMC PMC7654321", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/"),
          ("DOI 10.1000/xyz-1(2)", "https://doi.org/10.1000/xyz-1(2)")]),
        (None, {"source": "pubmed", "source_id": "999"}, [("PubMed 999", "https://pubmed.ncbi.nlm.nih.gov/999/")]),
        (None, {"source": "europepmc", "source_id": "PMC42"}, [("PMC PMC42", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC42/")]),
        (None, {"source": "ctgov", "source_id": "NCT03778229", "doc_id": "NCT03778229"},
         [("ClinicalTrials.gov NCT03778229", "https://clinicaltrials.gov/study/NCT03778229")]),
        (Document(doc_id="d", text="", doi="10.1000/a b"), {}, []),
        (Document(doc_id="d", text="", doi='10.1000/x"><script>'), {}, []),
        (Document(doc_id="d", text="", pmid="12a"), {"source": "file"}, []),
    ],
)
def test_source_links_from_the_ids_the_record_carries(doc, triple, expected):
    t = _t("x", C797S_SENTENCE, **triple)
    assert review.source_links(t, doc) == expected


def test_page_links_every_source_record(client):
    html = client.get("/").get_data(as_text=True)
    card = _card(html, "t_c797s")
    for url in ("https://pubmed.ncbi.nlm.nih.gov/12345678/", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/", "https://doi.org/10.1000/xyz-1(2)"):
        assert f'class="source-link" href="{url}"' in card
    assert 'class="source-link" href="https://clinicaltrials.gov/study/NCT03778229"' in _card(html, "t_trial")


# ------------------------------------------------------------------ default filter, next unreviewed


def test_queue_opens_on_what_is_left_to_review(client, settings):
    token = _token(client)
    assert _post(client, "/decide", token, triple_id="t_c797s", decision="accept").status_code == 200
    html = client.get("/").get_data(as_text=True)
    assert '<option value="open" selected>' in html
    assert "t_c797s" not in re.findall(r'data-triple-id="([^"]+)"', html)
    assert "t_c797s" in client.get("/?status=all").get_data(as_text=True)
    # the next-unreviewed link keeps the other filters
    html = client.get("/?gene=EGFR&status=all").get_data(as_text=True)
    assert re.search(r'id="next-unreviewed" class="button" href="/\?gene=EGFR&amp;status=open" data-more="1"', html)


# ------------------------------------------------------------------ undo


def test_undo_over_the_web_withdraws_the_offered_decision_only(client, settings):
    token = _token(client)
    first = _post(client, "/decide", token, triple_id="t_c797s", decision="accept").get_json()
    assert first["undo"]["triple_id"] == "t_c797s" and first["undo"]["label"].startswith("accept of osimertinib · EGFR C797S")
    second = _post(client, "/decide", token, triple_id="t_compound", decision="reject", reason="duplicate").get_json()
    assert second["undo"]["triple_id"] == "t_compound"
    html = client.get("/?status=all").get_data(as_text=True)
    assert f'id="undo-id" value="{second["undo"]["id"]}"' in html
    # without the CSRF token: refused, nothing undone
    assert client.post("/undo", data={"decision_id": second["undo"]["id"]}).status_code == 403
    resp = _post(client, "/undo", token, decision_id=str(second["undo"]["id"]))
    body = resp.get_json()
    assert resp.status_code == 200 and body["status"] == "pending" and body["undone"]["decision"] == "reject"
    assert body["undo"]["id"] == first["undo"]["id"] and body["counts"]["rejected"] == 0
    # the same undo again: no longer standing, refused with the reason, nothing recorded
    again = _post(client, "/undo", token, decision_id=str(second["undo"]["id"]))
    assert again.status_code == 422 and "no longer standing" in again.get_json()["error"]
    assert _post(client, "/undo", token, decision_id="abc").status_code == 422
    assert [d.decision for d in decisions.decision_history(settings, "t_compound")] == ["reject", "undo"]
    assert [d.decision for d in decisions.decision_history(settings, "t_c797s")] == ["accept"]
    # without JavaScript: a form post, then back to the queue
    resp = client.post("/undo", data={"csrf_token": token, "decision_id": str(first["undo"]["id"]), "next": "/?status=all"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/?status=all")
    assert decisions.latest_decisions(settings) == {}
    assert 'id="undo" disabled' in client.get("/").get_data(as_text=True)


# ------------------------------------------------------------------ every field editable


def _edit(client, token: str, tid: str = "t_c797s", **fields: str):
    base = {"drugs": "osimertinib", "drug_class": "false", "gene": "EGFR", "alteration": "C797S", "outcome": "resistance", "evidence_level": "review"}
    return _post(client, "/decide", token, triple_id=tid, decision="edit", **(base | fields))


def test_every_curated_field_has_an_edit_control(client):
    card = _card(client.get("/").get_data(as_text=True), "t_c797s")
    form = re.search(r'<form [^>]*class="f-edit">.*?</form>', card, re.S).group(0)
    from schemas.vocab import EDITABLE_FIELDS, EVIDENCE_LEVELS

    assert sorted(set(re.findall(r'name="(\w+)"', form)) - {"csrf_token", "triple_id", "decision", "next", "note"}) == sorted(EDITABLE_FIELDS)
    for level in EVIDENCE_LEVELS:
        assert f'<option value="{level}"' in form


def test_every_field_edited_over_the_web_is_released(client, settings):
    token = _token(client)
    resp = _edit(client, token, drugs="gefitinib; erlotinib", gene="ERBB2", alteration="T798I", outcome="sensitivity", evidence_level="clinical_trial")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    cur = resp.get_json()["current"]
    assert cur == {"drugs": "erlotinib; gefitinib", "drug_class": "false", "gene": "ERBB2", "alteration": "T798I", "outcome": "sensitivity",
                   "evidence_level": "clinical_trial", "curated_triple_id": triple_key_id("paper", ["erlotinib", "gefitinib"], "ERBB2", "T798I", "sensitivity")}
    card = _card(client.get("/?status=all").get_data(as_text=True), "t_c797s")
    assert "extracted as: drugs osimertinib · gene EGFR · alteration C797S · outcome resistance · evidence_level review" in card


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"evidence_level": "anecdote"}, "evidence_level 'anecdote' is not one of preclinical, case_report, retrospective, clinical_trial, review"),
        ({"drug_class": "perhaps"}, "drug_class 'perhaps' is not true or false"),
        ({"drug_class": "true"}, "drug_class true but osimertinib is a named drug"),
        ({"outcome": "cured"}, "outcome 'cured' is not one of resistance, sensitivity, investigation"),
        ({"gene": "HER2"}, "gene 'HER2' is not an HGNC symbol; write 'ERBB2'"),
        ({"alteration": "Cys797Ser"}, "alteration 'Cys797Ser' is not in normalized form; write 'C797S'"),
        ({"drugs": "tagrisso"}, "drugs entry 'tagrisso' is a brand name in the drug lexicon; write 'osimertinib'"),
    ],
)
def test_edits_are_checked_against_the_vocabulary_on_the_server(client, settings, fields, error):
    resp = _edit(client, _token(client), **fields)
    assert resp.status_code == 422
    assert error in resp.get_json()["error"]
    assert decisions.latest_decisions(settings) == {}
