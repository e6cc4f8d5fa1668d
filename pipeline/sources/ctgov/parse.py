"""ClinicalTrials.gov API v2 JSON → ``Trial`` records (pure: bytes in, records out).

The shape is validated before anything is read, because the service (or a proxy in
front of it) can answer 200 with an HTML error page or a truncated body; such input
raises ``ParseError`` and never yields a partial trial.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas.errors import ParseError
from schemas.models import (
    Arm,
    Intervention,
    OutcomeMeasureDef,
    ResultAnalysis,
    ResultMeasure,
    Trial,
)

PARSER_VERSION = "ctgov-v2/1"


@dataclass
class StudiesPage:
    """One ``/studies`` page: the raw study objects plus the paging fields."""

    studies: list[dict[str, Any]]
    next_page_token: str | None = None
    total_count: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _describe(data: bytes) -> str:
    head = data[:200].decode("utf-8", errors="replace").strip().replace("\n", " ")
    return head[:120]


def load_json(data: bytes, *, what: str = "ClinicalTrials.gov response") -> Any:
    """Decode JSON bytes, telling HTML error pages and truncated bodies apart."""
    if not data or not data.strip():
        raise ParseError(f"{what} is empty")
    stripped = data.lstrip()[:64].lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<")):
        raise ParseError(f"{what} is HTML/XML, not JSON (an error page?): {_describe(data)!r}")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what} is not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        # a body cut short no longer ends with its closing bracket
        kind = "invalid" if data.rstrip().endswith((b"}", b"]")) else "truncated"
        raise ParseError(f"{what} is {kind} JSON ({exc.msg} at char {exc.pos} of {len(data)} bytes)") from exc


def _check_study(study: Any, where: str) -> str:
    if not isinstance(study, dict):
        raise ParseError(f"{where}: study is a {type(study).__name__}, not an object")
    ident = (study.get("protocolSection") or {}).get("identificationModule") or {}
    nct_id = ident.get("nctId")
    if not isinstance(nct_id, str) or not nct_id:
        raise ParseError(f"{where}: study has no protocolSection.identificationModule.nctId")
    return nct_id


def parse_studies_page(data: bytes) -> StudiesPage:
    """Validate and split a ``/studies`` page (``{"studies": [...], "nextPageToken": ...}``)."""
    doc = load_json(data, what="ClinicalTrials.gov /studies page")
    if not isinstance(doc, dict) or not isinstance(doc.get("studies"), list):
        raise ParseError("ClinicalTrials.gov /studies page has no 'studies' list")
    for i, study in enumerate(doc["studies"]):
        _check_study(study, f"/studies page item {i}")
    token = doc.get("nextPageToken")
    total = doc.get("totalCount")
    return StudiesPage(
        studies=doc["studies"],
        next_page_token=token if isinstance(token, str) and token else None,
        total_count=int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
        extra={k: v for k, v in doc.items() if k not in {"studies", "nextPageToken", "totalCount"}},
    )


def parse_study_object(data: bytes) -> dict[str, Any]:
    """Validate a ``/studies/{nctId}`` body and return the study object."""
    doc = load_json(data, what="ClinicalTrials.gov study")
    _check_study(doc, "ClinicalTrials.gov study")
    return doc


def parse_study_json(data: bytes, *, raw_sha256: str = "") -> Trial:
    """One study (``/studies/{nctId}`` body, or a one-study page) → ``Trial``."""
    doc = load_json(data, what="ClinicalTrials.gov study")
    if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
        if len(doc["studies"]) != 1:
            raise ParseError(f"expected one study, the page holds {len(doc['studies'])}")
        doc = doc["studies"][0]
    return study_to_trial(doc, raw_sha256=raw_sha256)


def parse_version(data: bytes) -> dict[str, str]:
    """``/version`` body → ``{"apiVersion": ..., "dataTimestamp": ...}``."""
    doc = load_json(data, what="ClinicalTrials.gov /version")
    if not isinstance(doc, dict) or "dataTimestamp" not in doc:
        raise ParseError("ClinicalTrials.gov /version has no dataTimestamp")
    return {k: str(v) for k, v in doc.items()}


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _date(struct: Any) -> str:
    return _s(struct.get("date")) if isinstance(struct, dict) else ""


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _pmids(references: Any) -> list[str]:
    return [_s(r["pmid"]) for r in references or [] if isinstance(r, dict) and r.get("pmid")]


Reader = Callable[[Any], Any]
"""Turns the JSON value found at a path into a record field's value."""

