"""Expression, copy-number and mutation states written around a gene name.

Biomarker statements name a gene's level rather than a sequence change: ``PD-L1-positive
patients``, ``high EREG mRNA expression``, ``expression of IGF1R``, ``NRG1-high tumours``,
``CCND1 gene copy gains``. The variant grammar works on gene-shaped tokens, so it misses
names such as ``PD-L1``, ``p21`` or ``Her2/neu`` that only the HGNC lexicon resolves; these
phrases are therefore read around the lexicon's gene mentions. A raised level is
``overexpression`` (the guideline's form for ``overexpression`` and ``high expression``), a
level named without a direction is ``expression``, a copy gain is ``amplification``; a low
or absent level is not an alteration of this kind and gives nothing; ``p53 mutations`` (a gene
the grammar cannot shape) is ``mutation``. Which phrase matched is
kept as the rule id, so the relation model can weigh each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from extractors.nlp.datafiles import gene_set

_HIGH = r"(?:high(?:er)?|elevated|increased|strong(?:ly)?|positive|over-?expressed|up-?regulated|enhanced)"
_LOW = re.compile(r"(?i:\b(?:low(?:er)?|loss\s+of|reduced|decreased|absent|absence\s+of|negative|lack(?:ing)?\s+of|no|weak|down-?regulated|lost)\s+(?:\w+\s+){0,3}$)")
_QUALIFIER = r"(?:(?:mRNA|protein)\s*(?:and|or|/)\s*)?(?:(?:mRNA|protein|gene|tumou?r|nuclear|cytoplasmic|membran(?:e|ous)|serum|plasma|surface|intratumou?ral|baseline|pre-?treatment|IHC)\s+){0,2}"
_PAREN = r"(?:\s*\([^()]{1,30}\))?"

_AFTER_LEVEL = re.compile(r"^" + _PAREN + r"[\s-]*" + _QUALIFIER + r"(?P<w>expression|expressions|immunoexpression|levels?|staining|immunostaining|immunoreactivity)\b", re.IGNORECASE)
_AFTER_POSITIVE = re.compile(r"^" + _PAREN + r"(?:\s*-\s*|\s+)(?P<w>positive|positivity|high|overexpressing|over-expressing|expressing|\+(?![\w+]))", re.IGNORECASE)
_AFTER_COPY = re.compile(
    r"^" + _PAREN + r"[\s-]*(?:gene\s+)?(?P<w>copy[\s-]number(?:\s+(?:gains?|increases?|amplifications?))?|copy\s+gains?|gene\s+gains?|gains?)\b",
    re.IGNORECASE,
)
_AFTER_PREDICATE = re.compile(
    r"^" + _PAREN + r"\s+(?:(?:is|was|were|are|been|being|to\s+be|found|shown|reported|frequently|highly|significantly|also|often)\s+){1,4}(?P<w>up-?regulated|over-?expressed|amplified)\b",
    re.IGNORECASE,
)
_AFTER_MUTATION = re.compile(r"^" + _PAREN + r"(?:\s+gene)?(?:\s+|\s*-\s*)(?P<w>mutations?|mutant|mutated|mutation-positive)\b", re.IGNORECASE)
_BEFORE_HIGH = re.compile(r"(?P<w>" + _HIGH + r")\s+(?:levels?\s+of\s+)?(?:(?:the|tumou?r|serum|plasma|intratumou?ral|pre-?treatment|baseline|endogenous)\s+){0,2}$", re.IGNORECASE)
_BEFORE_OF = re.compile(r"(?P<w>(?:over-?)?expression|levels?|expressing|over-?expressing)\s+(?:of\s+)?(?:the\s+)?$", re.IGNORECASE)
_BEFORE_COPY = re.compile(r"(?P<w>high|increased|elevated)\s+(?:gene\s+)?copy[\s-]number\s+(?:of\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class LevelMention:
    """A gene level written in the text: offsets of the whole phrase, the gene, the alteration form."""

    start: int
    end: int
    gene: str
    alteration: str
    rule_id: str


def level_mentions(text: str, genes: Iterable[tuple[int, int, str]], taken: Iterable[tuple[int, int]] = ()) -> list[LevelMention]:
    """Expression and copy-number phrases around gene mentions ``(start, end, symbol)``.

    A phrase overlapping a span in ``taken`` (a mention the variant grammar already read) is
    left to that mention; genes whose ``positive`` means a fusion (``ALK-positive``) are left
    to the fusion rules.
    """
    taken = sorted(taken)
    fusion_genes = gene_set("fusion_positive")
    out: list[LevelMention] = []
    for gs, ge, symbol in genes:
        before = text[max(0, gs - 60) : gs]
        after = text[ge : ge + 60]
        found = _read(text, gs, ge, symbol, before, after, fusion_genes)
        if found is None:
            continue
        if any(s < found.end and found.start < e for s, e in taken):
            continue
        out.append(found)
    return _dedupe(out)


def _read(text: str, gs: int, ge: int, symbol: str, before: str, after: str, fusion_genes: frozenset[str] | set[str]) -> LevelMention | None:
    m = _BEFORE_COPY.search(before)
    if m:
        return LevelMention(gs - len(before) + m.start(), ge, symbol, "amplification", "level_copy_before")
    m = _AFTER_COPY.match(after)
    if m and not _LOW.search(before):
        return LevelMention(gs, ge + m.end(), symbol, "amplification", "level_copy_after")
    m = _AFTER_POSITIVE.match(after)
    fusion_word = m is not None and m.group("w").lower() in ("positive", "positivity", "+")
    if m and not (fusion_word and symbol in fusion_genes) and not _LOW.search(before):
        return LevelMention(gs, ge + m.end(), symbol, "overexpression", "level_positive")
    m = _AFTER_PREDICATE.match(after)
    if m and not _LOW.search(before):
        form = "amplification" if m.group("w").lower() == "amplified" else "overexpression"
        return LevelMention(gs, ge + m.end(), symbol, form, "level_predicate")
    m = _AFTER_MUTATION.match(after)
    if m:
        return LevelMention(gs, ge + m.end(), symbol, "mutation", "level_mutation")
    m = _BEFORE_HIGH.search(before)
    if m and not _LOW.search(before[: m.start()]):
        end = ge + (_AFTER_LEVEL.match(after).end() if _AFTER_LEVEL.match(after) else 0)
        return LevelMention(gs - len(before) + m.start(), end, symbol, "overexpression", "level_high_before")
    m = _AFTER_LEVEL.match(after)
    if m and not _LOW.search(before):
        return LevelMention(gs, ge + m.end(), symbol, "expression", "level_after")
    m = _BEFORE_OF.search(before)
    if m and not _LOW.search(before[: m.start()]):
        word = m.group("w").lower()
        form = "overexpression" if word.startswith("over") else "expression"
        return LevelMention(gs - len(before) + m.start(), ge, symbol, form, "level_of_before")
    return None


def _dedupe(mentions: list[LevelMention]) -> list[LevelMention]:
    """One mention per span and gene (a gene written twice in one phrase: ``PD-L1 (CD274) expression``)."""
    seen: set[tuple[int, str]] = set()
    out = []
    for m in sorted(mentions, key=lambda x: (x.start, -(x.end - x.start))):
        key = (m.end, m.gene)
        if key in seen or any(o.gene == m.gene and o.start <= m.start and m.end <= o.end for o in out):
            continue
        seen.add(key)
        out.append(m)
    return out
