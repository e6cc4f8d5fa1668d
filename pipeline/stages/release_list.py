"""Which releases exist on disk, and which paths belong to one: small, so the up-to-date check of a run needs nothing else."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from schemas.errors import InputError

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def list_releases(releases_dir: Path) -> list[str]:
    """Existing release versions, oldest first (semantic-version order)."""
    if not releases_dir.is_dir():
        return []
    found = [p.name for p in releases_dir.iterdir() if p.is_dir() and SEMVER.match(p.name) and (p / "manifest.json").is_file()]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def release_member(release: Path, name: str, *, listed_in: str) -> Path:
    """The path of file ``name`` of ``release``; raise InputError when it would reach outside the folder.

    Checksum lists are data, not instructions: a hand-edited ``SHA256SUMS`` or
    ``manifest.json`` must never make ``verify`` open an absolute path, climb out
    with ``..`` or follow a symlink out of the release.
    """
    where = f"{release / listed_in}: {name!r}"
    if not name or any(c in name for c in "\x00\r\n"):
        raise InputError(f"{where} is not a plain file name; refused")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive or name.startswith("\\"):
        raise InputError(f"{where} is an absolute path, outside the release; refused")
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise InputError(f"{where} climbs with '..', outside the release; refused")
    root = release.resolve()
    path = (release / name).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"{where} resolves to {path} through a symlink, outside the release; refused")
    return release / name
