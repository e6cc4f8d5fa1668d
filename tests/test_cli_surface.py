"""The command-line surface: one exit-code table, --version, plain help, one option name per concept,
third-party warnings at the edge, and a progress bar on a terminal only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from schemas.exit_codes import ExitCode
from schemas.models import SCHEMA_VERSION
from schemas.versions import PARSER_VERSION, TRIPLE_RULESET_VERSION, VARIANT_RULESET_VERSION

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()"]
GOOD = "The EGFR C797S mutation confers resistance to osimertinib in patients with EGFR-mutant NSCLC.\n"


def cli(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def run_cli(*args: str | Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False)


def command_paths() -> list[list[str]]:
    """Every command and subcommand, as the words that name it."""
    import typer.main

    group = typer.main.get_command(app)
    paths: list[list[str]] = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        paths.extend([[name, sub] for sub in subs] if subs else [[name]])
    return paths


def test_version_names_package_parser_and_rule_sets() -> None:
    from importlib.metadata import version

    code, out = cli("--version")
    assert code == ExitCode.OK
    assert out.splitlines()[0] == f"oncotriples {version('oncotriples')}"
    for expected in (f"record_schema: {SCHEMA_VERSION}", PARSER_VERSION, TRIPLE_RULESET_VERSION, VARIANT_RULESET_VERSION, "ner_model: bundled:"):
        assert expected in out, out


@pytest.mark.parametrize("words", command_paths(), ids=" ".join)
def test_help_shows_plain_flags_and_the_exit_code_table(words: list[str]) -> None:
    code, out = cli(*words, "--help")
    assert code == ExitCode.OK, out
    assert "<bool>" not in out, out
    assert "Exit codes (every command):" in out
    for c in ExitCode:
        assert f"  {c.value}  " in out, (c, out)


def test_top_level_help_has_the_table() -> None:
    code, out = cli("--help")
    assert code == ExitCode.OK and "Exit codes (every command):" in out and "<bool>" not in out and "--version" in out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["extract", "x.txt", "--out", "o.jsonl", "--no-such-option"], id="extract-unknown-option"),
        pytest.param(["extract"], id="extract-missing-argument"),
        pytest.param(["run", "--no-such-option"], id="run-unknown-option"),
        pytest.param(["mentions", "in.PubTator"], id="mentions-missing-out"),
        pytest.param(["trials", "--out", "t.jsonl"], id="trials-missing-ids"),
        pytest.param(["evaluate", "--gold", "g"], id="evaluate-missing-pred"),
        pytest.param(["review", "export", "--no-such-option"], id="review-export-unknown-option"),
        pytest.param(["no-such-command"], id="unknown-command"),
    ],
)
def test_usage_errors_exit_with_the_table_code(args: list[str]) -> None:
    code, out = cli(*args)
    assert code == ExitCode.ERROR, out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["extract", "{good}", "--out", "{tmp}/o.jsonl", "--ner-model", "none"], id="extract"),
        pytest.param(["run", "--offline", "--workdir", "{tmp}/w", "--releases-dir", "{tmp}/r"], id="run"),
        pytest.param(["stage", "parse", "--workdir", "{tmp}/w"], id="stage"),
        pytest.param(["release", "--workdir", "{tmp}/w"], id="release"),
        pytest.param(["trials", "NCT04267848", "--out", "{tmp}/t.jsonl", "--workdir", "{tmp}/w"], id="trials"),
    ],
)
def test_a_config_error_exits_1_under_every_command(tmp_path: Path, args: list[str]) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    missing = tmp_path / "missing.toml"
    code, out = cli(*(a.format(good=good, tmp=tmp_path) for a in args), "--config", missing)
    assert code == ExitCode.ERROR, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(missing) in errors[0], out


def test_extract_out_problem_is_a_usage_error(tmp_path: Path) -> None:
    code, out = cli("extract", tmp_path, "--out", tmp_path)
    assert code == ExitCode.ERROR and "--out" in out and "directory" in out, out


@pytest.fixture()
def pubtator(tmp_path: Path) -> Path:
    src = tmp_path / "in.PubTator"
    src.write_text("1|t|Osimertinib resistance.\n1|a|The EGFR C797S mutation confers resistance to osimertinib.\n\n", encoding="utf-8")
    return src


@pytest.mark.parametrize("option", ["--ner-model", "--model"])
def test_mentions_takes_ner_model_and_its_hidden_alias_model(pubtator: Path, tmp_path: Path, option: str) -> None:
    out = tmp_path / "out.PubTator"
    code, output = cli("mentions", pubtator, "--out", out, option, "none")
    assert code == ExitCode.OK, output
    assert "C797S" in out.read_text(encoding="utf-8")


def test_mentions_help_shows_ner_model_not_model() -> None:
    _, out = cli("mentions", "--help")
    assert "--ner-model" in out and "--model " not in out


def test_mentions_refuses_two_different_models(pubtator: Path, tmp_path: Path) -> None:
    code, out = cli("mentions", pubtator, "--out", tmp_path / "o", "--ner-model", "none", "--model", "bundled")
    assert code == ExitCode.ERROR and "--model" in out and "--ner-model" in out, out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["mentions", "{src}", "--out", "{tmp}/o.PubTator", "--ner-model", "en_ner_not_installed_md"], id="mentions"),
        pytest.param(["mentions", "{src}", "--out", "{tmp}/o.PubTator", "--model", "en_ner_not_installed_md"], id="mentions-alias"),
        pytest.param(["extract", "{src}", "--out", "{tmp}/o.jsonl", "--ner-model", "en_ner_not_installed_md"], id="extract"),
    ],
)
def test_missing_model_error_names_the_ner_model_option(pubtator: Path, tmp_path: Path, args: list[str]) -> None:
    code, out = cli(*(a.format(src=pubtator, tmp=tmp_path) for a in args))
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert code == ExitCode.ERROR and len(errors) == 1, out
    assert "en_ner_not_installed_md" in errors[0] and "--ner-model" in errors[0] and "--model " not in errors[0], errors


@pytest.mark.slow
@pytest.mark.parametrize(("verbose", "shown"), [pytest.param([], False, id="quiet-by-default"), pytest.param(["-v"], True, id="shown-with-v")])
def test_third_party_warnings_only_with_v(tmp_path: Path, verbose: list[str], shown: bool) -> None:
    """The bundled model's scispaCy abbreviation detector warns [W036] on every document."""
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    proc = run_cli(*verbose, "extract", good, "--out", tmp_path / "o.jsonl", "--ner-model", "bundled")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert ("W036" in proc.stderr) is shown, proc.stderr
    if not shown:
        assert "Warning" not in proc.stderr and proc.stderr.strip().splitlines() == [f"1 triples from 1 documents -> {tmp_path / 'o.jsonl'}"], proc.stderr


