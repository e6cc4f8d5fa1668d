"""Gene attachment: which gene a variant mention belongs to (``EGFR C797S``, ``C797S in EGFR``, the sentence, the paragraph)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from extractors.nlp.datafiles import protein_lengths
from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.genes import find_gene_hits
from extractors.nlp.variants.helpers import sentence_bounds
from extractors.nlp.variants.mention import (
    COMPONENT_VTYPES,
    PROTEIN_POSITIONED,
    GeneHit,
    VariantMention,
)


def _protein_position(v: VariantMention) -> int | None:
    """Highest protein position named by a protein-level mention (None for DNA / exon / copy-number)."""
    if v.vtype not in PROTEIN_POSITIONED:
        return None
    norms = [p.normalized for p in v.parts] if v.parts else [v.normalized]
    best = None
    for n in norms:
        if n.startswith(("c.", "g.", "m.", "n.", "r.", "IVS", "rs", "exon")) or not re.match(r"[A-Z*]", n):
            continue
        for d in re.findall(r"(?<![A-Za-z])[A-Z]?(\d{1,5})", n.split(" ")[0]):
            best = max(best or 0, int(d))
    return best


def _plausible(symbol: str, pos: int | None) -> bool:
    """False when the gene's canonical protein is shorter than the variant's position."""
    if pos is None:
        return True
    n = protein_lengths().get(symbol)
    return n is None or pos <= n


def merge_gene_hits(genes: Sequence[GeneHit], text: str) -> list[GeneHit]:
    """The passed gene hits plus the grammar's own finds at offsets they do not cover, sorted."""
    hs = {(int(g.start), int(g.end), str(g.symbol)) for g in genes}
    covered = {(s, e) for s, e, _ in hs}
    for g in find_gene_hits(text):
        if (g.start, g.end) not in covered:
            hs.add((g.start, g.end, g.symbol))
    return [GeneHit(*h) for h in sorted(hs)]


def attach_genes(mentions: Iterable[VariantMention], genes: Sequence[GeneHit], text: str) -> list[VariantMention]:
    """Fill ``gene`` on mentions that do not name their gene themselves.

    Order of evidence: a gene immediately before (``EGFR C797S``, ``EGFR-L858R``,
    ``EGFR mutations (C797S)``, ``EGFR p.C797S``); a gene immediately after
    (``C797S in EGFR``, ``C797S of the EGFR gene``); for compounds, a component's
    gene; the gene the same variant was attached to elsewhere in the document by the
    evidence above (``ALK G1202R`` ... bare ``G1202R``); the nearest gene earlier in the
    sentence (``EGFR-mutant ... harboring C797S``); the nearest gene earlier in the
    paragraph; else None. Genes whose canonical protein is shorter than the variant's
    position (``PROTEIN_LENGTHS``) are skipped.
    """
    return attach(list(mentions), merge_gene_hits(genes, text), text)


def attach(ms: list[VariantMention], hits: list[GeneHit], text: str) -> list[VariantMention]:
    """:func:`attach_genes` on merged, sorted gene hits (see there for the order of evidence)."""
    starts = [h.start for h in hits]
    found: list[tuple[str | None, str]] = []
    doc_genes: dict[str, dict[str, int]] = {}

    def note(key: str, gene: str) -> None:
        doc_genes.setdefault(key, {}).setdefault(gene, 0)
        doc_genes[key][gene] += 1

    for v in ms:
        if v.gene:
            found.append((v.gene, "explicit"))
        else:
            g, level = _gene_for(v, hits, starts, text)
            if g is None and v.parts:
                g, level = next((p.gene for p in v.parts if p.gene), None), "explicit"
            found.append((g, level if g else "none"))
        g, level = found[-1]
        if g and level == "explicit" and v.vtype in PROTEIN_POSITIONED:
            note(v.normalized, g)
            for part in v.parts:
                note(part.normalized, g)
    out = []
    for v, (g, level) in zip(ms, found, strict=True):
        if level in ("sentence", "paragraph", "none") and v.vtype in PROTEIN_POSITIONED:
            keys = [v.normalized] + [p.normalized for p in v.parts]
            votes: dict[str, int] = {}
            for k in keys:
                for sym, n in doc_genes.get(k, {}).items():
                    votes[sym] = votes.get(sym, 0) + n
            if votes:
                g = max(sorted(votes), key=lambda x: votes[x])
        out.append(replace(v, gene=g) if g and not v.gene else v)
    return out


_BEFORE_GAP = re.compile(
    r"[\s\-:(*]*(?:gene\s?|protein\s?|kinase\s?|p\.\s?)?(?:(?:activating|sensitizing|resistance|secondary|acquired|kinase[\s-]domain|point|missense)\s)?"
    r"(?:(?:mutations?|mutants?|mutated|variants?|substitutions?)\s?)?[\s(:,]*(?:including|such\sas|e\.g\.,?|i\.e\.,?)?\s?"
)
_AFTER_GAP = re.compile(r"\)?\s?(?:(?:mutations?|substitutions?|variants?)\s)?(?:in|of|within)\s(?:the\s)?(?:human\s)?\*?|\s?\(")
_MAX_BACK = 24  # gene hits examined backwards per mention (keeps dense text linear)


def _gene_for(v: VariantMention, hits: list[GeneHit], starts: list[int], text: str) -> tuple[str | None, str]:
    """(gene, level) with level in explicit / sentence / paragraph / none."""
    pos = _protein_position(v)
    i = bisect.bisect_left(starts, v.start)
    # immediately before (within 30 chars, only gene-ish words between)
    k = i - 1
    while k >= 0 and hits[k].end > v.start:
        k -= 1
    if k >= 0:
        gap = text[hits[k].end:v.start]
        if len(gap) <= 30 and _BEFORE_GAP.fullmatch(gap) and _plausible(hits[k].symbol, pos):
            return hits[k].symbol, "explicit"
    # immediately after: "C797S in EGFR", "C797S of the EGFR gene"
    j = bisect.bisect_left(starts, v.end)
    if j < len(hits):
        gap = text[v.end:hits[j].start]
        if len(gap) <= 30 and _AFTER_GAP.fullmatch(gap) and _plausible(hits[j].symbol, pos):
            return hits[j].symbol, "explicit"
        # "exon 16-skipping HER2", "T790M-positive EGFR"
        if re.fullmatch(r"(?:-?(?:positive|mutant|mutated))?\s", gap) and (
            v.vtype.startswith("exon") or v.vtype in COMPONENT_VTYPES or v.vtype == "compound"
        ) and _plausible(hits[j].symbol, pos):
            return hits[j].symbol, "explicit"
    # earlier in the sentence, then in the paragraph (nearest plausible gene)
    s0, _ = sentence_bounds(text, v.start)
    para = 0
    for m in P.PARAGRAPH_BREAK.finditer(text, max(0, v.start - 3000), v.start):
        para = m.end()
    lo = max(para, v.start - 3000)
    for kk in range(k, max(-1, k - _MAX_BACK), -1):
        h = hits[kk]
        if h.start < lo:
            break
        if _plausible(h.symbol, pos):
            return h.symbol, "sentence" if h.start >= s0 else "paragraph"
    return None, "none"
