"""Registry triples from ClinicalTrials.gov records (pipeline.stages.registry), table-driven."""

from __future__ import annotations

import pytest

from pipeline.stages.context import RunStats, WorkDir
from pipeline.stages.registry import (
    registry_stage,
    registry_triples_for,
    trial_therapies,
    trial_triples,
)
from schemas.models import Arm, Intervention, ResultMeasure, Trial
from schemas.vocab import triple_key_id

ELIGIBILITY = "Inclusion Criteria:\n\n* Age 18 years or older\n* {line}\n\nExclusion Criteria:\n\n* ROS1 fusion"


def _trial(*, title: str = "A Study in Advanced NSCLC", conditions: tuple[str, ...] = ("Non-small Cell Lung Cancer",),
           inclusion: str = "Measurable disease per RECIST 1.1", drugs: tuple[str, ...] = ("Osimertinib",),
           results: list[ResultMeasure] | None = None) -> Trial:
    interventions = [Intervention(name=d, type="DRUG", arm_labels=["Experimental"]) for d in drugs]
    interventions.append(Intervention(name="Placebo", type="DRUG", arm_labels=["Placebo"]))
    arms = [
        Arm(label="Experimental", type="EXPERIMENTAL", interventions=[f"Drug: {d}" for d in drugs]),
        Arm(label="Placebo", type="PLACEBO_COMPARATOR", interventions=["Drug: Placebo"]),
    ]
    return Trial(nct_id="NCT01234567", brief_title=title, conditions=list(conditions), eligibility_criteria=ELIGIBILITY.format(line=inclusion),
                 interventions=interventions, arms=arms, has_results=bool(results), results=results or [])


CASES = [
    # (case, trial kwargs, expected (gene, alteration), field)
    ("title T790M-positive", {"title": "Osimertinib in EGFR T790M-positive Non-small Cell Lung Cancer"}, ("EGFR", "T790M"), "brief_title"),
    ("condition MET amplification", {"conditions": ("Non-small Cell Lung Cancer", "MET amplification")}, ("MET", "amplification"), "conditions"),
    ("title case MET Amplification", {"title": "Savolitinib in NSCLC With MET Amplification"}, ("MET", "amplification"), "brief_title"),
    ("ALK-rearranged", {"title": "Lorlatinib in ALK-rearranged NSCLC", "drugs": ("Lorlatinib",)}, ("ALK", "fusion"), "brief_title"),
    ("C797S takes the trial's gene", {"title": "A Study in EGFR-mutant NSCLC", "inclusion": "Tumour harbouring the C797S mutation"},
     ("EGFR", "C797S"), "eligibility_criteria.inclusion"),
]


@pytest.mark.parametrize(("case", "kwargs", "expected", "field"), CASES, ids=[c[0] for c in CASES])
def test_required_alteration_with_investigation_outcome(nlp_rules, case, kwargs, expected, field):
    trial = _trial(**kwargs)
    triples = trial_triples(nlp_rules, trial)
    found = {(t.gene, t.alteration): t for t in triples}
    assert expected in found, (case, sorted(found))
    t = found[expected]
    drugs = sorted(d.lower() for d in kwargs.get("drugs", ("osimertinib",)))
    assert t.drugs == drugs and t.outcome == "investigation" and t.measures == []
    assert t.doc_id == t.source_id == "NCT01234567" and t.source == "ctgov" and t.nct_ids == ["NCT01234567"]
    assert t.evidence_level == "clinical_trial" and t.section == f"registry:{field}"
    assert 20 <= len(t.evidence) <= 300 and t.evidence.strip()
    assert "registry_no_results" in t.rule_ids
    assert t.triple_id == triple_key_id("NCT01234567", t.drugs, t.gene, t.alteration, "investigation")
    assert not any(x.gene == "ROS1" for x in triples)  # exclusion criteria are not the trial's subject


def test_generic_mutation_dropped_when_a_specific_change_is_named(nlp_rules):
    triples = trial_triples(nlp_rules, _trial(title="A Study in EGFR-mutant NSCLC", inclusion="Tumour harbouring the C797S mutation"))
    assert {(t.gene, t.alteration) for t in triples} == {("EGFR", "C797S")}


def test_multi_drug_arm_is_one_combination_and_placebo_is_left_out(nlp_rules):
    trial = _trial(title="Osimertinib Plus Savolitinib in EGFR T790M-positive NSCLC", drugs=("Osimertinib", "Savolitinib"))
    assert trial_therapies(trial) == [("Experimental", ["osimertinib", "savolitinib"])]
    (t,) = trial_triples(nlp_rules, trial)
    assert t.drugs == ["osimertinib", "savolitinib"] and (t.gene, t.alteration) == ("EGFR", "T790M")


def test_salt_forms_map_to_the_lexicon_name():
    trial = _trial(drugs=("Pemetrexed Disodium", "Carboplatin"))
    assert trial_therapies(trial) == [("Experimental", ["carboplatin", "pemetrexed"])]


@pytest.mark.parametrize("line", ["No ALK rearrangement", "ALK-negative tumour", "EGFR wild-type tumour"])
def test_absent_alterations_give_no_triple(nlp_rules, line):
    assert trial_triples(nlp_rules, _trial(inclusion=line)) == []


def _orr(value: str) -> ResultMeasure:
    return ResultMeasure(title="Objective Response Rate (ORR)", type="PRIMARY", param_type="NUMBER", unit="percentage of participants",
                         groups={"OG000": "Experimental"}, values=[{"group": "OG000", "value": value}])


@pytest.mark.parametrize(("value", "outcome"), [("45.2", "sensitivity"), ("4.0", "resistance"), ("20", "investigation")])
def test_posted_results_decide_sensitivity_or_resistance(nlp_rules, value, outcome):
    trial = _trial(title="Osimertinib in EGFR T790M-positive NSCLC", results=[_orr(value)])
    (t,) = trial_triples(nlp_rules, trial)
    assert t.outcome == outcome and t.measures == [f"ORR {value} %"]
    assert t.measures_structured[0].arm == "Experimental"


def test_recorded_field_subset_trial(nlp_rules):
    from pathlib import Path

    from pipeline.sources.ctgov.parse import parse_study_json

    path = Path(__file__).resolve().parents[2] / "shared/fixtures/ctgov_v2/studies/biomcp_get_nct06604689_20260811_fieldsubset.json"
    if not path.is_file():
        pytest.skip("shared fixtures not present")
    trial = parse_study_json(path.read_bytes())
    triples = registry_triples_for(nlp_rules, [trial])["NCT06604689"]
    # "third-generation EGFR TKIs (Almonertinib/Furmonertinib/Osimertinib)": alternatives, not a combination
    assert {tuple(t.drugs) for t in triples} == {("aumolertinib",), ("furmonertinib",), ("osimertinib",)}
    assert {(t.gene, t.alteration) for t in triples} == {("EGFR", "L858R"), ("EGFR", "exon 19 deletion")}
    assert all(t.outcome == "investigation" and t.evidence in trial.eligibility_criteria for t in triples)


def test_registry_stage_reuses_output(tmp_path, nlp_rules):
    work, stats = WorkDir(tmp_path), RunStats()
    trial = _trial(title="Osimertinib in EGFR T790M-positive NSCLC").model_copy(update={"raw_sha256": "abc"})
    first = registry_stage(work, [trial], lambda: nlp_rules, {"x": "1"}, stats)

    def no_nlp():
        raise AssertionError("nothing changed: the pipeline must not be built")

    assert registry_stage(work, [trial], no_nlp, {"x": "1"}, stats) == first and len(first["NCT01234567"]) == 1
