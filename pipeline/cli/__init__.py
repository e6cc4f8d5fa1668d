"""The ``oncotriples`` command line: one subcommand per stage, thin wrappers over library functions."""

from __future__ import annotations

import importlib
import logging

import typer

app = typer.Typer(
    name="oncotriples",
    help=(
        "Build a versioned dataset of drug – molecular alteration – outcome triples from "
        "oncology literature and ClinicalTrials.gov.\n\n"
        "Quick start: `oncotriples run --offline` processes the bundled demo snapshot and writes "
        "a release under ./releases. `oncotriples extract FILES --out triples.jsonl` extracts "
        "triples from local texts without touching any state."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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


@app.callback()
def main(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="more log output (-vv for debug)"),
) -> None:
    """Configure logging once for the whole command."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    filter_third_party_warnings(verbose)


def filter_third_party_warnings(verbose: int) -> None:
    """Route library warnings to the ``py.warnings`` logger, shown only with ``-vv``.

    They are about the libraries' own internals (scispaCy's abbreviation detector builds a
    matcher with no patterns: spaCy's ``[W036]``), not about the user's input, and spaCy
    installs its own filters when imported, so a ``warnings`` filter set here would lose.
    """
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.DEBUG if verbose >= 2 else logging.ERROR)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
