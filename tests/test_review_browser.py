"""End to end in headless Chromium (Debian's ``chromium``): filter, accept/reject/edit with the
keyboard, reload, then ``oncotriples release`` carries the decisions.

Needs /usr/bin/chromium (``scripts/ci_browser_setup.sh`` installs it; the tests skip without it)
and Playwright for Python from the ``[test]`` extra (only its driver: the browser is Debian's,
never ``playwright install``).
"""

from __future__ import annotations

import json
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


@pytest.mark.slow
def test_keyboard_review_then_release(demo_run: Path, tmp_path: Path) -> None:
    from pipeline.config import load_settings
    from pipeline.curation.webapp import build_server

    shutil.copytree(demo_run, tmp_path / "d")
    work, releases = tmp_path / "d" / "work", tmp_path / "d" / "releases"
    settings = load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(releases)}})
    server = build_server(settings, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        with browser_or_skip() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(base)
            page.wait_for_selector("body[data-ready='1']")
            total = page.locator("article.card").count()
            assert total > 3

            # filter by gene through the form
            page.select_option("#filters select[name=gene]", "ALK")
            page.click("#apply-filters")
            page.wait_for_url("**gene=ALK**")
            page.wait_for_selector("body[data-ready='1']")
            cards = page.locator("article.card")
            alk = [t for t in _jsonl(work / "normalized" / "triples.jsonl").values() if t["gene"] == "ALK"]
            assert len(alk) >= 3
            assert cards.count() == len(alk)
            genes = page.locator("article.card [data-role=gene]").all_inner_texts()
            assert set(genes) == {"ALK"}
            ids = [cards.nth(i).get_attribute("data-triple-id") for i in range(3)]
            page.fill("#curator", "browser curator")
            page.locator("#curator").dispatch_event("change")
            page.locator("article.card").first.focus()

            # 1st card: accept with the keyboard
            page.keyboard.press("a")
            page.wait_for_selector(f"article[data-triple-id='{ids[0]}'][data-status='accepted']")
            # selection moved on: 2nd card, reject with reason 4 (not_asserted)
            page.wait_for_selector(f"article[data-triple-id='{ids[1]}'].sel")
            page.keyboard.press("r")
            page.wait_for_selector(f"article[data-triple-id='{ids[1]}'].rejecting")
            page.keyboard.press("4")
            page.wait_for_selector(f"article[data-triple-id='{ids[1]}'][data-status='rejected']")
            # 3rd card: edit (outcome and drugs), saved with Enter
            page.wait_for_selector(f"article[data-triple-id='{ids[2]}'].sel")
            page.keyboard.press("e")
            third = page.locator(f"article[data-triple-id='{ids[2]}']")
            drugs_input = third.locator(".f-edit input[name=drugs]")
            drugs_input.wait_for(state="visible")
            original_outcome = third.locator(".f-edit select[name=outcome]").input_value()
            new_outcome = "investigation" if original_outcome != "investigation" else "resistance"
            third.locator(".f-edit select[name=outcome]").select_option(new_outcome)
            drugs_input.fill("lorlatinib; crizotinib")
            drugs_input.press("Enter")
            page.wait_for_selector(f"article[data-triple-id='{ids[2]}'][data-status='edited']")
            assert page.locator("#count-accepted").inner_text() == "1"
            assert page.locator("#count-rejected").inner_text() == "1"
            assert page.locator("#count-edited").inner_text() == "1"
            assert page.locator("#count-left").inner_text() == str(total - 3)

            # reload: the decisions were saved
            page.reload()
            page.wait_for_selector("body[data-ready='1']")
            statuses = {i: page.locator(f"article[data-triple-id='{i}']").get_attribute("data-status") for i in ids}
            assert statuses == {ids[0]: "accepted", ids[1]: "rejected", ids[2]: "edited"}
            assert "browser curator" in page.locator(f"article[data-triple-id='{ids[1]}'] [data-role=last]").inner_text()
            assert third.locator("[data-role=outcome]").inner_text() == new_outcome
            assert errors == []
    finally:
        server.shutdown()
        server.server_close()

    # the next release carries them
    _cli("release", "--workdir", str(work), "--releases-dir", str(releases))
    rel = _latest_release(releases)
    assert rel.name != "1.0.0"
    triples = _jsonl(rel / "triples.jsonl")
    rejected = _jsonl(rel / "rejected.jsonl")
    assert triples[ids[0]]["curation_status"] == "accepted" and triples[ids[0]]["curator"] == "browser curator"
    assert ids[1] not in triples and rejected[ids[1]]["curation_status"] == "rejected"
    assert triples[ids[2]]["curation_status"] == "edited"
    assert triples[ids[2]]["outcome"] == new_outcome and triples[ids[2]]["drugs"] == ["lorlatinib", "crizotinib"]
