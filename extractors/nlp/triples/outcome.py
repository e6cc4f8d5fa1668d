"""The outcome a sentence asserts for one therapy: drug roles first, then weighted cue words in the main clause."""

from __future__ import annotations

import re

from extractors.nlp import cues as C
from extractors.nlp.measures import MeasureHit
from extractors.nlp.therapies import DrugHit, Therapy
from extractors.nlp.triples.clauses import Segments, main_clause_start, negated_at, overcome_before
from extractors.nlp.triples.drugs import has_resistance_role
from extractors.nlp.triples.facts import SentenceFacts

_RESULT_VERB = re.compile(r"\b(?:showed|shown|demonstrated|resulted|achieved|reported|observed|yielded|led to|induced|produced|found|revealed|exhibited|was|were)\b", re.IGNORECASE)


def res_weight(sent: str, cue: tuple[int, int, C.Cue]) -> float:
    """Weight of a resistance cue: 0.5 for ``resistance mutations``-style naming, else the cue's own weight."""
    if C.cue_pattern("weak_resistance").match(sent[cue[0] :]):
        return 0.5
    return cue[2].weight


def decide_outcome(text: str, f: SentenceFacts, therapy: Therapy, all_drugs: list[DrugHit], ncts: list[tuple[int, str]], measures: list[MeasureHit], seg: Segments | None = None) -> tuple[str | None, bool, list[str], float]:
    """Outcome for one therapy in one sentence, with negation flag, cue ids and a strength in [0, 1]."""
    sent = text[f.start : f.end]
    role_res = [m for m in therapy.members if has_resistance_role(text, m, f, all_drugs)]
    if role_res and len(role_res) == len(therapy.members):
        return "resistance", False, ["role_resistance_to_drug"], 0.9
    others_roles = [(d.start, d.end) for d in all_drugs if d not in therapy.members and has_resistance_role(text, d, f, all_drugs)]

    def near_other_role(pos: int) -> bool:
        return any(s - 40 <= pos + f.start <= e + 25 for s, e in others_roles)

    main_from = main_clause_start(sent)
    res = [c for c in C.find_cues(sent, C.cue_set("resistance")) if c[0] >= main_from and not near_other_role(c[0]) and not overcome_before(sent, c[0])]
    sens = [c for c in C.find_cues(sent, C.cue_set("sensitivity")) if c[0] >= main_from and not any(r[0] <= c[0] < r[1] or c[0] <= r[0] < c[1] for r in res)]
    if seg is not None and len(seg.bounds) > 1:
        mine = {seg.index(m.start) for m in therapy.members if f.start <= m.start < f.end}
        if mine:
            res_in = [c for c in res if seg.index(c[0] + f.start) in mine]
            sens_in = [c for c in sens if seg.index(c[0] + f.start) in mine]
            if res_in or sens_in:
                res, sens = res_in, sens_in
    if main_from and not res and not sens:
        res = [c for c in C.find_cues(sent, C.cue_set("resistance")) if not near_other_role(c[0]) and not overcome_before(sent, c[0])]
        sens = [c for c in C.find_cues(sent, C.cue_set("sensitivity")) if not any(r[0] <= c[0] < r[1] or c[0] <= r[0] < c[1] for r in res)]
    inv = C.find_cues(sent, C.cue_set("investigation"))
    has_results = bool(measures) or bool(_RESULT_VERB.search(sent) and sens and not inv)
    if inv and not (measures and any(h.measure.metric != "n" for h in measures)):
        return "investigation", False, [c[2].rule_id for c in inv[:3]], 0.75
    if f.section == "table" and ncts and not has_results:
        return "investigation", False, ["table_row_trial"], 0.7
    strong_res = [c for c in res if c[2].rule_id not in {"res_mediate"}] or res
    res_score = sum(res_weight(sent, c) for c in strong_res)
    sens_score = sum(c[2].weight for c in sens)
    if res and not sens and res_score < 1.0:
        res = []  # only "resistance mutations"-style naming: no asserted outcome
    if not res and not sens:
        if ncts and C.cue_pattern("level_trial").search(sent):
            return "investigation", False, ["trial_mention"], 0.5
        return None, False, [], 0.0
    if sens_score > res_score or (sens_score == res_score and sens and (sens[0][0] > res[0][0])):
        cue = max(sens, key=lambda c: 2.0 if c[2].rule_id.startswith(("sens_sensitive", "sens_response", "sens_overcome")) else 1.0)
        negated = negated_at(sent, cue[0])
        outcome = "resistance" if negated else "sensitivity"
        return outcome, negated, [c[2].rule_id for c in sens[:3]], min(1.0, 0.45 + 0.12 * sens_score)
    cue = res[0]
    negated = negated_at(sent, cue[0]) and cue[2].rule_id not in {"res_lack", "res_ineffective"}
    outcome = "sensitivity" if negated else "resistance"
    if role_res:  # part of the combination was the failed drug: the combination is the rescue
        outcome = "sensitivity" if sens else outcome
    return outcome, negated, [c[2].rule_id for c in res[:3]], min(1.0, 0.45 + 0.12 * res_score)
