"""What every command shares: the one-line error exit, the model hint, the --out check and the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer

from pipeline.stages.context import Progress
from schemas.errors import (
    InputError,
    ModelNotInstalledError,
    OncoTriplesError,
    ParseError,
    ServiceUnavailableError,
)
from schemas.exit_codes import ExitCode

NER_MODEL_OPTION = "--ner-model"
"""The option that names the NER model, in every command (``mentions`` also takes ``--model``)."""
NER_MODEL_HELP = "NER model: bundled | none | installed scispaCy package (e.g. en_ner_bc5cdr_md) | pipeline path"
WORKERS_OPTION = "--workers"
WORKERS_HELP = (
    "extraction worker processes (a Dask LocalCluster, one thread each); default: the cores available "
    "to this process (a small batch is then extracted serially); 1: serial"
)
SCHEDULER_OPTION = "--scheduler"
SCHEDULER_HELP = "address of a running Dask scheduler (tcp://host:8786, e.g. from dask-jobqueue or dask-kubernetes) to extract on"


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print ``error: message`` (one line) on stderr and exit with ``code``."""
    typer.echo(f"error: {message.splitlines()[0] if message else message}", err=True)
    raise typer.Exit(int(code))


def error_message(exc: OncoTriplesError) -> str:
    """The one-line message for ``exc``; a missing model also names the option that chooses another."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, ModelNotInstalledError):
        message += f"; or choose another with {NER_MODEL_OPTION} (bundled | none | an installed package)"
    return message


def exit_code_for(exc: OncoTriplesError) -> ExitCode:
    """FAILURES when the input itself could not be used or a required service did not answer,
    ERROR for configuration, model or environment."""
    return ExitCode.FAILURES if isinstance(exc, InputError | ParseError | ServiceUnavailableError) else ExitCode.ERROR


def out_problem(out: Path) -> str:
    """Why ``out`` cannot take the output file ("" when it can), checked before the slow work starts."""
    if out.is_dir():
        return f"is a directory; give the file to write, e.g. {out / 'out.jsonl'}"
    parent = next((p for p in out.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"{parent} is not a directory"
    return ""


def check_out(out: Path, option: str = "--out") -> None:
    """Exit with a usage error naming ``option`` when ``out`` cannot be written."""
    problem = out_problem(out)
    if problem:
        fail(f"{option} {out}: {problem}")


@contextmanager
def progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr while the block runs, when stderr is a terminal; None otherwise.

    Why only on a terminal: scheduled jobs and pipes get their stderr as a log, where a
    redrawn bar is noise. The bar is transient: nothing is left of it when the block ends.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=max(total, 1))
        bar.update(tasks[stage], completed=done, total=max(total, 1))

    with bar:
        yield update
