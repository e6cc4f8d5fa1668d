"""Export the record models as JSON Schema, Frictionless Table Schemas and Arrow schemas, and shape rows for tables.

One walk over the model fields gives every form of a release table: in CSV, list
and object fields are JSON text (Table Schema types ``array`` / ``object``,
``flatten``); in JSON Lines they are JSON arrays and objects; in Parquet they are
native Arrow ``list<...>``, ``struct<...>`` and ``map<...>`` columns
(``arrow_schema``), so DuckDB's ``unnest(drugs)`` and pandas see real lists.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from schemas.models import SCHEMA_VERSION, Assertion, Document, DocumentTrialLink, Trial, Triple

TABLE_MODELS: dict[str, type[BaseModel]] = {
    "triples": Triple,
    "assertions": Assertion,
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
    elif table == "assertions":
        schema["primaryKey"] = ["assertion_id"]
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


def _arrow_type(annotation: Any) -> Any:
    """The Arrow type of a model field: lists stay lists, nested models become structs, dicts maps."""
    import pyarrow as pa  # imported only when a Parquet file is written or read (a no-op run stays fast)

    inner, _ = _unwrap(annotation)
    origin = get_origin(inner)
    if origin is Literal or inner is str:
        return pa.string()
    if origin in (list, tuple, set, frozenset):
        (item,) = get_args(inner)[:1] or (str,)
        return pa.list_(_arrow_type(item))
    if origin is dict or inner is dict:
        key, value = get_args(inner) or (str, str)
        return pa.map_(_arrow_type(key), _arrow_type(value))
    if inner is bool:
        return pa.bool_()
    if inner is int:
        return pa.int64()
    if inner is float:
        return pa.float64()
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return pa.struct([pa.field(n, _arrow_type(f.annotation), nullable=_unwrap(f.annotation)[1]) for n, f in inner.model_fields.items()])
    raise TypeError(f"schemas.export: no Arrow type for field annotation {inner!r}")


def arrow_schema(table: str) -> Any:
    """The ``pyarrow.Schema`` of a release table's Parquet file, from the same fields as ``table_schema``."""
    import pyarrow as pa

    model = TABLE_MODELS[table]
    fields = [
        pa.field(name, _arrow_type(info.annotation), nullable=_unwrap(info.annotation)[1])
        for name, info in model.model_fields.items()
        if not (table == "documents" and name in DOCUMENT_TABLE_EXCLUDE)
    ]
    fields += [pa.field(c["name"], pa.string(), nullable=False) for c in EXTRA_COLUMNS.get(table, [])]
    return pa.schema(fields)


def parquet_table_schema(table: str) -> dict[str, Any]:
    """The Table Schema of a table's Parquet copy: ``table_schema`` with list and object columns typed ``any``.

    Frictionless reads Parquet through pandas, which hands a list column over as a NumPy
    array that its ``array`` type refuses; ``any`` keeps those columns checked for presence
    while each field's description names its Arrow type.
    """
    schema = table_schema(table)
    types = {f.name: f.type for f in arrow_schema(table)}
    fields = []
    for f in schema["fields"]:
        if f["type"] in ("array", "object"):
            note = f"Parquet: native {types[f['name']]}"
            f = {**f, "type": "any", "description": f"{f['description']} ({note})" if f.get("description") else note}
        fields.append(f)
    return {**schema, "fields": fields}


def parquet_bytes(rows: list[dict[str, Any]], table: str) -> bytes:
    """A Parquet file of ``rows`` (JSON-mode dicts: lists as lists, nested records as dicts) under ``arrow_schema``."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow_table = pa.Table.from_pylist(rows, schema=arrow_schema(table))
    sink = io.BytesIO()
    pq.write_table(arrow_table, sink, compression="snappy", write_statistics=True)
    return sink.getvalue()


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