FieldMap = dict[str, tuple[str, Reader]]
"""Record field -> (dotted CT.gov JSON path, reader); a missing or empty object on the path reads as None."""


def _at(obj: dict[str, Any], path: str) -> Any:
    head, *rest = path.split(".")
    value = obj.get(head)
    for key in rest:
        value = (value or {}).get(key)
    return value


def _fields(obj: dict[str, Any], fields: FieldMap) -> dict[str, Any]:
    """The keyword arguments ``fields`` reads from one CT.gov JSON object."""
    return {name: read(_at(obj, path)) for name, (path, read) in fields.items()}


def _records(cls: type[Any], fields: FieldMap, *, needs: str | None = None) -> Reader:
    """A reader for a list of objects, one ``cls`` each (objects without ``needs`` are left out)."""

    def read(items: Any) -> list[Any]:
        return [
            cls(**_fields(item, fields))
            for item in items or []
            if isinstance(item, dict) and (needs is None or item.get(needs))
        ]

    return read


# The CT.gov v2 field each record field is read from (paths as in the API's data dictionary),
# a line per group of related fields.
_OUTCOME_DEF: FieldMap = {
    "measure": ("measure", _s), "description": ("description", _s), "time_frame": ("timeFrame", _s),
}
_MEASUREMENT: FieldMap = {
    "group": ("groupId", _s),
    "value": ("value", _s), "lower": ("lowerLimit", _s), "upper": ("upperLimit", _s), "spread": ("spread", _s),
}
_ANALYSIS: FieldMap = {
    "param_type": ("paramType", _s), "param_value": ("paramValue", _s),
    "ci_pct": ("ciPctValue", _s), "ci_low": ("ciLowerLimit", _s), "ci_high": ("ciUpperLimit", _s),
    "p_value": ("pValue", _s), "method": ("statisticalMethod", _s),
    "groups": ("groupIds", _strs),
}
_RESULT_MEASURE: FieldMap = {
    "title": ("title", _s), "type": ("type", _s), "time_frame": ("timeFrame", _s),
    "param_type": ("paramType", _s), "unit": ("unitOfMeasure", _s), "dispersion_type": ("dispersionType", _s),
    "analyses": ("analyses", _records(ResultAnalysis, _ANALYSIS)),
}
_INTERVENTION: FieldMap = {
    "name": ("name", _s), "type": ("type", _s), "description": ("description", _s),
    "other_names": ("otherNames", _strs), "arm_labels": ("armGroupLabels", _strs),
}
_ARM: FieldMap = {
    "label": ("label", _s), "type": ("type", _s), "description": ("description", _s),
    "interventions": ("interventionNames", _strs),
}


def _below(module: str, fields: FieldMap) -> FieldMap:
    """``fields`` with each path read inside ``module``."""
    return {name: (f"{module}.{path}", read) for name, (path, read) in fields.items()}


