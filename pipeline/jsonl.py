"""Deterministic JSON Lines writing (atomic, stable key order, UTF-8)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from pipeline.rawstore import atomic_write_bytes


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
