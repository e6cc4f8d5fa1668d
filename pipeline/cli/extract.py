"""``oncotriples extract``: triples from local files, without touching any state."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

log = logging.getLogger(__name__)


def out_problem(out: Path) -> str:
    """Why ``out`` cannot take the output file ("" when it can), checked before the slow work starts."""
    if out.is_dir():
        return "is a directory; give the JSON Lines file to write, e.g. DIR/triples.jsonl"
    parent = next((p for p in out.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"{parent} is not a directory"
    return ""


def register(app: typer.Typer) -> None:
    @app.command("extract")
    def extract(
        paths: list[Path] = typer.Argument(..., help="files (txt, md, html, xml) or directories of them; doc_id = file stem, path-derived (a/paper) when two inputs share a stem"),
        out: Path = typer.Option(..., "--out", "-o", help="JSON Lines file to write (guideline format plus provenance fields)"),
        ner_model: str = typer.Option(None, "--ner-model", help="bundled | none | installed scispaCy package (default from config)"),
        config: Path = typer.Option(None, "--config", help="TOML config file"),
    ) -> None:
        """Extract drug – alteration – outcome triples from local documents.

        Every input is parsed (cleanup, sections), run through the NLP pipeline and
        written to OUT as one JSON object per triple. An input that cannot be read
        is reported on stderr in one line; the others are still written, and the
        exit status is 2.

        Example: oncotriples extract ../shared/corpus --out triples.jsonl
        """
        from extractors.nlp.build import build_nlp
        from pipeline.config import load_settings
        from pipeline.stages.extract import extract_paths
        from schemas.errors import OncoTriplesError
        from schemas.files import write_jsonl

        problem = out_problem(out)
        if problem:
            typer.echo(f"error: --out {out}: {problem}", err=True)
            raise typer.Exit(2)
        try:
            settings = load_settings(config, overrides={"pipeline": {"ner_model": ner_model}})
            nlp = build_nlp(settings.pipeline.ner_model)
        except OncoTriplesError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        result = extract_paths(paths, nlp)
        write_jsonl(out, result.triples)
        for failure in result.failures:
            typer.echo(f"error: {failure.message}", err=True)
        typer.echo(f"{len(result.triples)} triples from {len(result.documents)} documents -> {out}", err=True)
        if result.failures:
            sys.stderr.flush()
            raise typer.Exit(2)
