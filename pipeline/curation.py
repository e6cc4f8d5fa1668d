"""Curation decisions applied to extracted triples before a release (interim: no decisions store yet)."""

from __future__ import annotations

from pipeline.config import Settings
from schemas.models import Triple


def apply_curation(settings: Settings, triples: list[Triple]) -> tuple[list[Triple], list[Triple], dict[str, dict[str, str]]]:
    """Return (kept, rejected, curator fields by triple_id)."""
    return list(triples), [], {}
