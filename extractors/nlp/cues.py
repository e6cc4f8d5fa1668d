"""Outcome, negation, hedging and evidence-level cue patterns (versioned as one rule set).

Cues are regular expressions over sentence text; each has a rule id so a
triple records which cues produced its outcome. They are general English
phrasings of resistance / sensitivity / investigation, never sentences of a
particular document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    rule_id: str
    kind: str  # resistance | sensitivity | investigation | negation | hedge
    pattern: re.Pattern[str]


def _cue(rule_id: str, kind: str, pattern: str, flags: int = re.IGNORECASE) -> Cue:
    return Cue(rule_id, kind, re.compile(pattern, flags))


RESISTANCE_CUES: tuple[Cue, ...] = (
    _cue("res_resist", "resistance", r"\bresist(?:ance|ant|ances)\b|-resist(?:ance|ant)\b"),
    _cue("res_refractory", "resistance", r"\brefractory\b"),
    _cue("res_insensitive", "resistance", r"\binsensitiv\w*|\bless sensitive\b|\breduced sensitivity\b|\bdecreased sensitivity\b|\bloss of (?:sensitivity|response)\b"),
    _cue("res_ineffective", "resistance", r"\bineffective\b|\bnot effective\b|\blittle (?:efficacy|activity|benefit)\b|\blimited (?:efficacy|activity|benefit)\b|\b(?:efficacy|activity|benefit) (?:is|was|remains|were) limited\b|\bis limited\b"),
    _cue("res_reduced_potency", "resistance", r"\breduced (?:potency|activity|efficacy)\b|\blower (?:potency|activity|efficacy)\b|\bweak(?:er)? activity\b"),
    _cue("res_failed", "resistance", r"\bfail(?:ed|s|ure)? to\b|\bafter failure of\b|\bfailure of (?:prior )?\w+"),
    _cue("res_progressed", "resistance", r"\bprogress(?:ed|ing|ion)? (?:on|after|following|during)\b|\bdisease progression on\b"),
    _cue("res_mediate", "resistance", r"\b(?:mediat|confer|driv|caus|induc|contribut)\w* (?:\w+ ){0,3}(?:to )?(?:the )?(?:resistance|escape)\b|\bmechanisms? of (?:acquired )?resistance\b|\bresistance mechanisms?\b"),
    _cue("res_challenging", "resistance", r"\bchalleng\w* to (?:target|treat|overcome|inhibit)\b|\bdifficult to (?:target|treat|overcome|inhibit)\b|\bunmet need\b"),
    _cue("res_emergence", "resistance", r"\bemerg(?:ence|ed|ing|es)\b|\bacquired (?:resistance|mutations?|alterations?)\b|\b(?:develop(?:ed|s)?|harbou?r(?:ed|s)?) (?:\w+ ){0,2}(?:secondary|resistance|on-target) mutations?\b"),
    _cue("res_lack", "resistance", r"\black of (?:improvement|benefit|efficacy|response|activity)\b|\bno (?:clinical )?(?:benefit|improvement|response)\b|\bpoor(?:er)? (?:response|outcome|efficacy|prognosis)\b|\bshorter (?:PFS|OS|progression|survival)\b|\binferior\b|\bdetrimental\b|\bimpair\w*"),
)

SENSITIVITY_CUES: tuple[Cue, ...] = (
    _cue("sens_sensitive", "sensitivity", r"\bsensitiv(?:e|ity)\b|\bresensiti[sz]\w*|\bre-sensiti[sz]\w*|\bretain\w* (?:sensitivity|activity|efficacy)\b"),
    _cue("sens_response", "sensitivity", r"\brespon(?:se|ses|ded|sive|der|ders)\b|\bORR\b|\bobjective response\b|\bDCR\b|\bdisease control\b|\bremission\b|\bshrinkage\b"),
    _cue("sens_benefit", "sensitivity", r"\bbenefi(?:t|ts|ted|cial)\b|\bimprov(?:e|ed|es|ement)\b|\bprolong\w*|\bsuperior\w*|\blonger (?:PFS|OS|survival|progression)\b|\bfavou?rable\b"),
    _cue("sens_overcome", "sensitivity", r"\boverc[oa]m\w*|\bcircumvent\w*|\brescue\w*|\brestor\w* (?:sensitivity|response)\b"),
    _cue("sens_efficacy", "sensitivity", r"\beffica\w+|\beffective(?:ly|ness)?\b|\bpotent\w*|\bactiv(?:e|ity) (?:against|in)\b|\b(?:antitumou?r|anti-tumou?r) (?:activity|response|effect)\b|\bactivity\b"),
    _cue("sens_inhibit", "sensitivity", r"\binhibit(?:s|ed|ing|ion of)?\b|\bdegrad(?:e|es|ed|ation)\b|\bsuppress\w*"),
    _cue("sens_indication", "sensitivity", r"\bapproved\b|\bfor the treatment of\b|\btreatment (?:strategy|option)\b|\btargeting (?:of )?\b"),
    _cue("sens_approved", "sensitivity", r"\bapproval\b|\b(?:was|were|is|are|been|being|received|gained) (?:\w+ )?approved\b|\brecommend\w*|\bstandard(?: of care)?\b|\bpreferred\b|\bshould be (?:administered|used|considered|prioriti[sz]ed|given)\b|\bselect\w* (?:an? )?(?:appropriate )?\w+ (?:inhibitor|TKI)\b"),
    _cue("sens_measure", "sensitivity", r"\b(?:median )?(?:PFS|OS|DOR|mDOR|DoR|TTF) (?:of|was|:)\s?\d"),
)

INVESTIGATION_CUES: tuple[Cue, ...] = (
    _cue("inv_ongoing", "investigation", r"\bongoing\b|\bcurrently (?:being )?(?:\w+ing|\w+ed|under)\b|\bunder (?:investigation|evaluation|study)\b|\bbeing (?:studied|evaluated|tested|investigated|explored|assessed)\b"),
    _cue("inv_future", "investigation", r"\bwill (?:evaluate|receive|assess|test|enroll|include|investigate|provide|explore|be)\b|\bplanned\b|\bis (?:evaluating|testing|investigating|exploring|assessing)\b|\bare (?:evaluating|testing|investigating|exploring|assessing)\b|\benrolling\b|\brecruiting\b"),
    _cue("inv_design", "investigation", r"\b(?:phase\s?(?:[1-3]|I{1,3})(?:/(?:[1-3]|I{1,3}))?|randomi[sz]ed) (?:\w+ )?(?:study|trial)\b.*\b(?:evaluat|investigat|assess|test|compar)\w*"),
)

NEGATION_CUES: tuple[Cue, ...] = (
    _cue("neg_not", "negation", r"\b(?:did|does|do|could|can|was|were|is|are|has|have)\s?n[o']t\b|\bnot\b|\bno\b|\bnever\b|\bneither\b|\bnor\b|\bwithout\b|\bunable to\b|\black of\b|\babsence of\b"),
)

HEDGE_CUES: tuple[Cue, ...] = (
    _cue("hedge_modal", "hedge", r"\b(?:may|might|could|possibly|potential(?:ly)?|likely|suggest\w*|hypothes\w+|appears? to|seems? to|presumabl\w+|putative)\b"),
)

RESISTANCE_ROLE = re.compile(
    r"(?:resistan(?:ce|t) (?:to|against)|refractory to|progress(?:es|ed|ing|ion)? (?:on|after|following|during|with)|"
    r"failure (?:of|on|with)|failed|after (?:prior )?|following (?:prior )?|pretreated with|pre-treated with|post-)"
    r"(?:\s?(?:the|prior|previous|first-line|initial|one|an?|treatment with|therapy with))*\s?$",
    re.IGNORECASE,
)
"""Text just before a drug that gives that drug the resistance role (``resistance to X``)."""

RESISTANCE_ROLE_AFTER = re.compile(
    r"^(?:-|\s)?(?:resistan(?:ce|t)|refractory|failure|pretreated|pre-treated|treated (?:tumou?rs|patients|cells)|progression|exposed)",
    re.IGNORECASE,
)
"""Text just after a drug that gives it the resistance role (``X-resistant``, ``X resistance``)."""

PRIOR_ROLE = re.compile(
    r"(?:\b(?:prior|previous(?:ly)?|earlier)\s+(?:\w+\s+){0,2}?(?:received|treated with|treatment with|therapy with|lines? of|exposure to|exposed to)\s+(?:[\w/<>≤≥+-]+\s+){0,7}"
    r"|\b(?:prior|previous)\s+(?:[\w<>≤≥/+-]+\s+){0,3}"
    r"|\bpre-?treated with\s+(?:[\w-]+\s+){0,3}|\bexposure to\s+|\bnon-)$",
    re.IGNORECASE,
)
"""Text just before a drug showing it was earlier treatment (``<3 prior lines of ALK TKI``, ``non-crizotinib``): not the therapy asserted."""

WEAK_RESISTANCE = re.compile(r"^(?:resistan(?:ce|t))[\s-]+(?:\w+[\s-]+)?(?:mutations?|alterations?|variants?|mechanisms?)\b|^mechanisms? of (?:acquired )?resistance\b(?! to)", re.IGNORECASE)
"""``resistance mutations``: the word names a kind of mutation, so it is only a weak outcome cue."""

COMPARATOR_BEFORE = re.compile(r"(?:\bvs\.?|\bversus|\bcompared (?:with|to)|\brather than|\bover|\bthan)\s*(?:the\s+)?(?:\w+\s+){0,2}$", re.IGNORECASE)

LEVEL_PRECLINICAL = re.compile(
    r"\bin vitro\b|\bin vivo\b|\bcell lines?\b|\bxenograft\w*|\bBa/F3\b|\bmice\b|\bmouse\b|\bmurine\b|\bpreclinical\b|\bIC\s?(?:50|₅₀)\b|\bPDX\b|\bcells\b|\bmodels?\b|\bdesigned to\b|\bmacrocycl\w+|\bnanomolar\b",
    re.IGNORECASE,
)
LEVEL_CASE = re.compile(r"\bcase reports?\b|\ba patient (?:who|with)\b|\bone patient\b|\bthe patient\b|\bcase \d+\b|\bpatient \d+\b", re.IGNORECASE)
LEVEL_RETRO = re.compile(r"\bretrospective\w*|\bour (?:center|cohort|study|findings|research|data|analysis)\b|\breal-world\b|\bcohort\b", re.IGNORECASE)
LEVEL_TRIAL = re.compile(
    r"\bphase\s?(?:[1-3]|I{1,3}|1b|Ib)\b|\btrials?\b|\bNCT\d{7,8}\b|\brandomi[sz]ed\b|\b[A-Z][A-Za-z]*-?[A-Z0-9]*\d*\s(?:study|trial)\b|\bstudy (?:showed|demonstrated|evaluat\w+)\b|\bcohort of the\b",
)


def find_cues(text: str, cues: tuple[Cue, ...]) -> list[tuple[int, int, Cue]]:
    """All matches of the given cues as (start, end, cue), in text order."""
    found = [(m.start(), m.end(), cue) for cue in cues for m in cue.pattern.finditer(text)]
    found.sort(key=lambda x: x[0])
    return found


def evidence_level(sentence: str, nct_ids: list[str], default: str) -> str:
    """Evidence level from cue words in the sentence, else the document's default."""
    if LEVEL_PRECLINICAL.search(sentence):
        return "preclinical"
    if LEVEL_CASE.search(sentence):
        return "case_report"
    if nct_ids or LEVEL_TRIAL.search(sentence):
        return "clinical_trial"
    if LEVEL_RETRO.search(sentence):
        return "retrospective"
    return default
