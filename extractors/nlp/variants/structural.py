"""Builders of the exon-level, fusion, copy-number and gene-word rules (``MET amplification``, ``EGFR-mutant``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from extractors.nlp.datafiles import gene_set, variant_stoplist
from extractors.nlp.variants.genes import normalize_gene
from extractors.nlp.variants.helpers import make_mention
from extractors.nlp.variants.mention import VariantMention


# --- exon level ---------------------------------------------------------------
def _exon_op(op: str) -> tuple[str, str] | None:
    o = op.lower().replace("in-frame ", "").replace("inframe ", "")
    if o.startswith("del"):
        return "deletion", "exon_deletion"
    if o.startswith("ins"):
        return "insertion", "exon_insertion"
    if o.startswith("skip"):
        return "skipping", "exon_skipping"
    if o.startswith("dup"):
        return "duplication", "exon_insertion"
    if o.startswith(("mut", "alter", "variant", "subst", "point")):
        return "mutation", "mutation"
    return None


def _exon_mention(text: str, s: int, e: int, nums: list[str], op: str, rule: str,
                  gene: str | None = None) -> VariantMention | None:
    eo = _exon_op(op)
    if eo is None:
        return None
    word, vt = eo
    norms = tuple(f"exon {n} {word}" for n in nums)
    if gene is None and vt == "exon_skipping":
        gene = None
    return make_mention(text, s, e, normalized=norms[0], alternatives=norms, vtype=vt, rule_id=rule, gene=gene,
               gene_in_mention=gene is not None)


def build_exon_first(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``exon_level`` (EXON_FIRST)."""
    nums = [m.group("n")] + re.findall(r"\d+", m.group("more") or "")
    s = m.start()
    gene = None
    if m.group("gene"):
        gene = normalize_gene(m.group("gene").strip())
        if gene is None:
            s = m.start() + len(m.group("gene"))
    return _exon_mention(text, s, m.end(), nums, m.group("op"), rule, gene)


