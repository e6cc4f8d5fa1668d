"""Coordination: one alteration word shared by several genes (``ALK/ROS1/RET fusions``, ``mutations in NRAS, KRAS and MEK``)."""

from __future__ import annotations

import bisect
import re

from extractors.nlp.datafiles import gene_set
from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.helpers import sentence_bounds
from extractors.nlp.variants.mention import GeneHit, VariantMention

_COORD_VTYPES = frozenset(
    {"fusion", "rearrangement", "mutation", "amplification", "activation", "overexpression", "loss", "wild_type"}
)
_STAR_SEP = re.compile(r"\*{0,2}" + P.GENE_COORD_SEP.pattern + r"\*{0,2}")
_MAX_COORD = 8
_KW_OF = re.compile(P.LIST_KEYWORD.pattern + r"\s(?:in|of|within|involving)\s(?:the\s)?\*{0,2}$")


def _per_gene(v: VariantMention, symbol: str) -> tuple[str, str]:
    """(normalized, vtype) of ``v``'s alteration for another coordinated gene."""
    low = v.text.lower()
    if v.vtype in ("fusion", "mutation", "overexpression") and re.search(r"alter|positiv|\+|⁺", low):
        if symbol in gene_set("fusion_positive"):
            return "fusion", "fusion"
        if symbol == "ERBB2" and re.search(r"positiv|\+|⁺", low):
            return "overexpression", "overexpression"
        return "mutation", "mutation"
    if v.vtype == "rearrangement":
        return "fusion", "rearrangement"
    return v.normalized, v.vtype


_LIST_ALTERATIONS = (
    ("mutat", "mutation"),
    ("alter", "mutation"),
    ("rearrang", "fusion"),
    ("fusion", "fusion"),
    ("amplif", "amplification"),
    ("overexp", "overexpression"),
)
"""Keyword of a gene list (``mutations ... including NRAS, KRAS``) → the alteration of each listed gene; else ``activation``."""


def _list_alteration(word: str, symbol: str) -> str:
    """The alteration a list keyword gives one listed gene (``alterations`` of a fusion driver are fusions)."""
    if word.startswith("alter") and symbol in gene_set("fusion_positive"):
        return "fusion"
    return next((alteration for prefix, alteration in _LIST_ALTERATIONS if word.startswith(prefix)), "activation")


class _Coordination:
    """The extra per-gene mentions of one text; a gene already inside a mention is never given another."""

    def __init__(self, text: str, ms: list[VariantMention], hits: list[GeneHit]) -> None:
        self.text = text
        self.hits = hits
        self.starts = [h.start for h in hits]
        self.taken = sorted((v.start, v.end) for v in ms)  # disjoint after overlap resolution / compounds
        self.t_starts = [t[0] for t in self.taken]
        self.extra: list[VariantMention] = []
        self.seen: set[tuple[int, int]] = set()

    def free(self, h: GeneHit) -> bool:
        i = bisect.bisect_left(self.t_starts, h.end)  # intervals starting before the hit's end
        taken = self.taken
        return i == 0 or taken[i - 1][1] <= h.start and (i < 2 or taken[i - 2][1] <= h.start)

    def add(self, h: GeneHit, norm: str, vt: str, rule: str) -> None:
        if (h.start, h.end) in self.seen or not self.free(h):
            return
        self.seen.add((h.start, h.end))
        self.extra.append(VariantMention(start=h.start, end=h.end, text=self.text[h.start:h.end], normalized=norm,
                                         vtype=vt, rule_id=rule, gene=h.symbol, gene_in_mention=True))

    def _joined(self, end: int, start: int) -> bool:
        """Two gene hits ``end`` .. ``start`` apart are joined by a list separator."""
        return start - end <= 24 and _STAR_SEP.fullmatch(self.text, end, start) is not None

    def walk_back(self, v: VariantMention) -> None:
        """Gene-first form (``ROS1/RET fusions``, ``ALK-altered``): walk back over ``G1/G2, G3 or`` lists."""
        hits = self.hits
        i = bisect.bisect_left(self.starts, v.start)
        if not (i < len(hits) and hits[i].start == v.start):
            return
        cur, k = hits[i], i - 1
        for _ in range(_MAX_COORD):
            while k >= 0 and hits[k].end > cur.start:
                k -= 1
            if k < 0 or not self._joined(hits[k].end, cur.start):
                break
            self.add(hits[k], *_per_gene(v, hits[k].symbol), "coordinated_genes")
            cur, k = hits[k], k - 1

    def walk_forward(self, v: VariantMention) -> None:
        """Gene-last form (``mutations in NRAS, KRAS and MEK``, ``Alterations in mTOR as well as NF2``)."""
        hits = self.hits
        j = bisect.bisect_right(self.starts, v.end) - 1
        if not (j >= 0 and hits[j].end == v.end and hits[j].start > v.start):
            return
        cur, k = hits[j], j + 1
        for _ in range(_MAX_COORD):
            while k < len(hits) and hits[k].start < cur.end:
                k += 1
            if k >= len(hits) or not self._joined(cur.end, hits[k].start):
                break
            self.add(hits[k], *_per_gene(v, hits[k].symbol), "coordinated_genes")
            cur, k = hits[k], k + 1

    def _list_keyword(self, group: list[GeneHit], intro: re.Match[str], kw_of: re.Match[str] | None) -> re.Match[str] | None:
        """The alteration word of a gene list: ``<kw> of`` before it, right after it, or earlier in the sentence."""
        text = self.text
        kw = P.LIST_KEYWORD.match(text, group[-1].end + 1) if text[group[-1].end:group[-1].end + 1] in (" ", "-") else None
        if kw_of is not None:
            return kw_of
        if kw is None:
            s0, _ = sentence_bounds(text, intro.start())
            kws = list(P.LIST_KEYWORD.finditer(text, max(s0, intro.start() - 200), intro.start()))
            kw = kws[-1] if kws else None
        return kw

    def gene_lists(self) -> None:
        """``... mutations ..., including NRAS, KRAS, MEK, and MAP3K``, ``activation of ... (e.g., MET, EGFR,
        HER2/HER3)``, ``Alterations in mTOR as well as NF2`` (gene names the grammar's own gene regex does not read)."""
        text, hits = self.text, self.hits
        k = 0
        while k < len(hits):
            h = hits[k]
            kw_of = _KW_OF.search(text, max(0, h.start - 40), h.start)
            intro = kw_of or P.LIST_INTRO.search(text, max(0, h.start - 14), h.start)
            if intro is None or not self.free(h):
                k += 1
                continue
            group = [h]
            while len(group) < 12 and k + 1 < len(hits) and self._joined(group[-1].end, hits[k + 1].start):
                k += 1
                group.append(hits[k])
            k += 1
            kw = self._list_keyword(group, intro, kw_of)
            if kw is None:
                continue
            w = kw.group("w").lower()
            for g in group:
                alteration = _list_alteration(w, g.symbol)
                self.add(g, alteration, alteration, "gene_list")


def expand_coordination(text: str, ms: list[VariantMention], hits: list[GeneHit]) -> list[VariantMention]:
    """``ms`` plus one mention per coordinated gene (spanning the gene token only), sorted by offset."""
    if not hits:
        return ms
    c = _Coordination(text, ms, hits)
    for v in ms:
        if v.gene and v.gene_in_mention and v.vtype in _COORD_VTYPES:
            c.walk_back(v)
            c.walk_forward(v)
    c.gene_lists()
    if not c.extra:
        return ms
    return sorted(ms + c.extra, key=lambda v: (v.start, v.end))
