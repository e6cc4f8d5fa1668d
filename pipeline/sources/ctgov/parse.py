"""ClinicalTrials.gov API v2 JSON → ``Trial`` records (pure: bytes in, records out).

The shape is validated before anything is read, because the service (or a proxy in
front of it) can answer 200 with an HTML error page or a truncated body; such input
raises ``ParseError`` and never yields a partial trial.
"""

from __future__ import annotations

import json
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


def _outcome_defs(items: Any) -> list[OutcomeMeasureDef]:
    out = []
    for item in items or []:
        if isinstance(item, dict) and item.get("measure"):
            out.append(
                OutcomeMeasureDef(
                    measure=_s(item["measure"]),
                    description=_s(item.get("description")),
                    time_frame=_s(item.get("timeFrame")),
                )
            )
    return out


def _results(results_section: Any) -> list[ResultMeasure]:
    if not isinstance(results_section, dict):
        return []
    module = results_section.get("outcomeMeasuresModule") or {}
    measures: list[ResultMeasure] = []
    for om in module.get("outcomeMeasures") or []:
        if not isinstance(om, dict):
            continue
        groups = {_s(g.get("id")): _s(g.get("title")) for g in om.get("groups") or [] if isinstance(g, dict)}
        values: list[dict[str, str]] = []
        for cls in om.get("classes") or []:
            for cat in cls.get("categories") or []:
                for m in cat.get("measurements") or []:
                    row = {
                        "group": _s(m.get("groupId")),
                        "value": _s(m.get("value")),
                        "lower": _s(m.get("lowerLimit")),
                        "upper": _s(m.get("upperLimit")),
                        "spread": _s(m.get("spread")),
                    }
                    if cls.get("title"):
                        row["class"] = _s(cls["title"])
                    if cat.get("title"):
                        row["category"] = _s(cat["title"])
                    values.append(row)
        analyses = [
            ResultAnalysis(
                param_type=_s(a.get("paramType")),
                param_value=_s(a.get("paramValue")),
                ci_pct=_s(a.get("ciPctValue")),
                ci_low=_s(a.get("ciLowerLimit")),
                ci_high=_s(a.get("ciUpperLimit")),
                p_value=_s(a.get("pValue")),
                method=_s(a.get("statisticalMethod")),
                groups=_strs(a.get("groupIds")),
            )
            for a in om.get("analyses") or []
            if isinstance(a, dict)
        ]
        measures.append(
            ResultMeasure(
                title=_s(om.get("title")),
                type=_s(om.get("type")),
                param_type=_s(om.get("paramType")),
                unit=_s(om.get("unitOfMeasure")),
                dispersion_type=_s(om.get("dispersionType")),
                time_frame=_s(om.get("timeFrame")),
                groups=groups,
                values=values,
                analyses=analyses,
            )
        )
    return measures


def study_to_trial(study: dict[str, Any], *, raw_sha256: str = "") -> Trial:
    """Map one v2 study object to a ``Trial``; raises ``ParseError`` on a wrong shape."""
    nct_id = _check_study(study, "ClinicalTrials.gov study")
    try:
        ps = study["protocolSection"]
        ident = ps.get("identificationModule") or {}
        status = ps.get("statusModule") or {}
        design = ps.get("designModule") or {}
        arms_mod = ps.get("armsInterventionsModule") or {}
        outcomes = ps.get("outcomesModule") or {}
        elig = ps.get("eligibilityModule") or {}
        sponsor = (ps.get("sponsorCollaboratorsModule") or {}).get("leadSponsor") or {}
        refs = (ps.get("referencesModule") or {}).get("references") or []
        cond = ps.get("conditionsModule") or {}
        enrollment = (design.get("enrollmentInfo") or {}).get("count")
        interventions = [
            Intervention(
                name=_s(i.get("name")),
                type=_s(i.get("type")),
                description=_s(i.get("description")),
                other_names=_strs(i.get("otherNames")),
                arm_labels=_strs(i.get("armGroupLabels")),
            )
            for i in arms_mod.get("interventions") or []
            if isinstance(i, dict) and i.get("name")
        ]
        arms = [
            Arm(
                label=_s(a.get("label")),
                type=_s(a.get("type")),
                description=_s(a.get("description")),
                interventions=_strs(a.get("interventionNames")),
            )
            for a in arms_mod.get("armGroups") or []
            if isinstance(a, dict) and a.get("label")
        ]
        results = _results(study.get("resultsSection"))
        return Trial(
            nct_id=nct_id,
            brief_title=_s(ident.get("briefTitle")),
            official_title=_s(ident.get("officialTitle")),
            acronym=_s(ident.get("acronym")),
            phases=_strs(design.get("phases")),
            overall_status=_s(status.get("overallStatus")),
            study_type=_s(design.get("studyType")),
            conditions=_strs(cond.get("conditions")),
            keywords=_strs(cond.get("keywords")),
            interventions=interventions,
            arms=arms,
            primary_outcomes=_outcome_defs(outcomes.get("primaryOutcomes")),
            secondary_outcomes=_outcome_defs(outcomes.get("secondaryOutcomes")),
            eligibility_criteria=_s(elig.get("eligibilityCriteria")),
            brief_summary=_s((ps.get("descriptionModule") or {}).get("briefSummary")),
            enrollment=int(enrollment) if isinstance(enrollment, int | float) else None,
            start_date=_date(status.get("startDateStruct")),
            primary_completion_date=_date(status.get("primaryCompletionDateStruct")),
            completion_date=_date(status.get("completionDateStruct")),
            last_update_posted=_date(status.get("lastUpdatePostDateStruct")),
            sponsor=_s(sponsor.get("name")),
            reference_pmids=[_s(r["pmid"]) for r in refs if isinstance(r, dict) and r.get("pmid")],
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
