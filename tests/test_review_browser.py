"""End to end in headless Chromium (Debian's ``chromium``): the queue opens on what is left to review,
each card shows its paragraph with the sentence marked and links its source record; filter,
accept/reject with the keyboard, undo a decision, edit every curated field (a refused value shows
the server's reason), jump to the next unreviewed card, reload, then ``oncotriples release``
carries the decisions.

Needs /usr/bin/chromium (``scripts/ci_browser_setup.sh`` installs it; the tests skip without it)
and Playwright for Python from the ``[test]`` extra (only its driver: the browser is Debian's,
never ``playwright install``).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright import sync_api

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@contextmanager
def browser_or_skip() -> Iterator[object]:
    """A Playwright Chromium browser on /usr/bin/chromium, or skip with the reason."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (run scripts/ci_browser_setup.sh)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served(settings: object, **kwargs: str) -> Iterator[str]:
    """The review page served on a free local port, for the test's duration; yields its root URL."""
    from pipeline.curation.webapp import build_server
    from pipeline.stages.assertions import roll_up

    server = build_server(settings, "127.0.0.1", 0, roll_up=roll_up, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _cli(*args: str) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    """One offline run of the bundled demo (work dir + release 1.0.0), copied per test."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (run scripts/ci_browser_setup.sh)")
    root = tmp_path_factory.mktemp("demo")
    _cli("run", "--offline", "--workdir", str(root / "work"), "--releases-dir", str(root / "releases"))
    return root


def _latest_release(releases: Path) -> Path:
    versions = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: tuple(int(x) for x in p.name.split(".")))
    return versions[-1]


def _jsonl(path: Path) -> dict[str, dict]:
    return {r["triple_id"]: r for r in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())}


def _open_edit(page, tid: str) -> object:
    """Select the card and open its edit form with the keyboard; returns the card."""
    card = page.locator(f"article[data-triple-id='{tid}']")
    card.click(position={"x": 5, "y": 5})
    page.wait_for_selector(f"article[data-triple-id='{tid}'].sel")
    page.keyboard.press("e")
    card.locator(".f-edit input[name=drugs]").wait_for(state="visible")
    return card


def _fill_edit(card, **values: str) -> None:
    for name, value in values.items():
        field = card.locator(f".f-edit [name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


@pytest.mark.slow
def test_keyboard_review_then_release(demo_run: Path, tmp_path: Path) -> None:
    from pipeline.config import load_settings
    from pipeline.curation import decisions
    from pipeline.stages.assertions import roll_up
    from schemas.vocab import triple_key_id

    shutil.copytree(demo_run, tmp_path / "d")
    work, releases = tmp_path / "d" / "work", tmp_path / "d" / "releases"
    # the demo documents carry no bibliographic ids; give one a PMID and a DOI as a PubMed record would
    docs_path = work / "normalized" / "documents.jsonl"
    docs = [json.loads(line) for line in docs_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for d in docs:
        if d["doc_id"] == "demo_alk_update":
            d.update(pmid="12345678", doi="10.1000/demo.alk")
    docs_path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    extracted = _jsonl(work / "normalized" / "triples.jsonl")
    settings = load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(releases)}})
    with served(settings) as root:
        base = root + "/"
        with browser_or_skip() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None)
            page.goto(base)
            page.wait_for_selector("body[data-ready='1']")
            total = page.locator("article.card").count()
            assert total == len(extracted) > 3
            assert page.locator("#filters select[name=status]").input_value() == "open"
            assert page.locator("#undo").is_disabled()

            # the registry triple links its ClinicalTrials.gov record
            trial = next(tid for tid, t in extracted.items() if t["source"] == "ctgov")
            assert page.locator(f"article[data-triple-id='{trial}'] a.source-link").first.get_attribute("href") == "https://clinicaltrials.gov/study/NCT03778229"

            # filter by gene through the form
            page.select_option("#filters select[name=gene]", "ALK")
            page.click("#apply-filters")
            page.wait_for_url("**gene=ALK**")
            page.wait_for_selector("body[data-ready='1']")
            cards = page.locator("article.card")
            alk = {tid: t for tid, t in extracted.items() if t["gene"] == "ALK"}
            assert len(alk) >= 4
            assert cards.count() == len(alk)
            genes = page.locator("article.card [data-role=gene]").all_inner_texts()
            assert set(genes) == {"ALK"}
            ids = [cards.nth(i).get_attribute("data-triple-id") for i in range(4)]

            # every card: its sentence marked inside its paragraph, and links to its source record
            for tid, t in alk.items():
                card = page.locator(f"article[data-triple-id='{tid}']")
                assert card.locator(".context mark.sentence").inner_text() == t["sentence"].strip()
                hrefs = card.locator("a.source-link").evaluate_all("links => links.map(a => a.href)")
                assert hrefs == ["https://pubmed.ncbi.nlm.nih.gov/12345678/", "https://doi.org/10.1000/demo.alk"]
            nvl = next(tid for tid, t in alk.items() if t["drugs"] == ["NVL-655"])
            context = page.locator(f"article[data-triple-id='{nvl}'] .context").inner_text()
            assert "Compound mutations such as G1202R/L1196M are resistant to lorlatinib." in context
            assert "Crizotinib induced a response" not in context  # the next paragraph
            # the compound variant is highlighted whole
            assert page.locator(f"article[data-triple-id='{nvl}'] mark.hl-compound").all_inner_texts() == ["G1202R/L1196M"]

            page.fill("#curator", "browser curator")
            page.locator("#curator").dispatch_event("change")
            page.locator("article.card").first.focus()

            # 1st card: accept with the keyboard
            page.keyboard.press("a")
            page.wait_for_selector(f"article[data-triple-id='{ids[0]}'][data-status='accepted']")
            # selection moved on to the next unreviewed card: reject with reason 4 (not_asserted)
            page.wait_for_selector(f"article[data-triple-id='{ids[1]}'].sel")
            page.keyboard.press("r")
            page.wait_for_selector(f"article[data-triple-id='{ids[1]}'].rejecting")
            page.keyboard.press("4")
            page.wait_for_selector(f"article[data-triple-id='{ids[1]}'][data-status='rejected']")
            # 3rd card: accepted by mistake, then undone (u): open again, the reject before it kept
            page.wait_for_selector(f"article[data-triple-id='{ids[2]}'].sel")
            page.keyboard.press("a")
            page.wait_for_selector(f"article[data-triple-id='{ids[2]}'][data-status='accepted']")
            assert page.locator("#undo-label").inner_text().startswith("accept of ")
            page.keyboard.press("u")
            page.wait_for_selector(f"article[data-triple-id='{ids[2]}'][data-status='pending']")
            assert page.locator("#undo-label").inner_text().startswith("reject of ")
            assert page.locator(f"article[data-triple-id='{ids[1]}']").get_attribute("data-status") == "rejected"
            assert page.locator("#count-accepted").inner_text() == "1"

            # 3rd card: edit every field; a value outside the vocabulary is refused with the server's reason
            third = _open_edit(page, ids[2])
            original = alk[ids[2]]
            new_outcome = "sensitivity" if original["outcome"] != "sensitivity" else "resistance"
            _fill_edit(third, drugs="lorlatinib; crizotinib", gene="HER2", alteration="G2032R", outcome=new_outcome, evidence_level="preclinical")
            third.locator("button.b-edit").click()
            page.wait_for_selector("#flash.error")
            assert "gene 'HER2' is not an HGNC symbol; write 'ERBB2'" in page.locator("#flash").inner_text()
            assert third.get_attribute("data-status") == "pending"
            _fill_edit(third, gene="ROS1")
            third.locator(".f-edit input[name=drugs]").press("Enter")
            page.wait_for_selector(f"article[data-triple-id='{ids[2]}'][data-status='edited']")
            shown = {r: third.locator(f"[data-role={r}]").inner_text() for r in ("drugs", "gene", "alteration", "outcome", "evidence_level", "drug_class")}
            assert shown == {"drugs": "crizotinib; lorlatinib", "gene": "ROS1", "alteration": "G2032R", "outcome": new_outcome,
                             "evidence_level": "preclinical", "drug_class": "false"}
            assert page.locator("#count-accepted").inner_text() == "1"
            assert page.locator("#count-rejected").inner_text() == "1"
            assert page.locator("#count-edited").inner_text() == "1"
            assert page.locator("#count-left").inner_text() == str(total - 3)

            # next unreviewed (n) from the first card skips the decided ones
            page.locator(f"article[data-triple-id='{ids[0]}']").click(position={"x": 5, "y": 5})
            page.wait_for_selector(f"article[data-triple-id='{ids[0]}'].sel")
            page.keyboard.press("n")
            page.wait_for_selector(f"article[data-triple-id='{ids[3]}'].sel")

            # the class triple: drug_class set to false with the drugs the sentence names
            page.goto(base + "?gene=EGFR")
            page.wait_for_selector("body[data-ready='1']")
            cls = next(tid for tid, t in extracted.items() if t["drugs"] == ["EGFR-TKI (first-generation)"])
            card = _open_edit(page, cls)
            assert card.locator(".f-edit select[name=drug_class]").input_value() == "true"
            _fill_edit(card, drugs="gefitinib; erlotinib", drug_class="false")
            card.locator("button.b-edit").click()
            page.wait_for_selector(f"article[data-triple-id='{cls}'][data-status='edited']")
            assert card.locator("[data-role=drug_class]").inner_text() == "false"

            # reload: the decisions were saved; the decided cards left the "to review" queue
            page.goto(base + "?gene=ALK&status=all")
            page.wait_for_selector("body[data-ready='1']")
            statuses = {i: page.locator(f"article[data-triple-id='{i}']").get_attribute("data-status") for i in ids}
            assert statuses == {ids[0]: "accepted", ids[1]: "rejected", ids[2]: "edited", ids[3]: "pending"}
            assert "browser curator" in page.locator(f"article[data-triple-id='{ids[1]}'] [data-role=last]").inner_text()
            assert page.locator(f"article[data-triple-id='{ids[2]}'] [data-role=outcome]").inner_text() == new_outcome
            page.goto(base + "?gene=ALK")
            page.wait_for_selector("body[data-ready='1']")
            assert set(page.locator("article.card").evaluate_all("cs => cs.map(c => c.dataset.tripleId)")) == set(alk) - set(ids[:3])
            assert errors == []

    assert [d.decision for d in decisions.decision_history(settings, ids[2])] == ["accept", "undo", "edit"]
    # the next release carries them
    _cli("release", "--workdir", str(work), "--releases-dir", str(releases))
    rel = _latest_release(releases)
    assert rel.name != "1.0.0"
    triples = _jsonl(rel / "triples.jsonl")
    rejected = _jsonl(rel / "rejected.jsonl")
    assert triples[ids[0]]["curation_status"] == "accepted" and triples[ids[0]]["curator"] == "browser curator"
    assert ids[1] not in triples and rejected[ids[1]]["curation_status"] == "rejected"
    e = triples[ids[2]]
    assert e["curation_status"] == "edited" and e["triple_id"] == ids[2]
    assert (e["drugs"], e["gene"], e["alteration"], e["outcome"], e["evidence_level"], e["drug_class"]) == (
        ["crizotinib", "lorlatinib"], "ROS1", "G2032R", new_outcome, "preclinical", False)
    assert e["curated_triple_id"] == triple_key_id(e["doc_id"], e["drugs"], "ROS1", "G2032R", new_outcome)
    c = triples[cls]
    assert (c["drugs"], c["drug_class"], c["curation_status"]) == (["erlotinib", "gefitinib"], False, "edited")
    assert all(t["curated_triple_id"] == tid for tid, t in triples.items() if t["curation_status"] != "edited")
    # the review page's assertions view rolls up what the release rolled up
    from pipeline.curation.webapp import create_app

    html = create_app(settings, roll_up=roll_up).test_client().get("/assertions").get_data(as_text=True)
    released = [json.loads(line) for line in (rel / "assertions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    shown = re.findall(r'data-assertion-id="([^"]+)"', html)
    assert len(shown) == len(released) > 1
    assert shown == [a["assertion_id"] for a in released]
    assert sorted(re.findall(r'<li class="sentence[^"]*" data-triple-id="([^"]+)"', html)) == sorted(tid for a in released for tid in a["triple_ids"])


def test_assertions_view_to_card_and_back(tmp_path: Path) -> None:
    """Open the assertions view, expand a conflicting row, follow a supporting sentence to its
    card, reject it there with the keyboard, and see the roll-up drop it (and the conflict)."""
    from test_review_assertions import workdir_settings


    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (run scripts/ci_browser_setup.sh)")
    settings = workdir_settings(tmp_path)
    with served(settings, curator="tester") as base:
        with browser_or_skip() as browser:
            page = browser.new_page()
            errors: list[str] = []
            dialogs: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(base + "/")
            page.wait_for_selector("body[data-ready='1']")
            page.click("#to-assertions")
            page.wait_for_url("**/assertions")
            assert page.evaluate("window.__xss === undefined") and dialogs == []
            assert page.locator("tbody.assertion").count() == 3
            assert page.locator("tbody.assertion[data-conflicting='1']").count() == 2
            sentence = page.locator("li.sentence[data-triple-id='t_c']")
            assert not sentence.is_visible()
            row = page.locator("tbody.assertion", has=sentence)
            row.locator("details.support summary").click()
            sentence.wait_for(state="visible")
            assert sentence.locator("mark.hl-gene").inner_text() == "EGFR"
            assert sentence.locator("a.source-link").get_attribute("href") == "https://pubmed.ncbi.nlm.nih.gov/33333333/"

            sentence.locator("a.to-card").click()
            page.wait_for_url("**triple=t_c**")
            page.wait_for_selector("body[data-ready='1']")
            assert page.locator("article.card").evaluate_all("cs => cs.map(c => c.dataset.tripleId)") == ["t_c"]
            card = page.locator("article[data-triple-id='t_c']")
            card.click(position={"x": 5, "y": 5})
            page.wait_for_selector("article[data-triple-id='t_c'].sel")
            page.keyboard.press("r")
            page.wait_for_selector("article[data-triple-id='t_c'].rejecting")
            page.keyboard.press("3")  # wrong_outcome
            page.wait_for_selector("article[data-triple-id='t_c'][data-status='rejected']")

            page.click("#one-triple a[href='/assertions']")
            page.wait_for_url("**/assertions")
            assert page.locator("tbody.assertion").count() == 2
            assert page.locator("tbody.assertion[data-conflicting='1']").count() == 0
            assert page.locator("li.sentence[data-triple-id='t_c']").count() == 0
            assert errors == [] and dialogs == []
    from pipeline.curation import review

    assert review.latest_decisions(settings)["t_c"]["reason"] == "wrong_outcome"
