"""The ``oncotriples`` command line: one subcommand per stage, thin wrappers over library functions."""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

import typer
from typer.core import TyperGroup

from schemas.exit_codes import EXIT_CODES_HELP, ExitCode


class OncoTriplesGroup(TyperGroup):
    """The command group; a usage error (unknown option, missing argument) exits with :attr:`ExitCode.ERROR`.

    Why: click's usage errors exit 2, and 2 means "finished, some inputs failed" in the one
    exit-code table (schemas.exit_codes). A subcommand's usage error is raised inside the
    group's ``invoke``, so the two methods cover every command.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except Exception as exc:
            _as_usage_error(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            _as_usage_error(exc)
            raise


_CLICK_USAGE_EXIT = 2


def _as_usage_error(exc: Exception) -> None:
    """Give a click usage error (a click exception with click's usage exit code) the table's code."""
    if hasattr(exc, "show") and getattr(exc, "exit_code", None) == _CLICK_USAGE_EXIT:
        exc.exit_code = int(ExitCode.ERROR)  # type: ignore[attr-defined]


app = typer.Typer(
    name="oncotriples",
    cls=OncoTriplesGroup,
    help=(
        "Build a versioned dataset of drug – alteration – outcome triples from "
        "oncology literature and ClinicalTrials.gov.\n\n"
        "Quick start: `oncotriples run --offline` processes the bundled demo snapshot and writes "
        "a release under ./releases. `oncotriples extract FILES --out triples.jsonl` extracts "
        "triples from local texts and PDFs without touching any state.\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: flags show as `--flag`, not `--flag <bool>`; logs stay free of box drawing
)

COMMAND_MODULES = [
    "pipeline.cli.extract",
    "pipeline.cli.run",
    "pipeline.cli.evaluate",
    "pipeline.cli.mentions",
    "pipeline.cli.trials",
    "pipeline.cli.review",
    "pipeline.cli.releases",
]
"""Modules that each define ``register(app)``; one per stage or command group."""


def version_text() -> str:
    """The package version and the version of the record schema and of every parser, rule set, lexicon and model."""
    from importlib import metadata

    from schemas.models import SCHEMA_VERSION
    from schemas.versions import PARSER_VERSION, rule_versions

    try:
        package = metadata.version("oncotriples")
    except metadata.PackageNotFoundError:
        package = "unknown (not installed)"
    versions = {"record_schema": SCHEMA_VERSION, "parser": PARSER_VERSION, **rule_versions("bundled")}
    return "\n".join([f"oncotriples {package}", *(f"  {name}: {value}" for name, value in versions.items())])


def _show_version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(int(ExitCode.OK))


@app.callback()
def main(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, show_default=False, help="more log output and third-party warnings (-vv for debug)"),
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True, help="print the package, parser, rule-set and model versions, then exit"),
) -> None:
    """Configure logging once for the whole command."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    filter_third_party_warnings(verbose)


THIRD_PARTY_LOGGERS = ("py.warnings",)
"""Loggers of library internals, shown from ``-v`` on."""


def filter_third_party_warnings(verbose: int) -> None:
    """Route library warnings to the ``py.warnings`` logger, shown only with ``-v``.

    They are about the libraries' own internals (scispaCy's abbreviation detector builds a
    matcher with no patterns: spaCy's ``[W036]``; spaCy's ``FutureWarning``s), not about the
    user's input, and spaCy installs its own filters when imported, so a ``warnings`` filter
    set here would lose.
    """
    level = logging.WARNING if verbose >= 1 else logging.ERROR
    logging.captureWarnings(True)
    # Dask sets its loggers' levels from its config when imported (after this), and its worker
    # processes inherit the environment: say it there
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", ("error", "warning", "info")[min(verbose, 2)])
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(level)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
for _info in [*app.registered_commands, *(c for g in app.registered_groups if g.typer_instance for c in g.typer_instance.registered_commands)]:
    _info.epilog = _info.epilog or EXIT_CODES_HELP
