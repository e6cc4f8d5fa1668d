"""Atomic file writes and deterministic JSON Lines (stable key order, UTF-8).

``tempfile.mkstemp`` creates its file with mode 0600 whatever the umask, so a file
renamed into place from it would stay private; every atomic write gives the file the
mode a plain ``open()`` would (``0666`` less the umask) before renaming it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

_UMASK_LINE = re.compile(r"^Umask:\s*([0-7]+)\s*$", re.MULTILINE)


def current_umask() -> int:
    """The process umask, read from /proc on Linux without changing it; elsewhere set and put back at once."""
    try:
        found = _UMASK_LINE.search(Path("/proc/self/status").read_text(encoding="ascii", errors="replace"))
    except OSError:
        found = None
    if found:
        return int(found.group(1), 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def umask_mode(base: int = 0o666) -> int:
    """``base`` less the umask: the mode ``open()`` (``0o666``) or ``mkdir()`` (``0o777``) would give."""
    return base & ~current_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, then rename; a file that already holds ``data`` is left alone."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass  # missing or unreadable: write it
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), umask_mode())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps_record(record: BaseModel | dict) -> str:
    data = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))


def write_jsonl(path: Path, records: Iterable[BaseModel | dict]) -> int:
    """Write records atomically; returns the number of lines."""
    lines = [dumps_record(r) for r in records]
    atomic_write_bytes(Path(path), ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))
    return len(lines)


def read_jsonl(path: Path) -> list[dict]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out
