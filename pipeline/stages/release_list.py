"""Which releases exist on disk: a small module so the up-to-date check of a run needs nothing else."""

from __future__ import annotations

import re
from pathlib import Path

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def list_releases(releases_dir: Path) -> list[str]:
    """Existing release versions, oldest first (semantic-version order)."""
    if not releases_dir.is_dir():
        return []
    found = [p.name for p in releases_dir.iterdir() if p.is_dir() and SEMVER.match(p.name) and (p / "manifest.json").is_file()]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))
