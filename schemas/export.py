"""Export the record models as JSON Schema and Frictionless Table Schemas, and flatten records for tables.

Release tables are flat: list and object fields become JSON text in CSV
(Table Schema types ``array`` / ``object``), so one schema describes the CSV,
JSON Lines and Parquet copies alike.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from schemas.models import SCHEMA_VERSION, Document, DocumentTrialLink, Trial, Triple

TABLE_MODELS: dict[str, type[BaseModel]] = {
    "triples": Triple,
    "documents": Document,
    "trials": Trial,
    "document_trials": DocumentTrialLink,
}
"""Release table name -> the model its rows follow."""

DOCUMENT_TABLE_EXCLUDE = frozenset({"text", "offset_map"})
"""Document fields too large for the documents table (the text stays in the work directory)."""

EXTRA_COLUMNS: dict[str, list[dict[str, Any]]] = {
    "triples": [
        {"name": "curator", "type": "string", "description": "who made the latest curation decision"},
        {"name": "curated_at", "type": "string", "description": "when (UTC ISO-8601)"},
        {"name": "curation_note", "type": "string", "description": "the curator's note"},
    ],
}
"""Columns a release adds to a model's fields (curation metadata)."""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip ``X | None`` and return (inner, optional)."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _field_type(annotation: Any) -> tuple[str, dict[str, Any]]:
    inner, _ = _unwrap(annotation)
    origin = get_origin(inner)
    if origin is Literal:
        return "string", {"enum": [str(v) for v in get_args(inner)]}
    if origin in (list, tuple, set, frozenset):
        return "array", {}
    if origin is dict or inner is dict:
        return "object", {}
    if inner is bool:
        return "boolean", {}
    if inner is int:
        return "integer", {}
    if inner is float:
        return "number", {}
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "object", {}
    return "string", {}


def table_columns(table: str) -> list[str]:
    model = TABLE_MODELS[table]
    names = [n for n in model.model_fields if not (table == "documents" and n in DOCUMENT_TABLE_EXCLUDE)]
    return names + [c["name"] for c in EXTRA_COLUMNS.get(table, [])]


def table_schema(table: str) -> dict[str, Any]:
    """Frictionless Table Schema for a release table."""
    model = TABLE_MODELS[table]
    fields = []
    for name, info in model.model_fields.items():
        if table == "documents" and name in DOCUMENT_TABLE_EXCLUDE:
            continue
        ftype, constraints = _field_type(info.annotation)
        field: dict[str, Any] = {"name": name, "type": ftype}
        if info.description:
            field["description"] = info.description
        _, optional = _unwrap(info.annotation)
        if info.is_required() and not optional:
            constraints = {**constraints, "required": True}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    fields.extend(EXTRA_COLUMNS.get(table, []))
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table == "triples":
        schema["primaryKey"] = ["triple_id"]
    elif table == "trials":
        schema["primaryKey"] = ["nct_id"]
    elif table == "documents":
        schema["primaryKey"] = ["doc_id"]
    return schema


def flatten(record: BaseModel | dict[str, Any], table: str) -> dict[str, Any]:
    """A flat row for CSV/Parquet: arrays and objects as compact JSON text, None as empty."""
    data = record.model_dump(mode="json") if isinstance(record, BaseModel) else dict(record)
    row: dict[str, Any] = {}
    for name in table_columns(table):
        value = data.get(name)
        if isinstance(value, list | dict):
            row[name] = json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict), separators=(",", ":"))
        elif value is None:
            row[name] = ""
        else:
            row[name] = value
    return row


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every table model, keyed by table name."""
    out = {}
    for table, model in TABLE_MODELS.items():
        schema = model.model_json_schema()
        for column in EXTRA_COLUMNS.get(table, []):  # release rows carry the curation columns too
            schema["properties"][column["name"]] = {"type": column["type"], "default": "", "description": column["description"]}
        schema["$id"] = f"https://oncotriples.invalid/schemas/{SCHEMA_VERSION}/{table}.schema.json"
        out[table] = schema
    return out


def write_exported(folder: Path) -> list[Path]:
    """Write ``json/<table>.schema.json`` and ``table/<table>.json`` under ``folder``."""
    written = []
    for table, schema in json_schemas().items():
        path = folder / "json" / f"{table}.schema.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
        tpath = folder / "table" / f"{table}.json"
        tpath.parent.mkdir(parents=True, exist_ok=True)
        tpath.write_text(json.dumps(table_schema(table), indent=2) + "\n", encoding="utf-8")
        written.append(tpath)
    return written


if __name__ == "__main__":  # python -m schemas.export  (regenerates the committed files)
    for p in write_exported(Path(__file__).resolve().parent):
        print(p)  # noqa: T201
