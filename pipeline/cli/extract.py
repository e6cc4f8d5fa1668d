"""``oncotriples extract``: triples from local files, without touching any state."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from pipeline.cli.common import (
    NER_MODEL_HELP,
    NER_MODEL_OPTION,
    SCHEDULER_HELP,
    SCHEDULER_OPTION,
    WORKERS_HELP,
    WORKERS_OPTION,
    check_out,
    error_message,
    exit_code_for,
    fail,
    progress_bar,
)
from schemas.exit_codes import ExitCode

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    @app.command("extract")
    def extract(
        paths: list[Path] = typer.Argument(..., metavar="PATH", help="files (txt, md, html, xml, json, pdf) or directories of them; doc_id = file stem, path-derived (a/paper) when two inputs share a stem"),
        out: Path = typer.Option(..., "--out", "-o", help="JSON Lines file to write (guideline format plus provenance fields)"),
        ner_model: str = typer.Option(None, NER_MODEL_OPTION, help=f"{NER_MODEL_HELP} (default from config)"),
        config: Path = typer.Option(None, "--config", help="TOML config file"),
        workers: int = typer.Option(None, WORKERS_OPTION, min=1, help=WORKERS_HELP),
        scheduler: str = typer.Option(None, SCHEDULER_OPTION, help=SCHEDULER_HELP),
    ) -> None:
        """Extract drug – alteration – outcome triples from local documents.

        Every input is parsed (cleanup, sections), run through the NLP pipeline and
        written to OUT as one JSON object per triple. PDFs are read through their text
        layer (a scanned PDF needs OCR first); office documents (.docx, .odt, .rtf …)
        are refused with a hint to convert them. An input that cannot be read, and
        every unreadable article of a multi-article file, is reported on stderr in one
        line; the others are still written, and the exit status is 2.

        Example: oncotriples extract ../shared/corpus paper.pdf --out triples.jsonl
        """
        from pipeline.config import load_settings
        from pipeline.stages.parallel import check_scheduler, extract_files
        from schemas.errors import OncoTriplesError, ServiceUnavailableError
        from schemas.files import write_jsonl

        check_out(out)
        try:
            settings = load_settings(config, overrides={"pipeline": {"ner_model": ner_model, "workers": workers, "scheduler": scheduler}})
            check_scheduler(settings)
            with progress_bar() as progress:
                result = extract_files(paths, settings, progress=progress)
        except ServiceUnavailableError as exc:
            fail(error_message(exc), exit_code_for(exc))
        except OncoTriplesError as exc:
            fail(error_message(exc), ExitCode.ERROR)
        write_jsonl(out, result.triples)
        for failure in result.failures:
            typer.echo(f"error: {failure.message}", err=True)
        typer.echo(f"{len(result.triples)} triples from {len(result.documents)} documents -> {out}", err=True)
        if result.failures:
            sys.stderr.flush()
            raise typer.Exit(int(ExitCode.FAILURES))