_TRIAL: FieldMap = {  # paths below protocolSection, a group per module
    **_below("identificationModule", {
        "brief_title": ("briefTitle", _s), "official_title": ("officialTitle", _s), "acronym": ("acronym", _s),
    }),
    **_below("statusModule", {
        "overall_status": ("overallStatus", _s),
        "start_date": ("startDateStruct", _date), "completion_date": ("completionDateStruct", _date),
        "primary_completion_date": ("primaryCompletionDateStruct", _date),
        "last_update_posted": ("lastUpdatePostDateStruct", _date),
    }),
    **_below("designModule", {
        "phases": ("phases", _strs), "study_type": ("studyType", _s), "enrollment": ("enrollmentInfo.count", _count),
    }),
    **_below("conditionsModule", {"conditions": ("conditions", _strs), "keywords": ("keywords", _strs)}),
    **_below("armsInterventionsModule", {
        "interventions": ("interventions", _records(Intervention, _INTERVENTION, needs="name")),
        "arms": ("armGroups", _records(Arm, _ARM, needs="label")),
    }),
    **_below("outcomesModule", {
        "primary_outcomes": ("primaryOutcomes", _records(OutcomeMeasureDef, _OUTCOME_DEF, needs="measure")),
        "secondary_outcomes": ("secondaryOutcomes", _records(OutcomeMeasureDef, _OUTCOME_DEF, needs="measure")),
    }),
    "eligibility_criteria": ("eligibilityModule.eligibilityCriteria", _s),
    "brief_summary": ("descriptionModule.briefSummary", _s),
    "sponsor": ("sponsorCollaboratorsModule.leadSponsor.name", _s),
    "reference_pmids": ("referencesModule.references", _pmids),
}


def _measurements(om: dict[str, Any]) -> list[dict[str, str]]:
    """One row per measurement, labelled with its class and category titles when they have one."""
    values: list[dict[str, str]] = []
    for cls in om.get("classes") or []:
        for cat in cls.get("categories") or []:
            for m in cat.get("measurements") or []:
                row = _fields(m, _MEASUREMENT)
                if cls.get("title"):
                    row["class"] = _s(cls["title"])
                if cat.get("title"):
                    row["category"] = _s(cat["title"])
                values.append(row)
    return values


def _results(results_section: Any) -> list[ResultMeasure]:
    if not isinstance(results_section, dict):
        return []
    module = results_section.get("outcomeMeasuresModule") or {}
    return [
        ResultMeasure(
            **_fields(om, _RESULT_MEASURE),
            groups={_s(g.get("id")): _s(g.get("title")) for g in om.get("groups") or [] if isinstance(g, dict)},
            values=_measurements(om),
        )
        for om in module.get("outcomeMeasures") or []
        if isinstance(om, dict)
    ]


def study_to_trial(study: dict[str, Any], *, raw_sha256: str = "") -> Trial:
    """Map one v2 study object to a ``Trial``; raises ``ParseError`` on a wrong shape."""
    nct_id = _check_study(study, "ClinicalTrials.gov study")
    try:
        results = _results(study.get("resultsSection"))
        return Trial(
            nct_id=nct_id,
            **_fields(study["protocolSection"], _TRIAL),
            has_results=bool(study.get("hasResults")) or bool(results),
            results=results,
            raw_sha256=raw_sha256,
        )
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise ParseError(f"{nct_id}: unexpected ClinicalTrials.gov record shape: {exc}") from exc


def inclusion_criteria(eligibility: str) -> str:
    """The inclusion part of a CT.gov eligibility text (all of it if there are no headings)."""
    text = eligibility or ""
    lower = text.lower()
    start = lower.find("inclusion criteria")
    end = lower.find("exclusion criteria")
    if start == -1:
        return text[:end].strip() if end > 0 else text.strip()
    if end > start:
        return text[start:end].strip()
    return text[start:].strip()


def trial_triples_inputs(trial: Trial) -> list[tuple[str, str]]:
    """(registry field, text) pairs the triple extractor reads for a trial.

    Alterations required for enrolment live in titles, conditions, inclusion
    criteria, arm descriptions and keywords; exclusion criteria are left out on
    purpose (an excluded alteration is not the trial's subject).
    """
    pairs: list[tuple[str, str]] = []

    def add(name: str, text: str) -> None:
        if text and text.strip():
            pairs.append((name, text.strip()))

    add("brief_title", trial.brief_title)
    add("official_title", trial.official_title)
    for i, c in enumerate(trial.conditions):
        add(f"conditions[{i}]", c)
    add("eligibility_criteria.inclusion", inclusion_criteria(trial.eligibility_criteria))
    for i, arm in enumerate(trial.arms):
        add(f"arms[{i}].description", arm.description)
    for i, k in enumerate(trial.keywords):
        add(f"keywords[{i}]", k)
    return pairs
