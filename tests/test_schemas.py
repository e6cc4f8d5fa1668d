"""`schemas/` is the single source of truth: the committed JSON Schema and Frictionless files are
exactly what the typed models export, and released records validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pipeline.config import load_settings
from pipeline.stages.runner import RunOptions, run_job
from schemas.export import EXTRA_COLUMNS, TABLE_MODELS, json_schemas, write_exported
from schemas.models import Triple

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
EXTRA = {c["name"] for c in EXTRA_COLUMNS["triples"]}


def test_committed_schema_files_match_the_models(tmp_path: Path) -> None:
    written = write_exported(tmp_path)
    assert written, "nothing exported"
    for path in written:
        committed = SCHEMAS / path.relative_to(tmp_path)
        assert committed.is_file(), f"{committed} missing: run `python -m schemas.export`"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), f"{committed} is stale: run `python -m schemas.export`"


@pytest.mark.parametrize("table", sorted(TABLE_MODELS))
def test_exported_json_schema_is_a_valid_schema(table: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schemas()[table])


def test_released_triples_validate_against_the_exported_schema(tmp_path: Path, nlp_rules) -> None:
    s = load_settings(overrides={"pipeline": {"workdir": str(tmp_path / "work"), "releases_dir": str(tmp_path / "releases"), "ner_model": "none"}})
    stats = run_job(s, RunOptions(offline=True), nlp_factory=lambda: nlp_rules)
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "json" / "triples.schema.json").read_text(encoding="utf-8")))
    rows = [json.loads(line) for line in (s.releases_dir / stats.release / "triples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows
    for row in rows:
        validator.validate(row)
        Triple.model_validate({k: v for k, v in row.items() if k not in EXTRA})


def test_schema_rejects_a_triple_with_an_unknown_outcome() -> None:
    validator = jsonschema.Draft202012Validator(json_schemas()["triples"])
    required = json_schemas()["triples"].get("required", [])
    assert "outcome" in required
    bad = {"outcome": "cured"}
    assert any(e.validator in ("enum", "const") or "cured" in e.message for e in validator.iter_errors(bad))