def _stderr_through_a_terminal(args: list[str | Path]) -> tuple[int, bytes]:
    """Run the CLI with stderr on a pseudo-terminal; return the exit code and what the terminal got."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL,
                            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(follower)
    got = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    os.close(leader)
    return proc.wait(timeout=600), got


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this platform")
@pytest.mark.parametrize("command", ["extract", "mentions"])
def test_a_progress_bar_is_drawn_on_a_terminal_only(tmp_path: Path, command: str) -> None:
    if command == "extract":
        for i in range(3):
            (tmp_path / f"doc{i}.txt").write_text(GOOD, encoding="utf-8")
        args: list[str | Path] = ["extract", tmp_path, "--out", tmp_path / "o.jsonl", "--ner-model", "none"]
    else:
        src = tmp_path / "in.PubTator"
        src.write_text("".join(f"{i}|t|Title {i}.\n{i}|a|{GOOD}\n" for i in range(3)), encoding="utf-8")
        args = ["mentions", src, "--out", tmp_path / "o.PubTator", "--ner-model", "none"]
    code, terminal = _stderr_through_a_terminal(args)
    assert code == ExitCode.OK, terminal
    assert command.encode() in terminal and b"3/3" in terminal, terminal
    piped = run_cli(*args)
    assert piped.returncode == ExitCode.OK and "3/3" not in piped.stderr and "\x1b[" not in piped.stderr, piped.stderr


@pytest.mark.parametrize(("verbose", "shown"), [(0, False), (1, True), (2, True)])
@pytest.mark.parametrize("logger", ["py.warnings"])
def test_library_loggers_show_warnings_from_v(logger: str, verbose: int, shown: bool) -> None:
    import logging

    from pipeline.cli import filter_third_party_warnings

    target = logging.getLogger(logger)
    before = target.level
    try:
        filter_third_party_warnings(verbose)
        assert target.isEnabledFor(logging.WARNING) is shown
        assert target.isEnabledFor(logging.ERROR)
        assert not target.isEnabledFor(logging.DEBUG)
    finally:
        target.setLevel(before)
        logging.captureWarnings(False)
