"""A writable copy of the bundled demo snapshot, for tests that damage it or add newer records."""

from __future__ import annotations

from pathlib import Path

from pipeline.sources.rawstore import RawStore
from schemas.resources import data_path


def make_snapshot(folder: Path) -> RawStore:
    """Copy the newest record of every demo item into a raw store at ``folder``."""
    demo = RawStore(data_path("demo"))
    snap = RawStore(folder)
    for rec in demo.latest_records():
        snap.put(demo.get_bytes(rec.sha256), source=rec.source, source_id=rec.source_id, url=rec.url, status=rec.status,
                 content_type=rec.content_type, format_hint=rec.format_hint, headers=rec.headers, fetched_at=rec.fetched_at)
    return snap
