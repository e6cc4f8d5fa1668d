"""Immutable, content-addressed store of raw fetched bytes plus fetch metadata.

Fetchers only write here; parsers only read. Bytes live once under
``objects/<sha[:2]>/<sha>``; every fetch event is one small JSON record under
``records/<source>/<source_id>/`` so re-fetching never rewrites history and a
killed process leaves at worst an unreferenced object (never a torn record).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from schemas.errors import InputError
from schemas.files import atomic_write_bytes
from schemas.models import RawRecord

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def utc_now() -> str:
    """Current UTC time as a sortable ISO-8601 string with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(value: str) -> str:
    """A filesystem-safe, collision-resistant name for an id."""
    cleaned = _UNSAFE.sub("_", value).strip("._") or "_"
    if cleaned != value:
        cleaned = f"{cleaned[:80]}-{hashlib.sha1(value.encode()).hexdigest()[:8]}"
    return cleaned


class RawStore:
    """Append-only raw store rooted at ``root`` (usually ``<workdir>/raw``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.records_dir = self.root / "records"

    def object_path(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def put(
        self,
        data: bytes,
        *,
        source: str,
        source_id: str,
        url: str,
        status: int = 200,
        content_type: str = "",
        format_hint: str = "",
        headers: dict[str, str] | None = None,
        fetched_at: str | None = None,
    ) -> RawRecord:
        """Store bytes (once per content hash) and record this fetch event."""
        digest = sha256_bytes(data)
        obj = self.object_path(digest)
        problem = self.check(digest)
        if problem is not None:  # absent, or damaged on disk: these bytes repair it
            if problem != "missing":
                log.warning("raw object %s was %s; rewritten from the bytes fetched again", obj, problem)
            atomic_write_bytes(obj, data)
            obj.chmod(0o444)
        record = RawRecord(
            source=source,
            source_id=source_id,
            url=url,
            fetched_at=fetched_at or utc_now(),
            status=status,
            sha256=digest,
            size=len(data),
            content_type=content_type,
            format_hint=format_hint,
            headers=dict(headers or {}),
        )
        rec_dir = self.records_dir / safe_name(source) / safe_name(source_id)
        name = f"{safe_name(record.fetched_at)}-{digest[:12]}.json"
        atomic_write_bytes(rec_dir / name, record.model_dump_json(indent=None).encode())
        log.debug("stored %s/%s sha256=%s (%d bytes)", source, source_id, digest[:12], len(data))
        return record

    def check(self, sha256: str) -> str | None:
        """None when the object is present and matches its hash, else what is wrong (``missing``, ``corrupt …``).

        Objects are immutable, so a mismatch is always local damage (disk, an editor, a copy).
        """
        path = self.object_path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        return None if sha256_bytes(data) == sha256 else "corrupt (checksum mismatch)"

    def get_bytes(self, sha256: str) -> bytes:
        """The stored bytes, verified against their hash (a damaged object is an InputError naming it)."""
        path = self.object_path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise InputError(f"raw object {sha256} missing from {self.objects}") from exc
        except OSError as exc:
            raise InputError(f"raw object {path} is unreadable ({exc.strerror or exc})") from exc
        if sha256_bytes(data) != sha256:
            raise InputError(f"raw object {path} is corrupt (checksum mismatch)")
        return data

    def history(self, source: str, source_id: str) -> list[RawRecord]:
        """Every recorded fetch of one item, oldest first."""
        rec_dir = self.records_dir / safe_name(source) / safe_name(source_id)
        if not rec_dir.is_dir():
            return []
        return [_read_record(p) for p in sorted(rec_dir.glob("*.json"))]

    def latest(self, source: str, source_id: str) -> RawRecord | None:
        hist = self.history(source, source_id)
        return hist[-1] if hist else None

    def latest_records(self, source: str | None = None) -> Iterator[RawRecord]:
        """The newest record of every item (of one source, or all), in a stable order."""
        if not self.records_dir.is_dir():
            return
        sources = [self.records_dir / safe_name(source)] if source else sorted(self.records_dir.iterdir())
        for src_dir in sources:
            if not src_dir.is_dir():
                continue
            for item_dir in sorted(src_dir.iterdir()):
                files = sorted(item_dir.glob("*.json"))
                if files:
                    yield _read_record(files[-1])


def _read_record(path: Path) -> RawRecord:
    try:
        return RawRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise InputError(f"raw store record {path} is unreadable: {exc}") from exc