def build_exon_glued(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``exon_glued`` (EXON_GLUED)."""
    op = m.group("op") or ("skipping" if m.group("gene") == "MET" and m.group("n") == "14" else "mutation")
    return _exon_mention(text, m.start(), m.end(), [m.group("n")], op, rule, normalize_gene(m.group("gene")))


def build_exon_short(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``exon_short`` (EXON_SHORT)."""
    n = m.group("n1") or m.group("n2")
    op = m.group("op1") or m.group("op2")
    return _exon_mention(text, m.start(), m.end(), [n], op, rule)


_SIZE_BEFORE = re.compile(r"(?:bp|base[\s-]?pairs?|bases?|nucleotides?|nt|kb|amino\sacids?|codons?|\))[\s-]$")


def build_exon_after(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``exon_after`` (EXON_AFTER)."""
    if _SIZE_BEFORE.search(text, max(0, m.start() - 20), m.start()):
        return None
    return _exon_mention(text, m.start(), m.end(), [m.group("n")], m.group("op"), rule)


# --- structural / copy number ----------------------------------------------
_PROTEIN_CHANGE_SHAPE = re.compile(r"[A-Z]\d{1,4}[A-Z*]?")
"""A residue and position (``T790M``, ``V600``): unless it is a gene symbol (``B2M``), not a fusion partner."""

def build_fusion(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``fusion_partners`` (FUSION)."""
    g1t, g2t = m.group("g1"), m.group("g2")
    if g1t.upper() in variant_stoplist("fusion_partner_stop") or g2t.upper() in variant_stoplist("fusion_partner_stop") or g1t == g2t:
        return None
    if any(_PROTEIN_CHANGE_SHAPE.fullmatch(t) and normalize_gene(t) is None for t in (g1t, g2t)):
        return None  # "EGFR-T790M", "ERBB2-N857S": a gene and its variant, read by the substitution rules
    g1, g2 = normalize_gene(g1t), normalize_gene(g2t)
    drivers = [g for g in (g2, g1) if g in gene_set("fusion_drivers")]
    if not drivers:
        return None
    if g1 is None and g2 is None:
        return None
    sep = text[m.end("b1"):m.start("g2")].strip()
    if sep == "/" and not m.group("kind"):
        return None  # "EGFR/ALK" lists genes, not a fusion
    if sep in ("/", ",") and g1 in gene_set("fusion_drivers") and g2 in gene_set("fusion_drivers"):
        return None  # "ALK/ROS1 fusions": a list of fusion drivers (expanded by expand_coordination)
    partner_other = g1 if drivers[0] == g2 else g2
    if partner_other is None and normalize_gene(g1t if drivers[0] == g2 else g2t, strict=False) is None:
        return None
    if partner_other in gene_set("fusion_drivers") and not m.group("kind") and not m.group("b1") and not m.group("b2"):
        # "EGFR-ALK" / "ALK-MET" lists two drivers unless a fusion word follows
        if {g1, g2} - {"FGFR3"} == {g1, g2}:
            return None
    gene = drivers[0]
    # the driver gene is normalized; the partner is kept as written ("NPM-ALK", not NPM1-ALK)
    p1 = gene if g1 == gene else g1t.upper()
    p2 = gene if g2 == gene and g1 != gene else g2t.upper()
    norm = f"fusion {p1}-{p2}"
    e = m.end()
    kind = m.group("kind") or ""
    if kind.strip().lower() == "positive":
        e = m.end("kind")
    return make_mention(text, m.start(), e, normalized=norm, vtype="fusion", rule_id=rule, gene=gene,
               partners=(p1, p2), gene_in_mention=True)


def build_gene_fusion_word(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``gene_fusion_word`` (GENE_FUSION_WORD)."""
    gtok = m.group("gene") or m.group("gene2")
    gene = normalize_gene(gtok)
    if gene is None:
        return None
    w = (m.group("w") or "+").lower()
    if m.group("plus") and m.group("plus").startswith(" "):
        # "ALK + non-small cell lung cancer" (table captions); not "EGFR + MET"
        nxt = re.match(r"\s\+\s([A-Za-z][A-Za-z0-9-]{0,12})", text[m.end("gene2"):m.end("gene2") + 18])
        if nxt is None or normalize_gene(nxt.group(1)) is not None:
            return None
    if gene in gene_set("fusion_positive") or "rearrang" in w or "fusion" in w or "transloc" in w:
        return make_mention(text, m.start(), m.end(), normalized="fusion", vtype="fusion" if "fusion" in w or "+" in w or "posit" in w else "rearrangement",
                   rule_id=rule, gene=gene, gene_in_mention=True)
    if gene == "ERBB2":
        return make_mention(text, m.start(), m.end(), normalized="overexpression", vtype="overexpression",
                   rule_id="gene_positive", gene=gene, gene_in_mention=True)
    if "posit" in w or "+" in w:
        return make_mention(text, m.start(), m.end(), normalized="mutation", vtype="mutation", rule_id="gene_positive",
                   gene=gene, gene_in_mention=True)
    return None


@dataclass(frozen=True)
class _GeneWord:
    """The alteration a gene + word rule names, and whether the word alone (no gene) is rejected."""

    normalized: str
    vtype: str
    need_gene: bool = False


GENE_WORDS: dict[str, _GeneWord] = {
    "fusion_of_gene": _GeneWord("fusion", "fusion", need_gene=True),
    "amplification_glued": _GeneWord("amplification", "amplification", need_gene=True),
    "amplification_of": _GeneWord("amplification", "amplification", need_gene=True),
    "amplification": _GeneWord("amplification", "amplification"),
    "overexpression": _GeneWord("overexpression", "overexpression"),
    "loss": _GeneWord("loss", "loss", need_gene=True),
    "compound_word": _GeneWord("compound mutation", "compound"),
    "activation": _GeneWord("activation", "activation", need_gene=True),
    "mutation_word": _GeneWord("mutation", "mutation", need_gene=True),
}
"""The gene + alteration-word rules by rule id; all share :func:`build_gene_word`."""


def build_gene_word(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of a gene + alteration-word rule of :data:`GENE_WORDS` (``MET amplification``, ``PTEN loss``)."""
    word = GENE_WORDS[rule]
    gd = m.groupdict()
    s, e = m.start(), m.end()
    gtok = gd.get("gene") or gd.get("gene2")
    gene = normalize_gene(gtok) if gtok else None
    if gtok and gene is None and gtok.upper() in variant_stoplist("not_genes") and gd.get("gene"):
        return None  # "PCR amplification", "DNA loss"
    if gtok and gene is None:
        # the token before the keyword is not a gene: drop it from the span
        if gd.get("gene"):
            s = m.start("w") if gd.get("w") else m.end("gene")
        if gd.get("gene2") and gd.get("w2") is None and gd.get("w"):
            e = m.end("w")
        elif gd.get("gene2"):
            return None
    if word.need_gene and gene is None:
        return None
    return make_mention(text, s, e, normalized=word.normalized, vtype=word.vtype, rule_id=rule, gene=gene,
                        gene_in_mention=gene is not None)


def build_mutation_word(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``mutation_word`` (MUTATION_WORD)."""
    v = build_gene_word(m, text, rule)
    if v is not None and v.gene in gene_set("fusion_positive") and (m.group("w") or m.group("w2") or "").lower().startswith("alter"):
        # "ALK-altered", "ALK genomic alterations": for fusion drivers the alteration is the fusion
        v = replace(v, normalized="fusion", alternatives=("fusion",), vtype="fusion")
    return v


def build_wild_type(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``wild_type`` (WILD_TYPE)."""
    w = m.group("w")
    gene = normalize_gene(m.group("gene")) if m.group("gene") else None
    gene2 = normalize_gene(m.group("gene2")) if m.group("gene2") else None
    if w.lower() == "wt" and not (gene or gene2):
        return None
    s = m.start() if gene else m.start("w")
    e = m.end() if gene2 else m.end("w")
    return make_mention(text, s, e, normalized="wild-type", vtype="wild_type", rule_id=rule, gene=gene or gene2,
               gene_in_mention=bool(gene or gene2))
