"""The drugs of a sentence: class names qualified or dropped, earlier treatment, the resistance role (``resistance to X``)."""

from __future__ import annotations

import re
from collections import Counter

from extractors.nlp import cues as C
from extractors.nlp.datafiles import gene_set
from extractors.nlp.lexicons import load_drug_class_lexicon, load_drug_lexicon, load_gene_lexicon
from extractors.nlp.therapies import DrugHit, Therapy
from extractors.nlp.triples.facts import AltHit, SentenceFacts


def dominant_target(alts: list[AltHit], drugs: list[DrugHit]) -> str:
    """The gene most alterations of the document name: the target of a class named without one (``TKIs``)."""
    counts = Counter(a.gene for a in alts if a.gene)
    return counts.most_common(1)[0][0] if counts else ""


UNTARGETED_CLASS_HEADS = ("TKI", "PROTAC", "degrader", "inhibitor")


def qualify_class(hit: DrugHit, target: str) -> DrugHit:
    """A class named without its target (``TKIs``, ``PROTACs``) takes the document's dominant target."""
    if hit.is_class and target and any(hit.name == h or hit.name.startswith(h + " ") for h in UNTARGETED_CLASS_HEADS):
        return DrugHit(hit.start, hit.end, hit.text, f"{target}-{hit.name}", True, hit.source)
    return hit


def resolve_short_names(hits: list[DrugHit]) -> list[DrugHit]:
    """A bare antibody name means the conjugate the document names in full (``telisotuzumab`` → ``telisotuzumab vedotin``)."""
    full = {h.name for h in hits if not h.is_class and " " in h.name}
    out = []
    for h in hits:
        if not h.is_class and " " not in h.name:
            longer = sorted(n for n in full if n.startswith(h.name + " "))
            if len(longer) == 1:
                h = DrugHit(h.start, h.end, h.text, longer[0], False, h.source)
        out.append(h)
    return out


_BASED_ON = re.compile(r"^[\s-]*based\b", re.IGNORECASE)


def drop_modifier_drugs(hits: list[DrugHit], text: str) -> list[DrugHit]:
    """``brigatinib-based PROTAC``: a drug used as a modifier is not the therapy; the backbone of a
    named therapy is (``trastuzumab-based therapy``, ``5-FU-based chemotherapy``)."""
    based_therapy = C.cue_pattern("based_therapy")
    return [h for h in hits if not _BASED_ON.match(text[h.end : h.end + 12]) or based_therapy.match(text[h.end : h.end + 60])]


_ANAPHOR_BEFORE = re.compile(r"\b(?:this|that|these|those|such|the same|both)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)
_PREDICATE_GAP = re.compile(
    r"^[\s,(]*(?:(?:is|was|are|were|as|remains|represents|acts as|(?:\w+\s+){0,3}as)\s+)(?:a|an|the|its)?\s*(?:[\w-]+\s+){0,3}$",
    re.IGNORECASE,
)


def drop_appositive_classes(drugs: list[DrugHit], text: str, *, table_row: bool) -> list[DrugHit]:
    """Drop a class that only describes a named drug: apposition (``the MET TKI savolitinib``),
    predication (``NVL-655 is a novel ALK inhibitor``), anaphora (``this ADC``), or a drug of the
    sentence that belongs to the class (``panitumumab ... other EGFR antibodies``: the guideline's
    class triple is for a therapy named only as a class)."""
    named = [d for d in drugs if not d.is_class]
    if not named:
        return drugs
    if table_row:
        return named
    named_targets = {t for n in named for t in drug_targets(n.name)}
    keep = []
    for d in drugs:
        if d.is_class and (
            any(_adjacent(text, d, n) or _predicated(text, n, d) for n in named)
            or _ANAPHOR_BEFORE.search(text[max(0, d.start - 20) : d.start])
            or (class_targets(d.name) & named_targets)
        ):
            continue
        keep.append(d)
    return keep


def drug_targets(name: str) -> set[str]:
    """HGNC targets of a named drug (the drug lexicon's target column)."""
    lexicon = load_drug_lexicon()
    entry = lexicon.lookup(name)
    return set(lexicon.targets.get(entry.canonical, ())) if entry else set()


def class_targets(name: str) -> set[str]:
    """HGNC genes a drug class is named for (``EGFR antibody`` → EGFR, ``HER3 antibody`` → ERBB3,
    ``PI3K/mTOR inhibitor`` → PIK3CA, MTOR); empty for a class without a target (``chemotherapy``)."""
    entry = load_drug_class_lexicon().lookup(name)
    if entry is None or not entry.target:
        return set()
    genes = load_gene_lexicon()
    return {g for part in entry.target.split("/") if (g := genes.lookup(part.strip()))}


def _predicated(text: str, named: DrugHit, cls: DrugHit) -> bool:
    """``X is a novel CLASS`` / ``X was developed as a CLASS``: the class describes X."""
    if named.end > cls.start or cls.start - named.end > 100:
        return False
    gap = re.sub(r",[^,]{0,45},", " ", text[named.end : cls.start])
    return bool(_PREDICATE_GAP.match(gap))


def _adjacent(text: str, a: DrugHit, b: DrugHit) -> bool:
    first, second = (a, b) if a.start < b.start else (b, a)
    gap = text[first.end : second.start]
    return len(gap) <= 9 and re.fullmatch(r"[\s(,:]*(?:(?:the|a|an|its)\b[\s,]*)?", gap, re.IGNORECASE) is not None


def prior_treatment(text: str, drug: DrugHit, f: SentenceFacts) -> bool:
    """The drug is named as earlier treatment (``after prior crizotinib``), unless as what the tumour resists."""
    before = text[max(f.start, drug.start - 90) : drug.start]
    return bool(C.cue_pattern("prior_role").search(before)) and not C.cue_pattern("resistance_role").search(before)


def targets_other_driver(therapy: Therapy, gene: str) -> bool:
    """No member targets ``gene`` while some member targets another oncogenic driver (lexicon targets)."""
    targets = {t for m in therapy.members if not m.is_class for t in drug_targets(m.name)}
    return bool(targets) and gene not in targets and bool(targets & gene_set("oncogenic_drivers"))


_COORD_GAP = re.compile(r"^\s*(?:,|,?\s*(?:and|or|and/or))\s*$", re.IGNORECASE)


def has_resistance_role(text: str, drug: DrugHit, f: SentenceFacts, drugs: list[DrugHit] | None = None, _depth: int = 0) -> bool:
    """``resistance to X``, ``X-resistant``, ``progression on X`` — and ``resistance to A and B`` gives B the role too."""
    before = text[max(f.start, drug.start - 45) : drug.start]
    after = text[drug.end : min(f.end, drug.end + 25)]
    if C.cue_pattern("resistance_role").search(before) or C.cue_pattern("resistance_role_after").match(after):
        return True
    if drugs and _depth < 5:
        prior = [d for d in drugs if d.end <= drug.start and f.start <= d.start]
        if prior:
            p = max(prior, key=lambda d: d.end)
            if _COORD_GAP.match(text[p.end : drug.start]):
                return has_resistance_role(text, p, f, drugs, _depth + 1)
    return False
