"""Locate the project's bundled data (lexicons, default config, demo snapshot, NER model).

In a wheel the repository's ``data/`` folder is installed as ``pipeline/_data``;
in an editable install it is the ``data/`` folder beside the packages.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def data_dir() -> Path:
    """Return the directory holding the bundled data files."""
    root = Path(__file__).resolve().parent.parent
    for candidate in (root / "pipeline" / "_data", root / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled data folder not found under {root}")


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, e.g. ``data_path("lexicons", "drugs.tsv")``."""
    return data_dir().joinpath(*parts)
