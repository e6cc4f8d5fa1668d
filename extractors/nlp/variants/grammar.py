"""The grammar's passes: candidates from every rule, overlap resolution, ``loss of``, compounds, genes, coordination."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import replace

from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.attach import attach, merge_gene_hits
from extractors.nlp.variants.coordination import expand_coordination
from extractors.nlp.variants.mention import COMPONENT_VTYPES, GeneHit, VariantMention
from extractors.nlp.variants.rules import PRIORITY, RULES


def _candidates(text: str) -> list[VariantMention]:
    out: list[VariantMention] = []
    for rid, pat, build in RULES:
        for m in pat.finditer(text):
            try:
                vm = build(m, text, rid)
            except (ValueError, KeyError, IndexError, TypeError):
                vm = None
            if vm is not None and 0 <= vm.start < vm.end <= len(text):
                out.append(vm)
    return out


def _resolve(cands: list[VariantMention]) -> list[VariantMention]:
    """Greedy: longest span first, then rule priority; keep non-overlapping."""
    cands.sort(key=lambda v: (-(v.end - v.start), PRIORITY.get(v.rule_id, 99), v.start))
    taken: list[tuple[int, int]] = []  # sorted disjoint intervals
    kept: list[VariantMention] = []
    for v in cands:
        i = bisect.bisect_left(taken, (v.start, v.end))
        if i > 0 and taken[i - 1][1] > v.start:
            continue
        if i < len(taken) and taken[i][0] < v.end:
            continue
        taken.insert(i, (v.start, v.end))
        kept.append(v)
    kept.sort(key=lambda v: (v.start, v.end))
    return kept


def _merge_compounds(text: str, ms: list[VariantMention]) -> list[VariantMention]:
    out: list[VariantMention] = []
    i = 0
    while i < len(ms):
        group = [ms[i]]
        j = i
        while j + 1 < len(ms) and ms[j].vtype in COMPONENT_VTYPES and ms[j + 1].vtype in COMPONENT_VTYPES:
            gap = text[ms[j].end:ms[j + 1].start]
            if len(gap) > 20 or not P.COMPOUND_JOINER.fullmatch(gap):
                break
            if gap.strip() == "/" and ms[j].vtype.startswith("dna") and ms[j + 1].vtype.startswith("dna"):
                break
            group.append(ms[j + 1])
            j += 1
        point = [g for g in group if g.vtype in ("substitution", "residue_class", "nonsense", "deletion", "insertion",
                                                  "delins", "frameshift", "exon_deletion", "exon_insertion")]
        if len(group) > 1 and len(point) == len(group) and any(g.vtype in ("substitution", "residue_class") for g in group):
            comps = tuple(sorted(g.normalized for g in group))
            s, e = group[0].start, group[-1].end
            gene = next((g.gene for g in group if g.gene), None)
            out.append(VariantMention(start=s, end=e, text=text[s:e], normalized="+".join(comps), vtype="compound",
                                      rule_id="compound", gene=gene, components=comps, parts=tuple(group)))
            i = j + 1
            continue
        out.append(ms[i])
        i += 1
    return out


def _loss_of_variant(text: str, ms: list[VariantMention]) -> list[VariantMention]:
    """``loss of T790M`` / ``T790M loss`` -> normalized ``T790M loss``."""
    out = []
    for v in ms:
        if v.vtype in ("substitution", "compound", "exon_deletion"):
            pre = text[max(0, v.start - 8):v.start]
            post = text[v.end:v.end + 6]
            if re.search(r"(?i:loss\sof\s(?:the\s)?)$", pre):
                s = v.start - len(re.search(r"(?i:loss\sof\s(?:the\s)?)$", pre).group(0))
                out.append(replace(v, start=s, text=text[s:v.end], normalized=f"{v.normalized} loss", vtype="loss",
                                   components=(v.normalized,), rule_id="variant_loss", parts=(v,)))
                continue
            if re.match(r"[\s-]loss\b", post):
                e = v.end + 5
                out.append(replace(v, end=e, text=text[v.start:e], normalized=f"{v.normalized} loss", vtype="loss",
                                   components=(v.normalized,), rule_id="variant_loss", parts=(v,)))
                continue
        out.append(v)
    return out


def find_variants(text: str, genes: Sequence[GeneHit] = ()) -> list[VariantMention]:
    """All alteration mentions in ``text``, normalized and with genes attached.

    ``genes`` are gene mentions from the project's gene NER (any objects with
    ``start``, ``end``, ``symbol``; exact character offsets); the grammar's own gene
    finder supplements them. Never raises on str input; returns mentions sorted by offset.
    Coordinated genes sharing one alteration word (``ALK/ROS1/RET fusions``,
    ``mutations ... including NRAS, KRAS and MEK``) give one mention per gene; the extra
    mentions span the gene token only (``text`` = the gene as written).
    """
    if not isinstance(text, str) or not text:
        return []
    ms = _resolve(_candidates(text))
    ms = _loss_of_variant(text, ms)
    ms = _merge_compounds(text, ms)
    hits = merge_gene_hits(genes, text)
    ms = attach(ms, hits, text)
    return expand_coordination(text, ms, hits)
