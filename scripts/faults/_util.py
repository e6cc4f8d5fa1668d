"""Shared pieces of the fault checks: running the CLI in a subprocess with a deadline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path, timeout: float = 120.0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``oncotriples ARGS`` with the project's interpreter; a hang past ``timeout`` raises."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("oncotriples")), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> bool:
    """True when the command failed with a short error and no Python traceback."""
    return proc.returncode != 0 and "Traceback (most recent call last)" not in proc.stderr
