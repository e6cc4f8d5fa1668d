"""``oncotriples mentions`` (PubTator entity mentions) and ``oncotriples train-ner``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import (
    NER_MODEL_HELP,
    NER_MODEL_OPTION,
    check_out,
    error_message,
    exit_code_for,
    fail,
    progress_bar,
)


def register(app: typer.Typer) -> None:
    @app.command("mentions")
    def mentions(
        in_path: Annotated[Path, typer.Argument(metavar="IN.PubTator", help="PubTator input (title |t| and abstract |a| lines)")],
        out: Annotated[Path, typer.Option("--out", "-o", help="PubTator file to write with the pipeline's own mention lines")],
        ner_model: Annotated[str | None, typer.Option(NER_MODEL_OPTION, help=f"{NER_MODEL_HELP} [default: bundled]")] = None,
        model: Annotated[str | None, typer.Option("--model", hidden=True, help=f"the same as {NER_MODEL_OPTION}")] = None,
        variant_convention: Annotated[str, typer.Option("--variant-convention", help="tmvar3: also natural-language variants ('C to T substitution at position 1135', '13-bp deletion'), as tmVar3/BioRED annotate; tmvar1: formulaic mentions only, as the tmVar1 guideline")] = "tmvar3",
    ) -> None:
        """Write the pipeline's entity mentions (Chemical, Gene, SequenceVariant, Disease) in PubTator form.

        Offsets are into title + " " + abstract; gold annotation lines in the
        input are ignored. An unreadable or malformed input is a one-line error
        with exit status 2; a missing model one with exit status 1.

        Example: oncotriples mentions CDR_DevelopmentSet.PubTator.txt --out pred.PubTator
        """
        from pipeline.stages.mentions import annotate_pubtator
        from schemas.errors import InputError, OncoTriplesError

        if variant_convention not in ("tmvar3", "tmvar1"):
            fail(f"--variant-convention must be tmvar3 or tmvar1, not {variant_convention!r}")
        if ner_model and model and ner_model != model:
            fail(f"--model is another name for {NER_MODEL_OPTION}; give one of them, not {ner_model!r} and {model!r}")
        check_out(out)
        try:
            with progress_bar() as progress:
                n = annotate_pubtator(in_path, out, model=ner_model or model or "bundled",
                                      natural_language_variants=variant_convention == "tmvar3", progress=progress)
        except OncoTriplesError as exc:
            msg = error_message(exc)
            if isinstance(exc, InputError) and str(in_path) not in msg and str(out) not in msg:
                msg = f"{in_path}: {msg}"
            fail(msg, exit_code_for(exc))
        typer.echo(f"{n} documents -> {out}", err=True)

    @app.command("train-ner")
    def train_ner(
        corpora: Annotated[Path | None, typer.Option("--corpora", help="folder of the public corpora (default ../shared/corpora)")] = None,
        work: Annotated[Path | None, typer.Option("--work", help="scratch folder for DocBins and checkpoints (default /tmp/oncotriples_ner)")] = None,
        step: Annotated[str, typer.Option("--step", help="convert | vectors | train | assemble | evaluate | all")] = "all",
        jobs: Annotated[int, typer.Option("--jobs", help="train the chemical and gene models side by side (2 on a 2-core machine)")] = 1,
    ) -> None:
        """Retrain the bundled NER model (data/ner/model) from the public corpora; see data/ner/MODEL_CARD.md."""
        from pipeline.training.ner import main as train_main

        argv = [step]
        if corpora:
            argv += ["--corpora", str(corpora)]
        if work:
            argv += ["--work", str(work)]
        train_main([*argv, "--jobs", str(jobs)])
