"""Record models (single source of truth), exported JSON Schema and Frictionless descriptors."""

from schemas.models import (
    SCHEMA_VERSION,
    Document,
    DocumentTrialLink,
    Measure,
    OffsetSegment,
    RawRecord,
    Section,
    Trial,
    Triple,
)

__all__ = [
    "SCHEMA_VERSION",
    "Document",
    "DocumentTrialLink",
    "Measure",
    "OffsetSegment",
    "RawRecord",
    "Section",
    "Trial",
    "Triple",
]
