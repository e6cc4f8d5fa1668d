"""``oncotriples trials``: fetch ClinicalTrials.gov records by NCT id into JSON Lines."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import check_out, error_message, exit_code_for, fail
from schemas.exit_codes import ExitCode

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    @app.command("trials")
    def trials(
        nct_ids: Annotated[list[str], typer.Argument(help="NCT ids (NCT + 8 digits; lowercase and spaces are accepted)")],
        out: Annotated[Path, typer.Option("--out", "-o", help="JSON Lines file to write, one trial per line")],
        config: Annotated[Path | None, typer.Option("--config", help="TOML config file")] = None,
        workdir: Annotated[
            Path | None, typer.Option("--workdir", help="work directory (raw store, HTTP cache, run records)")
        ] = None,
    ) -> None:
        """Fetch trials from ClinicalTrials.gov (batched, up to 1000 ids per request).

        Writes one JSON object per trial (nct_id, brief_title, overall_status,
        phases, conditions, interventions with name and type, arms, outcomes,
        eligibility, results …). Unknown (404) and malformed ids are reported on
        stderr, one line each, and in the run record under <workdir>/runs/; the
        others are still written. Exit 0 when at least one trial was written (an
        id that names no trial is an answer, not a failure), 2 when none could be.

        Example: oncotriples trials NCT04267848 NCT03418623 --out trials.jsonl
        """
        from pipeline.config import load_settings
        from pipeline.sources.http import PoliteClient
        from pipeline.sources.rawstore import RawStore
        from pipeline.stages.trials import fetch_trials, write_run_record
        from schemas.errors import OncoTriplesError

        check_out(out)
        try:
            settings = load_settings(config, overrides={"pipeline": {"workdir": str(workdir) if workdir else None}})
            wd = settings.workdir
            store = RawStore(wd / "raw")
            with PoliteClient.from_settings(settings, raw_store=store, workdir=wd) as http:
                result = fetch_trials(nct_ids, settings=settings, raw_store=store, http=http, out=out)
                for entry in http.log:
                    log.info("request %s", entry.describe())
            record = write_run_record(result, wd)
        except OncoTriplesError as exc:
            fail(error_message(exc), exit_code_for(exc))
        except OSError as exc:
            fail(str(exc), ExitCode.ERROR)
        except Exception as exc:  # noqa: BLE001 - the contract is "never a traceback"
            log.debug("unexpected failure", exc_info=True)
            fail(f"unexpected {type(exc).__name__}: {exc}", ExitCode.ERROR)
        for line in result.problems():
            typer.echo(line, err=True)
        typer.echo(
            f"{len(result.trials)} trials written to {out}; {len(result.unknown)} unknown, "
            f"{len(result.malformed)} malformed, {len(result.errors)} failed (run record {record})",
            err=True,
        )
        if result.total_failure:
            raise typer.Exit(int(ExitCode.FAILURES))
