"""Registry triples: drug – alteration – outcome triples read from ClinicalTrials.gov records.

For each trial:

* **alterations**: the extraction pipeline (lexicon rulers, variant grammar) runs over
  every ``trial_triples_inputs(trial)`` field (titles, conditions, inclusion criteria,
  arm descriptions, keywords) as a small document (doc_id = NCT id, source ``ctgov``).
  An alteration without a gene of its own (``C797S``) takes the trial's only gene, if it
  names exactly one. Alterations written as absent (``EGFR wild-type``, ``no ALK
  rearrangement``, ``ALK-negative``) are skipped, and a generic ``mutation``/``fusion``
  of a gene is dropped when the trial names a specific change of that gene.
* **therapy**: the drug/biological interventions of each arm, canonical names from the
  drug lexicon (salt forms such as ``Pemetrexed Disodium`` reduced to the INN); a
  multi-drug arm is a combination. Placebo/vehicle and placebo/no-intervention arms are
  left out; comparator arms only when the trial has no experimental arm. Without arms
  (field subsets), every drug intervention is its own therapy.
* **outcome**: ``investigation`` unless posted results support more: an arm's objective
  response rate ≥ 30 % gives ``sensitivity``, ≤ 10 % gives ``resistance``; a
  significant (p < 0.05) hazard-ratio analysis of the arm against a comparator gives
  ``sensitivity`` (HR < 1) or ``resistance`` (HR > 1). Measures (ORR, PFS, OS, DOR,
  DCR, HR) are attached from the results either way.
* evidence = the field text naming the alteration (20–300 characters), provenance =
  ``section="registry:<field>"`` with offsets into that field; ``evidence_level`` is
  ``clinical_trial``; ``nct_ids=[nct_id]``; ``triple_id`` from ``triple_key_id``.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.sources.ctgov.parse import trial_triples_inputs
from schemas.models import Arm, Measure, ResultMeasure, Trial, Triple
from schemas.vocab import GENERIC_ALTERATIONS, SOURCE_CTGOV, triple_key_id

if TYPE_CHECKING:
    from spacy.language import Language

    from pipeline.stages.context import RunStats, WorkDir

log = logging.getLogger(__name__)

REGISTRY_RULES_VERSION = "registry-1.0.0"
"""Bump when the registry rules change (add to the run's versions so outputs are re-made)."""

DRUG_TYPES = frozenset({"DRUG", "BIOLOGICAL", "COMBINATION_PRODUCT", "GENETIC", ""})
SKIPPED_ARM_TYPES = frozenset({"PLACEBO_COMPARATOR", "NO_INTERVENTION", "SHAM_COMPARATOR"})
COMPARATOR_ARM_TYPES = frozenset({"ACTIVE_COMPARATOR"})
SENSITIVE_ORR = 30.0
RESISTANT_ORR = 10.0
MIN_EVIDENCE, MAX_EVIDENCE = 20, 300
MAX_ALTERNATIVES = 10

_PLACEBO = re.compile(r"\b(?:placebo|vehicle|sham|saline|matching dummy)\b", re.IGNORECASE)
_SALT = re.compile(
    r"\s+(?:hydrochloride|dihydrochloride|hcl|mesylate|dimesylate|besylate|tosylate|maleate|malate|citrate|sulfate|"
    r"disodium|sodium|potassium|calcium|tartrate|succinate|fumarate|phosphate|acetate|hydrobromide|monohydrate)\b.*$",
    re.IGNORECASE,
)
_ABSENT_BEFORE = re.compile(r"\b(?:no|not|without|absence of|negative for|excluding|except|lack of|free of)\b[^.;\n]{0,40}$", re.IGNORECASE)
_ABSENT_AFTER = re.compile(r"^[\s-]{0,2}(?:negative|wild[\s-]?type|wt\b|absent|not detected)", re.IGNORECASE)
_METRICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ORR", re.compile(r"objective response|overall response rate|\bORR\b|response rate|best overall response", re.IGNORECASE)),
    ("DCR", re.compile(r"disease control|\bDCR\b|clinical benefit rate", re.IGNORECASE)),
    ("PFS", re.compile(r"progression[- ]free|\bPFS\b", re.IGNORECASE)),
    ("OS", re.compile(r"overall survival|\bOS\b", re.IGNORECASE)),
    ("DOR", re.compile(r"duration of (?:overall )?response|\bDOR\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class _Alt:
    gene: str
    alteration: str
    vtype: str
    hgvs: str
    rule_id: str
    field: str
    text: str
    start: int
    end: int


# ------------------------------------------------------------------ alterations


_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+\b")


def _sentence_case(text: str) -> str:
    """Registry titles are Title Case (``With MET Amplification``): lower capitalized words, same length.

    Gene symbols and variants (all caps / digits: ``MET``, ``T790M``) are untouched, so offsets stay valid.
    """
    return _CAPITALIZED.sub(lambda m: m.group(0).lower(), text)


def _field_doc(nlp: Language, nct_id: str, field: str, text: str) -> Any:
    """Run the pipeline (without the text triple assembler) over one registry field (sentence-cased copy)."""
    doc = nlp.make_doc(_sentence_case(text))
    doc._.doc_id = nct_id
    doc._.source = SOURCE_CTGOV
    doc._.source_id = nct_id
    doc._.sections = [(0, len(text), "body")]
    doc._.default_level = "clinical_trial"
    for name, proc in nlp.pipeline:
        if name == "oncotriples_triples":
            continue
        doc = proc(doc)
    return doc


def _absent(text: str, start: int, end: int) -> bool:
    return bool(_ABSENT_BEFORE.search(text[max(0, start - 60) : start]) or _ABSENT_AFTER.match(text[end : end + 20]))


def trial_alterations(nlp: Language, trial: Trial) -> list[_Alt]:
    """Required alterations named by the trial's registry fields, first mention of each kept."""
    found: list[_Alt] = []
    geneless: list[tuple[str, str, Any]] = []
    genes: set[str] = set()
    for field, text in trial_triples_inputs(trial):
        doc = _field_doc(nlp, trial.nct_id, field, text)
        from extractors.nlp.triples import gene_hits

        genes.update(sym for _s, _e, sym in gene_hits(doc))
        for v in getattr(doc._, "variants", None) or []:
            if getattr(v, "vtype", "") == "wild_type" or _absent(text, v.start, v.end):
                continue
            if not getattr(v, "gene", None):
                geneless.append((field, text, v))
                continue
            genes.add(v.gene)
            for alt in getattr(v, "alternatives", None) or (v.normalized,):
                found.append(_Alt(v.gene, alt, v.vtype or "", v.hgvs or "", v.rule_id or "", field, text, v.start, v.end))
    if len(genes) == 1:
        (gene,) = genes
        for field, text, v in geneless:
            for alt in getattr(v, "alternatives", None) or (v.normalized,):
                found.append(_Alt(gene, alt, v.vtype or "", v.hgvs or "", f"{v.rule_id or 'variant'}+registry_trial_gene", field, text, v.start, v.end))
    found = [_widen_condition(a, trial) for a in found]
    specific_genes = {a.gene for a in found if a.alteration not in GENERIC_ALTERATIONS}
    kept: dict[tuple[str, str], _Alt] = {}
    for a in found:
        if a.alteration in GENERIC_ALTERATIONS and a.gene in specific_genes:
            continue
        key = (a.gene.upper(), a.alteration.lower())
        best = kept.get(key)
        if best is None or (len(best.text) < MIN_EVIDENCE <= len(a.text)):
            kept[key] = a
    return list(kept.values())


def _widen_condition(alt: _Alt, trial: Trial) -> _Alt:
    """A condition too short for evidence (``MET amplification``) is quoted with the whole conditions list."""
    if len(alt.text) >= MIN_EVIDENCE or not alt.field.startswith("conditions["):
        return alt
    index = int(alt.field[len("conditions[") : -1])
    offset = sum(len(c) + 2 for c in trial.conditions[:index])
    joined = "; ".join(trial.conditions)
    return _Alt(alt.gene, alt.alteration, alt.vtype, alt.hgvs, alt.rule_id, "conditions", joined, offset + alt.start, offset + alt.end)


# ------------------------------------------------------------------ therapies


def canonical_drug(name: str, other_names: Iterable[str] = ()) -> str:
    """Lexicon name of an intervention (salt forms reduced; other names tried; else normalized)."""
    from extractors.nlp.lexicons import load_drug_lexicon

    lexicon = load_drug_lexicon()
    for candidate in (name, _SALT.sub("", name), *other_names):
        if candidate and lexicon.lookup(candidate) is not None:
            return lexicon.canonical(candidate)
    return lexicon.canonical(_SALT.sub("", name) or name)


def _arm_drug_names(arm: Arm) -> list[str]:
    """``Drug: Carboplatin`` → ``Carboplatin`` for the drug-like interventions of an arm."""
    out = []
    for entry in arm.interventions:
        kind, sep, name = entry.partition(":")
        if not sep:
            kind, name = "", entry
        if kind.strip().upper().replace(" ", "_") in DRUG_TYPES:
            out.append(name.strip())
    return out


def intervention_drugs(name: str, other_names: Iterable[str] = ()) -> list[str]:
    """Canonical drug(s) an intervention names: one, or the alternatives of ``A/B/C`` names the lexicon does not know."""
    from extractors.nlp.lexicons import load_drug_lexicon

    lexicon = load_drug_lexicon()
    if any(c and lexicon.lookup(c) is not None for c in (name, _SALT.sub("", name), *other_names)):
        return [canonical_drug(name, other_names)]
    named = list(dict.fromkeys(hit.value.canonical for hit in lexicon.scan(name)))
    return named or [canonical_drug(name, other_names)]


def trial_therapies(trial: Trial) -> list[tuple[str, list[str]]]:
    """(arm label, sorted canonical drugs) per therapy; a multi-drug arm is one combination, duplicates merged.

    An intervention naming alternatives (``Almonertinib/Furmonertinib/Osimertinib``) gives one therapy per
    alternative (at most ``MAX_ALTERNATIVES`` per arm).
    """
    by_name = {i.name.strip().lower(): i for i in trial.interventions}

    def options(name: str) -> list[str]:
        item = by_name.get(name.strip().lower())
        if _PLACEBO.search(name) or (item is not None and (item.type.upper() not in DRUG_TYPES or _PLACEBO.search(item.name))):
            return []
        return intervention_drugs(name, item.other_names if item else ())

    arms = [a for a in trial.arms if a.type.upper() not in SKIPPED_ARM_TYPES]
    experimental = [a for a in arms if a.type.upper() not in COMPARATOR_ARM_TYPES]
    if arms:
        groups = [(arm.label, [o for o in (options(n) for n in _arm_drug_names(arm)) if o]) for arm in experimental or arms]
    else:  # no arms recorded (field subsets): each drug intervention on its own
        groups = [("", [o]) for o in (options(i.name) for i in trial.interventions) if o]
    out: list[tuple[str, list[str]]] = []
    seen: set[tuple[str, ...]] = set()
    for label, choices in groups:
        if not choices:
            continue
        for combo in list(itertools.product(*choices))[:MAX_ALTERNATIVES]:
            drugs = tuple(sorted(set(combo)))
            if drugs not in seen:
                seen.add(drugs)
                out.append((label, list(drugs)))
    return out


# ------------------------------------------------------------------ results


def _metric(title: str) -> str:
    for metric, pattern in _METRICS:
        if pattern.search(title):
            return metric
    return ""


def _arm_groups(result: ResultMeasure, arm_label: str) -> list[str]:
    label = arm_label.strip().lower()
    if not label:
        return []
    return [gid for gid, title in result.groups.items() if title.strip().lower() == label or (len(label) > 8 and label in title.lower())]


def _float(value: str) -> float | None:
    try:
        return float(value.replace(",", "").strip())
    except (ValueError, AttributeError):
        return None


def arm_results(trial: Trial, arm_label: str) -> tuple[str, list[Measure]]:
    """(outcome the posted results support for this arm, or "", measures) — see the module doc."""
    if not trial.has_results or not trial.results:
        return "", []
    measures: list[Measure] = []
    votes: list[str] = []
    for result in trial.results:
        metric = _metric(result.title)
        groups = _arm_groups(result, arm_label)
        if not groups:
            continue
        if metric:
            for row in result.values:
                if row.get("group") not in groups or not row.get("value"):
                    continue
                unit = "%" if "percent" in result.unit.lower() or result.unit.strip() == "%" else result.unit
                measures.append(Measure(metric=metric, value=row["value"], unit=unit, ci_low=_float(row.get("lower", "")),
                                        ci_high=_float(row.get("upper", "")), arm=arm_label, text=result.title[:200]))
                value = _float(row["value"])
                if metric == "ORR" and unit == "%" and value is not None:
                    if value >= SENSITIVE_ORR:
                        votes.append("sensitivity")
                    elif value <= RESISTANT_ORR:
                        votes.append("resistance")
        for analysis in result.analyses:
            if "hazard" not in analysis.param_type.lower() or not set(groups) & set(analysis.groups) or len(analysis.groups) < 2:
                continue
            hr, p = _float(analysis.param_value), _float(re.sub(r"[<>=≤≥\s]", "", analysis.p_value))
            measures.append(Measure(metric="HR", value=analysis.param_value, ci_low=_float(analysis.ci_low), ci_high=_float(analysis.ci_high),
                                    p=analysis.p_value, arm=arm_label, text=f"{result.title[:150]} ({metric or 'analysis'})"))
            if hr is not None and p is not None and p < 0.05 and analysis.groups and analysis.groups[0] in groups:
                votes.append("sensitivity" if hr < 1 else "resistance")
    outcome = votes[0] if votes and all(v == votes[0] for v in votes) else ""
    return outcome, measures


# ------------------------------------------------------------------ triples


def _evidence(alt: _Alt) -> tuple[str, int, int]:
    """The field text around the alteration: its line/sentence, widened or cut to 20–300 characters."""
    text = alt.text
    starts = [m.end() for m in re.finditer(r"\n|(?<=[.;])\s", text[: alt.start])]
    start = starts[-1] if starts else 0
    stop = re.search(r"\n|[.;](?:\s|$)", text[alt.end :])
    end = alt.end + (stop.end() if stop else len(text) - alt.end)
    if end - start < MIN_EVIDENCE:
        start, end = max(0, alt.start - 60), min(len(text), alt.end + 60)
    if end - start > MAX_EVIDENCE:
        start = max(start, alt.start - (MAX_EVIDENCE - (alt.end - alt.start)) // 2)
        end = min(end, start + MAX_EVIDENCE)
    while start < end and (text[start].isspace() or text[start] in "*•-"):  # list bullets
        start += 1
    piece = text[start:end].rstrip()
    return piece, start, start + len(piece)


def trial_triples(nlp: Language, trial: Trial) -> list[Triple]:
    """Registry triples of one trial (see the module docstring)."""
    alts = trial_alterations(nlp, trial)
    therapies = trial_therapies(trial)
    if not alts or not therapies:
        return []
    out: dict[str, Triple] = {}
    for arm_label, drugs in therapies:
        supported, measures = arm_results(trial, arm_label)
        outcome = supported or "investigation"
        for alt in alts:
            evidence, ev_start, ev_end = _evidence(alt)
            rule_ids = ["registry_arm_interventions" if arm_label else "registry_interventions", f"registry_field:{alt.field}"]
            rule_ids.append(f"registry_results:{outcome}" if supported else ("registry_results_inconclusive" if trial.has_results else "registry_no_results"))
            if alt.rule_id:
                rule_ids.append(alt.rule_id)
            triple_id = triple_key_id(trial.nct_id, drugs, alt.gene, alt.alteration, outcome)
            out.setdefault(triple_id, Triple(
                doc_id=trial.nct_id,
                evidence=evidence,
                drugs=drugs,
                gene=alt.gene.upper(),
                alteration=alt.alteration,
                outcome=outcome,  # type: ignore[arg-type]
                measures=[m.as_string() for m in measures],
                evidence_level="clinical_trial",
                nct_ids=[trial.nct_id],
                triple_id=triple_id,
                source=SOURCE_CTGOV,
                source_id=trial.nct_id,
                section=f"registry:{alt.field}",
                sentence_start=ev_start,
                sentence_end=ev_end,
                evidence_start=ev_start,
                evidence_end=ev_end,
                sentence=evidence,
                alteration_type=alt.vtype,
                hgvs=alt.hgvs,
                measures_structured=measures,
                confidence=0.8 if supported else 0.7,
                rule_ids=sorted(set(rule_ids)),
                extractor_version=REGISTRY_RULES_VERSION,
            ))
    return sorted(out.values(), key=lambda t: t.triple_id)


def registry_triples_for(nlp: Language, trials: Iterable[Trial]) -> dict[str, list[Triple]]:
    """Registry triples keyed by NCT id (trials without any are left out)."""
    out: dict[str, list[Triple]] = {}
    for trial in trials:
        triples = trial_triples(nlp, trial)
        if triples:
            out[trial.nct_id] = triples
    return out


def registry_stage(
    work: WorkDir,
    trials: Iterable[Trial],
    nlp_factory: Callable[[], Language],
    versions: dict[str, str],
    stats: RunStats,
    *,
    force: bool = False,
) -> dict[str, list[Triple]]:
    """Registry triples for the extract stage, re-used per trial while its raw hash and the versions are unchanged.

    Output lives beside the documents' (``<workdir>/extracted/registry-<NCT>.jsonl`` +
    ``.meta.json``); the pipeline is built only when a trial needs extracting.
    """
    from pipeline.stages.extract import ExtractionCache, versions_fingerprint
    from schemas.errors import OncoTriplesError

    cache = ExtractionCache(work, versions_fingerprint({**versions, "registry": REGISTRY_RULES_VERSION}))
    out: dict[str, list[Triple]] = {}
    nlp = None
    for trial in trials:
        key = f"registry-{trial.nct_id}"
        cached = None if force else cache.load(key, trial.raw_sha256)
        if cached is not None:
            if cached[0]:
                out[trial.nct_id] = cached[0]
            continue
        if nlp is None:
            nlp = nlp_factory()
        try:
            triples = trial_triples(nlp, trial)
        except OncoTriplesError as exc:
            stats.fail("extract", trial.nct_id, str(exc).splitlines()[0])
            continue
        cache.store(key, trial.raw_sha256, triples)
        if triples:
            out[trial.nct_id] = triples
    return out
