"""``oncotriples run`` (the main job) and ``oncotriples release`` (the release stage alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import (
    NER_MODEL_HELP,
    NER_MODEL_OPTION,
    SCHEDULER_HELP,
    SCHEDULER_OPTION,
    WORKERS_HELP,
    WORKERS_OPTION,
    error_message,
    exit_code_for,
    fail,
    progress_bar,
)
from schemas.exit_codes import ExitCode


def _settings(config: Path | None, workdir: Path | None, releases_dir: Path | None, ner_model: str | None, workers: int | None = None, scheduler: str | None = None):
    from pipeline.config import load_settings

    return load_settings(
        config,
        overrides={"pipeline": {
            "workdir": str(workdir) if workdir else None, "releases_dir": str(releases_dir) if releases_dir else None,
            "ner_model": ner_model, "workers": workers, "scheduler": scheduler,
        }},
    )


def _run_and_report(config, workdir, releases_dir, ner_model, stats_json, json_summary, workers=None, scheduler=None, **option_values) -> None:
    """Run the job with the given RunOptions values, write the figures, print the summary, exit with the table's code."""
    from pipeline.stages.parallel import check_scheduler
    from pipeline.stages.runner import RunOptions, run_job
    from schemas.errors import LockHeldError, OncoTriplesError, ServiceUnavailableError

    try:
        settings = _settings(config, workdir, releases_dir, ner_model, workers, scheduler)
        check_scheduler(settings)
        options = RunOptions(**option_values)
        with progress_bar() as progress:
            stats = run_job(settings, options, progress=progress) if progress else run_job(settings, options)
    except LockHeldError as exc:
        typer.echo(f"error: {error_message(exc)}", err=True)
        if json_summary:
            typer.echo(json.dumps({"status": "locked", "exit_code": int(ExitCode.LOCKED)}))
        raise typer.Exit(int(ExitCode.LOCKED)) from exc
    except OncoTriplesError as exc:
        code = exit_code_for(exc) if isinstance(exc, ServiceUnavailableError) else ExitCode.ERROR
        typer.echo(f"error: {error_message(exc)}", err=True)
        if json_summary:
            typer.echo(json.dumps({"status": "error", "error": str(exc), "exit_code": int(code)}))
        raise typer.Exit(int(code)) from exc
    figures = stats.as_dict()
    code = int(ExitCode.FAILURES if stats.failed else ExitCode.OK)
    figures["exit_code"] = code
    if stats_json:
        stats_json.parent.mkdir(parents=True, exist_ok=True)
        stats_json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for f in stats.failures:
        typer.echo(f"error: {f.stage} {f.item}: {f.message}", err=True)
    from pipeline.cli.releases import released_triples

    held = f" ({released_triples(settings.releases_dir, stats.release)} triples)" if stats.release else ""
    typer.echo(
        f"documents fetched {stats.documents_fetched}, extracted {stats.documents_extracted}, triples {stats.triples} "
        f"(+{stats.added} -{stats.removed} ~{stats.changed}), failed {stats.failed}; release {stats.release or 'none'}{held}",
        err=True,
    )
    if json_summary:
        typer.echo(json.dumps({"status": "partial" if stats.failed else "ok", **{k: v for k, v in figures.items() if k != "failures"}}, sort_keys=True))
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        config: Annotated[Path | None, typer.Option("--config", help="TOML config (defaults: data/default_config.toml)")] = None,
        offline: Annotated[bool, typer.Option("--offline", help="use the bundled demo snapshot instead of the live services")] = False,
        force: Annotated[bool, typer.Option("--force", help="re-extract every document even if nothing changed")] = False,
        stats_json: Annotated[Path | None, typer.Option("--stats-json", help="write run figures (documents_fetched, documents_extracted, triples, added, removed, changed, failed, durations) to this file")] = None,
        json_summary: Annotated[bool, typer.Option("--json", help="print a one-line JSON summary on stdout")] = False,
        workdir: Annotated[Path | None, typer.Option("--workdir", help="work directory (raw store, parsed, extracted, state)")] = None,
        releases_dir: Annotated[Path | None, typer.Option("--releases-dir", help="where releases/<semver>/ are written")] = None,
        ner_model: Annotated[str | None, typer.Option(NER_MODEL_OPTION, help=NER_MODEL_HELP)] = None,
        no_release: Annotated[bool, typer.Option("--no-release", help="stop after the normalize stage")] = False,
        workers: Annotated[int | None, typer.Option(WORKERS_OPTION, min=1, help=WORKERS_HELP)] = None,
        scheduler: Annotated[str | None, typer.Option(SCHEDULER_OPTION, help=SCHEDULER_HELP)] = None,
    ) -> None:
        """Run the whole pipeline: fetch → parse → extract → normalize → release.

        Incremental: only new or changed documents are fetched and re-extracted, and a
        release is written only when triples changed. `--offline` uses the embedded demo
        snapshot and needs no network. Items that failed are listed on stderr and in
        `--stats-json` (failures). Every run is recorded in the state database
        (default <workdir>/state.sqlite) with its exit code.
        """
        _run_and_report(config, workdir, releases_dir, ner_model, stats_json, json_summary, workers, scheduler, offline=offline, force=force, release=not no_release)

    @app.command("stage")
    def stage(
        name: Annotated[str, typer.Argument(help="fetch | parse | extract | normalize")],
        config: Annotated[Path | None, typer.Option("--config", help="TOML config")] = None,
        offline: Annotated[bool, typer.Option("--offline", help="fetch from the bundled demo snapshot")] = False,
        force: Annotated[bool, typer.Option("--force", help="re-extract every document")] = False,
        stats_json: Annotated[Path | None, typer.Option("--stats-json", help="write run figures to this file")] = None,
        workdir: Annotated[Path | None, typer.Option("--workdir", help="work directory")] = None,
        ner_model: Annotated[str | None, typer.Option(NER_MODEL_OPTION, help=NER_MODEL_HELP)] = None,
    ) -> None:
        """Re-run one stage alone on what the work directory already holds.

        `fetch` only fetches into the raw store; `parse`, `extract` and `normalize` re-run that
        stage (and reuse the stored output of the stages before it) without fetching.
        `oncotriples release` is the last stage. Same locking and exit codes as `run`.
        """
        if name not in ("fetch", "parse", "extract", "normalize"):
            fail(f"unknown stage {name!r} (fetch, parse, extract, normalize)")
        _run_and_report(config, workdir, None, ner_model, stats_json, False, offline=offline, force=force, release=False, fetch=name == "fetch", until=name)

    @app.command("release")
    def release(
        config: Annotated[Path | None, typer.Option("--config", help="TOML config")] = None,
        workdir: Annotated[Path | None, typer.Option("--workdir", help="work directory")] = None,
        releases_dir: Annotated[Path | None, typer.Option("--releases-dir", help="releases folder")] = None,
    ) -> None:
        """Write the next release from the last normalized output (with current curation decisions).

        The version follows the rules: major on a schema change, minor when triples were
        added or removed, patch for corrections only; nothing is written when nothing changed.
        An existing release is never overwritten.
        """
        from pipeline.cli.releases import released_triples
        from pipeline.stages.runner import release_job
        from schemas.errors import LockHeldError, OncoTriplesError

        try:
            settings = _settings(config, workdir, releases_dir, None)
            stats = release_job(settings)
        except LockHeldError as exc:
            fail(error_message(exc), ExitCode.LOCKED)
        except OncoTriplesError as exc:
            fail(error_message(exc), ExitCode.ERROR)
        held = released_triples(settings.releases_dir, stats.release)
        typer.echo(f"release {stats.release or 'none'}: {held} triples (+{stats.added} -{stats.removed} ~{stats.changed})", err=True)
