"""``oncotriples review``: spreadsheet export/import of curation decisions and the web review queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _settings(config: Path | None, workdir: Path | None, releases_dir: Path | None):  # noqa: ANN202
    from pipeline.config import load_settings

    return load_settings(
        config,
        overrides={"pipeline": {"workdir": str(workdir) if workdir else None, "releases_dir": str(releases_dir) if releases_dir else None}},
    )


Config = Annotated[Path | None, typer.Option("--config", help="TOML config (defaults: data/default_config.toml)")]
Workdir = Annotated[Path | None, typer.Option("--workdir", help="work directory (its normalized/triples.jsonl is reviewed; state DB inside by default)")]
Releases = Annotated[Path | None, typer.Option("--releases-dir", help="releases folder")]


def register(app: typer.Typer) -> None:
    review_app = typer.Typer(
        name="review",
        help=(
            "Curator review: export triples to a spreadsheet and import the decisions, or review in a "
            "local web queue. Decisions (accept / reject with reason / edit) go to the state database "
            "and are applied by the next `oncotriples run` or `oncotriples release`."
        ),
        no_args_is_help=True,
    )

    @review_app.command("export")
    def export(
        out: Annotated[Path, typer.Option("--out", help="CSV file to write (UTF-8 with BOM, opens in Excel/LibreOffice)")],
        status: Annotated[list[str] | None, typer.Option("--status", help="only triples with this status: pending, needs_review, accepted, edited, rejected, open (= pending + needs_review); repeatable")] = None,
        gene: Annotated[list[str] | None, typer.Option("--gene", help="only this gene, e.g. EGFR (repeatable)")] = None,
        drug: Annotated[list[str] | None, typer.Option("--drug", help="only triples naming this drug (repeatable)")] = None,
        doc: Annotated[list[str] | None, typer.Option("--doc", help="only this document (doc_id or source id; repeatable)")] = None,
        config: Config = None,
        workdir: Workdir = None,
        releases_dir: Releases = None,
    ) -> None:
        """Write one row per triple: fill `decision` (accept / reject / edit), `reason` for rejects
        (wrong_drug, wrong_alteration, wrong_outcome, not_asserted, duplicate, other), optional `note`
        and `curator`; for edit, correct drugs (`a; b`), drug_class (true / false), gene, alteration,
        outcome or evidence_level in place."""
        from pipeline.curation import review
        from schemas.errors import OncoTriplesError
        from schemas.vocab import REVIEW_STATUS_ORDER

        statuses = [s.strip().lower() for s in status or []]
        bad = [s for s in statuses if s not in (*REVIEW_STATUS_ORDER, "open", "all")]
        if bad:
            typer.echo(f"error: --status {bad[0]!r} is not one of {', '.join((*REVIEW_STATUS_ORDER, 'open', 'all'))}", err=True)
            raise typer.Exit(1)
        filters = review.Filters(statuses=statuses, genes=list(gene or []), drugs=list(drug or []), docs=list(doc or []))
        try:
            n = review.export_csv(_settings(config, workdir, releases_dir), out, filters)
        except OncoTriplesError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"exported {n} triple(s) to {out}", err=True)

    @review_app.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="CSV written by `review export` with decisions filled in")],
        curator: Annotated[str, typer.Option("--curator", help="curator name for rows whose curator cell is empty")] = "",
        config: Config = None,
        workdir: Workdir = None,
        releases_dir: Releases = None,
    ) -> None:
        """Validate every row, then record all filled decisions; if any row is invalid nothing is
        recorded and each bad row is named (spreadsheet row number; the header is row 1)."""
        from pipeline.curation import review
        from schemas.errors import OncoTriplesError

        try:
            result = review.import_csv(_settings(config, workdir, releases_dir), file, curator=curator)
        except OncoTriplesError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        c = result.counts()
        typer.echo(
            f"recorded {len(result.applied)} decision(s) (accept {c['accept']}, reject {c['reject']}, edit {c['edit']}); "
            f"{result.skipped} row(s) without a decision left as they were",
            err=True,
        )

    @review_app.command("restore")
    def restore(
        release: Annotated[str, typer.Argument(metavar="RELEASE", help="a release folder (releases/1.2.0) or a version under --releases-dir")],
        config: Config = None,
        workdir: Workdir = None,
        releases_dir: Releases = None,
    ) -> None:
        """Rebuild the curation decisions a release carries (its decisions.jsonl, checked against
        its checksums) into the state database, creating it if it was lost. Safe to repeat: a
        decision already there, or older than one made since, is left out."""
        from pipeline.curation import decisions
        from schemas.errors import OncoTriplesError

        settings = _settings(config, workdir, releases_dir)
        try:
            result = decisions.restore_decisions(settings, release)
        except OncoTriplesError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(
            f"restored {len(result.restored)} decision(s) from {result.release} into {settings.state_db}; "
            f"{result.present} already there or superseded by a newer decision",
            err=True,
        )

    @review_app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", help="address to bind (loopback by default; the app has no login)")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one)")] = 8765,
        curator: Annotated[str, typer.Option("--curator", help="default curator name (defaults to the login name)")] = "",
        config: Config = None,
        workdir: Workdir = None,
        releases_dir: Releases = None,
    ) -> None:
        """Serve the review queue (it opens on the triples left to review): each card shows the
        paragraph around the sentence and links the source record. j/k move, n next unreviewed,
        a accept, r reject (1-6 picks the reason), e edit any curated field, u undo the last
        decision; every decision is saved at once."""
        import logging

        from pipeline.curation import decisions, review
        from pipeline.curation.webapp import build_server
        from pipeline.stages.assertions import roll_up
        from schemas.errors import OncoTriplesError

        settings = _settings(config, workdir, releases_dir)
        try:
            review.load_current_triples(settings)
            decisions.check_released_decisions(settings)
        except OncoTriplesError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        server = build_server(settings, host, port, roll_up=roll_up, curator=curator)
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"review queue on http://{shown}:{server.server_port}/ (Ctrl-C to stop)", err=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            logging.getLogger(__name__).warning("serving on %s: anyone who can reach it can record decisions", host)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    app.add_typer(review_app, name="review")
