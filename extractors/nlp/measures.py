"""Quantitative outcome measures stated in a sentence: ORR, DCR, PFS, OS, DOR, TTF, HR, IC50, p, n, frequency.

Pure functions over a sentence string; the triple assembler decides which
triple each measure belongs to (by position).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.models import Measure

_NUM = r"[<>≤≥]?\s?\d+(?:[.·]\d+)?"
_RANGE = rf"{_NUM}(?:\s?[–—-]\s?{_NUM})?"
_SEP = r"(?:\s*(?:\(\s*[A-Za-z]{1,6}\s*\)\s*)?(?:of|was|were|is|to|=|:|,|\(|reached|achieved|at|approximately|about|\s)*\s*)"

_METRIC_NAMES: list[tuple[str, str]] = [
    ("ORR", r"(?:objective|overall)\s+response\s+rates?|ORRs?|response\s+rates?|RR"),
    ("DCR", r"disease\s+control\s+rates?|DCRs?"),
    ("iORR", r"intracranial\s+(?:objective\s+)?response\s+rates?|i-?ORR|IC-ORR"),
    ("PFS", r"median\s+(?:progression[- ]free\s+survival|PFS)|mPFS"),
    ("PFS", r"progression[- ]free\s+survival|PFS"),
    ("OS", r"median\s+(?:overall\s+survival|OS)|mOS"),
    ("OS", r"overall\s+survival|OS"),
    ("mDOR", r"median\s+(?:duration\s+of\s+response|DOR|DoR)|mDOR|mDoR"),
    ("DOR", r"duration\s+of\s+response|DOR|DoR"),
    ("TTF", r"time\s+to\s+(?:treatment\s+)?failure|TTF"),
]

_PERCENT_METRICS = {"ORR", "DCR", "iORR"}
_TIME_UNIT = r"(?:months?|mo|m|weeks?|wk|days?|years?)\b"

_METRIC_RES = [
    (
        name,
        re.compile(
            rf"(?<![A-Za-z])(?:{pattern})(?![A-Za-z]){_SEP}(?P<val>{_RANGE})(?:\s?(?P<unit0>{_TIME_UNIT}))?(?:\s*(?:vs\.?|versus)\s*{_NUM})?\s?(?P<unit>%|{_TIME_UNIT})?",
            re.IGNORECASE if name not in {"OS", "RR"} else 0,
        ),
    )
    for name, pattern in _METRIC_NAMES
]
_HR_RE = re.compile(
    rf"(?<![A-Za-z])(?:HR|hazard\s+ratio)(?:\s*\[[^\]]{{0,20}}\])?\s*(?:of|was|=|:|,)?\s*(?P<val>{_NUM})"
    rf"(?P<rest>[^;)]{{0,40}}?(?:95\s?%\s?CI|CI)\s*(?:[:,=]|of)?\s*\[?\(?(?P<lo>{_NUM})\s?(?:[–—-]|to|,)\s?(?P<hi>{_NUM}))?",
)
_P_RE = re.compile(r"(?<![A-Za-z])[Pp]\s?(?P<op>[=<>≤≥])\s?(?P<val>0?\.\d+|\d(?:\.\d+)?(?:\s?[×x]\s?10\^?[-−]?\d+)?)")
_IC50_RE = re.compile(
    rf"IC\s?(?:50|₅₀)s?\b[^\d<>≤≥]{{0,30}}?(?P<val>{_RANGE})\s?(?P<unit>[nµμu]M|[nµμu]mol/L|nmol\s*/\s*L|pM)",
)
_N_RE = re.compile(r"(?<![A-Za-z])n\s?=\s?(?P<val>\d+)")
_FREQ_RE = re.compile(
    rf"(?:(?:detected|found|observed|identified|occurred|present)\s+in\s+(?P<val1>{_NUM})\s?%"
    rf"|\((?P<val2>{_NUM})\s?%(?:\s?,\s?\d+\s?/\s?\d+)?\)|(?P<val3>{_NUM})\s?%\s+of\s+(?:patients|cases|samples|tumou?rs))"
)


@dataclass(frozen=True)
class MeasureHit:
    """A measure and the character span (within the sentence) it was read from."""

    start: int
    """Offset of the hit's first character in the sentence."""
    end: int
    """Offset just past the hit's last character."""
    measure: Measure


def _clean_num(value: str) -> str:
    return re.sub(r"\s+", "", value).replace("·", ".").replace("—", "–").replace("-", "–")


#: a time unit of :data:`_TIME_UNIT` by its first letter ("mo", "wk", "days" ...); the rest are years
_TIME_UNITS = {"m": "months", "w": "weeks", "d": "days"}


def _unit(raw_unit: str | None, metric: str) -> str:
    if not raw_unit:
        return "%" if metric in _PERCENT_METRICS else ""
    u = raw_unit.lower()
    if u == "%":
        return "%"
    return _TIME_UNITS.get(u[0], "years")


def find_measures(sentence: str) -> list[MeasureHit]:
    """All measures in a sentence, in text order, without overlaps (first and longest wins)."""
    hits: list[MeasureHit] = []
    for metric, regex in _METRIC_RES:
        for m in regex.finditer(sentence):
            unit = _unit(m.group("unit0") or m.group("unit"), metric)
            if metric in _PERCENT_METRICS and unit != "%":
                continue
            if metric not in _PERCENT_METRICS and unit in ("", "%"):
                continue
            hits.append(MeasureHit(m.start(), m.end(), Measure(metric=metric, value=_clean_num(m.group("val")), unit=unit, text=m.group(0))))
    for m in _HR_RE.finditer(sentence):
        lo, hi = m.group("lo"), m.group("hi")
        hits.append(
            MeasureHit(
                m.start(),
                m.end(),
                Measure(
                    metric="HR",
                    value=_clean_num(m.group("val")),
                    ci_low=_to_float(lo),
                    ci_high=_to_float(hi),
                    text=m.group(0),
                ),
            )
        )
    for m in _IC50_RE.finditer(sentence):
        unit = m.group("unit").replace(" ", "").replace("µ", "μ").replace("u", "μ")
        if unit.endswith("M") and not unit.endswith("/L"):
            unit = {"nM": "nmol/L", "μM": "μmol/L", "pM": "pmol/L"}.get(unit, unit)
        hits.append(MeasureHit(m.start(), m.end(), Measure(metric="IC50", value=_clean_num(m.group("val")), unit=unit, text=m.group(0))))
    for m in _FREQ_RE.finditer(sentence):
        val = m.group("val1") or m.group("val2") or m.group("val3")
        hits.append(MeasureHit(m.start(), m.end(), Measure(metric="frequency", value=_clean_num(val), unit="%", text=m.group(0))))
    for m in _N_RE.finditer(sentence):
        hits.append(MeasureHit(m.start(), m.end(), Measure(metric="n", value=m.group("val"), text=m.group(0))))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[MeasureHit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end and hit.measure.metric != "HR":
            continue
        kept.append(hit)
    p_values = [m for m in _P_RE.finditer(sentence)]
    return [_with_p(h, p_values) for h in kept]


def _with_p(hit: MeasureHit, p_values: list[re.Match[str]]) -> MeasureHit:
    """Attach the nearest following p-value within 60 characters."""
    for m in p_values:
        if hit.end <= m.start() <= hit.end + 60:
            op = m.group("op")
            p = f"{'' if op == '=' else op}{m.group('val')}"
            return MeasureHit(hit.start, hit.end, hit.measure.model_copy(update={"p": p}))
    return hit


def _to_float(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(re.sub(r"[<>≤≥\s]", "", value).replace("·", "."))
    except ValueError:
        return None
