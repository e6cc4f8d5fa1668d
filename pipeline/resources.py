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
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled data folder not found beside {here}")


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, e.g. ``data_path("lexicons", "drugs.tsv")``."""
    return data_dir().joinpath(*parts)
