"""``oncotriples evaluate``: score triples against gold and break the errors down by category."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import error_message, exit_code_for, fail


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate(
        gold: Path = typer.Option(..., "--gold", help="gold folder of <doc_id>.jsonl files (or one file)"),
        pred: Path = typer.Option(..., "--pred", help="predicted triples (JSON Lines, e.g. from `oncotriples extract`)"),
        docs: str = typer.Option("", "--docs", help="comma-separated doc_ids to score (default: every gold doc)"),
        show: int = typer.Option(0, "--show", help="list this many errors with their category (-1: all)"),
    ) -> None:
        """Reproduce the shared scorer's figures (named, class, pairs, all) and categorize errors.

        Categories: wrong_outcome, missed_drug_in_combination, class_vs_named,
        alteration_normalization, wrong_gene, spurious_cooccurrence, missed_alteration,
        missed_entirely_or_cross_sentence. Also prints precision by confidence bucket.

        Example: oncotriples evaluate --gold ../shared/gold/dev --pred x.jsonl --show 40
        """
        from pipeline.training.evaluate import evaluate_paths, render
        from schemas.errors import OncoTriplesError

        try:
            ev = evaluate_paths(gold, pred, [d for d in docs.split(",") if d] or None)
        except OncoTriplesError as exc:
            fail(error_message(exc), exit_code_for(exc))
        typer.echo(render(ev, show=show))
