"""Run the ``oncotriples`` CLI paused at a known point, so crash and concurrency tests can SIGKILL it.

Test-only machinery, kept out of the pipeline: ``python tests/pause_hook.py STAGE[:SECONDS] run …``
wraps the runner before the CLI starts and then runs the CLI with the remaining arguments.
The job writes ``PAUSED STAGE`` to stderr and sleeps (300 s unless SECONDS is given):

* ``fetch``: after the first raw record is stored (the fetch stage's first progress tick);
* ``extract``: after the first document is extracted (the extract stage's first tick);
* ``release``: after the first release file is written into the release's temporary folder.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PAUSED = "pause hook: paused at"
"""What the paused job writes to stderr (followed by the stage)."""
POINTS = ("fetch", "extract", "release")
SCRIPT = Path(__file__).resolve()


def command(stage: str, *cli_args: str) -> list[str]:
    """The argv of an ``oncotriples`` job that pauses at ``stage`` (``"extract"`` or ``"extract:6"``)."""
    return [sys.executable, str(SCRIPT), stage, *cli_args]


def _pause(stage: str, seconds: float) -> None:
    sys.stderr.write(f"{PAUSED} {stage} for {seconds:.0f} s\n")
    sys.stderr.flush()
    time.sleep(seconds)


class _PausingFiles(dict[str, bytes]):
    """Release files that pause after the first one is written (``write_release`` iterates ``items()`` once)."""

    def __init__(self, files: dict[str, bytes], seconds: float) -> None:
        super().__init__(files)
        self.seconds = seconds

    def items(self) -> Iterator[tuple[str, bytes]]:  # type: ignore[override]
        for i, item in enumerate(super().items()):
            if i == 1:
                _pause("release", self.seconds)
            yield item


def install(stage: str, seconds: float) -> None:
    """Wrap the runner (fetch/extract: its progress callback; release: ``write_release``) to pause once."""
    from pipeline.stages import release, runner

    if stage == "release":
        write_release = release.write_release

        def pausing_write_release(releases_dir: Path, version: str, files: dict[str, bytes]) -> Path:
            return write_release(releases_dir, version, _PausingFiles(files, seconds))

        release.write_release = pausing_write_release  # runner imports it at call time
        return

    run_job = runner.run_job

    def pausing_run_job(settings: Any, options: Any, *, progress: Any = None, nlp_factory: Any = None) -> Any:
        fired: list[bool] = []

        def update(name: str, done: int, total: int) -> None:
            if progress is not None:
                progress(name, done, total)
            if name == stage and done >= 1 and not fired:
                fired.append(True)
                _pause(stage, seconds)

        return run_job(settings, options, progress=update, nlp_factory=nlp_factory)

    runner.run_job = pausing_run_job  # the CLI imports it at call time


def main(argv: list[str]) -> None:
    stage, _, seconds = argv[0].partition(":")
    if stage not in POINTS:
        raise SystemExit(f"pause point must be one of {', '.join(POINTS)}, not {argv[0]!r}")
    install(stage, float(seconds) if seconds else 300.0)
    from pipeline.cli import app

    sys.argv = ["oncotriples", *argv[1:]]
    app()


if __name__ == "__main__":
    main(sys.argv[1:])
