"""Builders of the protein-level rules: substitutions, nonsense, frameshifts, indels, written forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from extractors.nlp.datafiles import variant_stoplist
from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.genes import normalize_gene
from extractors.nlp.variants.helpers import aa1, hgvs_sub, make_mention, sentence_bounds
from extractors.nlp.variants.mention import VariantMention

_POS_AFTER = re.compile(r"\s?-{0,2}>?\s?\(?\d")
_MUT_CUE = re.compile(r"(?i:mutant|mutation|substitut|variant|replac|missense)")


def _alts_present(m: re.Match[str]) -> bool:
    return bool(m.groupdict().get("alts"))


@dataclass(frozen=True)
class _Sub:
    """The parts of a substitution match after the parentheses are settled: residues, position, span."""

    m: re.Match[str]
    wt: str
    mt: str
    pos: str
    s: int
    e: int


def _two_residues(text: str, x: _Sub) -> bool:
    """"His 207-Asp 205", "Leu-357 to Val-360": two residues, not a substitution."""
    m = x.m
    return not _alts_present(m) and bool(text[m.end("pos"):m.start("mt")]) and bool(_POS_AFTER.match(text, m.end("mt")))


def _negative_position(text: str, x: _Sub) -> bool:
    """A negative position is DNA (``G-308A`` is read by ``dna_sub_letters``)."""
    return x.pos.startswith("-")


def _negative_dna_position(text: str, x: _Sub) -> bool:
    """One-letter forms: a negative position with DNA letters only is DNA."""
    return x.pos.startswith("-") and set(x.wt + x.mt) <= set("ACGT")


def _one_digit_without_cue(text: str, x: _Sub) -> bool:
    """"T2D", "C4A", "H1N1": 1-digit positions only with a mutation cue and no "gene" after."""
    if x.m.group("p") or len(x.pos) >= 2:
        return False
    s0, e0 = sentence_bounds(text, x.m.start())
    return not _MUT_CUE.search(text, s0, e0) or bool(re.match(r"\s(?:gene|deficien|protein|receptor)", text[x.e:x.e + 14]))


def _synonymous(text: str, x: _Sub) -> bool:
    """Synonymous changes written as L858L are rare; mostly noise (e.g. "C57C")."""
    return x.wt == x.mt


def _known_name(text: str, x: _Sub) -> bool:
    """Cell lines, virus subtypes and receptor names shaped like a substitution (``T47D``, ``H1N1``)."""
    return text[x.s:x.e] in variant_stoplist("substitution_lookalikes")


def _dna_letters_reading(text: str, x: _Sub, mts: list[str]) -> VariantMention | None:
    """DNA-letter substitutions written like protein ones (A1166C, G1764A): DNA context or a position > 5000."""
    m, wt, pos = x.m, x.wt, x.pos
    if m.group("p") or not set(wt + "".join(mts)) <= set("ACGT"):
        return None
    s0, e0 = sentence_bounds(text, m.start())
    if not (P.DNA_CONTEXT.search(text, s0, e0) or int(pos) > 5000):
        return None
    return make_mention(text, x.s, x.e, normalized=f"c.{pos}{wt}>{mts[0]}",
                        alternatives=tuple(f"c.{pos}{wt}>{y}" for y in mts), hgvs=f"c.{pos}{wt}>{mts[0]}",
                        vtype="dna_substitution", rule_id="dna_sub_letters", components=())


@dataclass(frozen=True)
class _SubstitutionForm:
    """What a substitution rule rejects (checked in order) and whether it may be a DNA change instead."""

    rejects: tuple[Callable[[str, _Sub], bool], ...]
    dna_reading: Callable[[str, _Sub, list[str]], VariantMention | None] | None = None


SUBSTITUTION_FORMS: dict[str, _SubstitutionForm] = {
    "protein_sub_3letter": _SubstitutionForm((_two_residues, _negative_position)),
    "protein_sub_1letter": _SubstitutionForm(
        (_negative_dna_position, _one_digit_without_cue, _synonymous, _known_name), _dna_letters_reading
    ),
}
"""The substitution rules by rule id; both share :func:`build_sub`."""


def build_sub(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of a substitution rule of :data:`SUBSTITUTION_FORMS` (L858R, p.(Leu858Arg), L718Q/V ...)."""
    form = SUBSTITUTION_FORMS[rule]
    wt, mt = aa1(m.group("wt")), aa1(m.group("mt"))
    if wt is None or mt is None or wt == "*":
        return None
    pos = m.group("pos")
    s, e = m.start(), m.end()
    paren, close = m.group("paren"), m.group("close")
    if paren and not m.group("p"):
        # "(A68P)": the parentheses are punctuation, not part of the mention
        s, e = m.start("wt"), m.end("mt")
    elif paren and not close:
        return None  # "p.(L858R" without closing paren
    elif close and not paren:
        e = m.end("mt")
    x = _Sub(m, wt, mt, pos, s, e)
    if any(reject(text, x) for reject in form.rejects):
        return None
    alts_raw = m.group("alts") or ""
    alts = [aa1(a) for a in re.split(r",\s?|\s|/", alts_raw) if a and a not in ("or", "and")]
    if any(a is None for a in alts):
        return None
    e = m.end("alts") if alts_raw else e
    mts = [mt] + [a for a in alts if a]
    norms = tuple(f"{wt}{pos}{y}" for y in mts)
    if mt == "*":
        vtype = "nonsense"
    elif mt == "X":
        s0, e0 = sentence_bounds(text, m.start())
        vtype = "nonsense" if P.NONSENSE_CONTEXT.search(text, s0, e0) else "residue_class"
    else:
        vtype = "substitution"
    if form.dna_reading is not None:
        dna = form.dna_reading(text, _Sub(m, wt, mt, pos, s, e), mts)
        if dna is not None:
            return dna
    return make_mention(text, s, e, normalized=norms[0], alternatives=norms, hgvs=hgvs_sub(wt, pos, mts[0]),
                        vtype=vtype, rule_id=rule)


_RESIDUE_ITEM = re.compile(r"(?P<wt>[A-Z])(?P<pos>\d{2,5})")


def build_residue_mutation(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_residue_mutation``: "V600 mutation" is any substitution at that residue, ``V600X``
    (the guideline's residue class); ``G12/G13 mutations`` gives one alternative per residue.

    Rejected: names of that shape (``P53``, keratin ``K12``, ``A549`` cells: the gene lexicon and the
    ``residue_lookalikes`` stop list) and, for ACGT letters, positions above 5000 (nucleotides, as for substitutions).
    """
    items = [(r.group("wt"), r.group("pos")) for r in _RESIDUE_ITEM.finditer(m.group("res"))]
    lookalikes = variant_stoplist("residue_lookalikes")
    for wt, pos in items:
        if wt + pos in lookalikes or normalize_gene(wt + pos) is not None or (wt in "ACGT" and int(pos) > 5000):
            return None
    norms = tuple(dict.fromkeys(f"{wt}{pos}X" for wt, pos in items))
    return make_mention(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, vtype="residue_class",
                        rule_id=rule)


def build_stop_word(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_nonsense_word`` (PROTEIN_STOP_WORD)."""
    wt, pos = m.group("wt"), m.group("pos")
    return make_mention(text, m.start(), m.end(), normalized=f"{wt}{pos}*", hgvs=hgvs_sub(wt, pos, "*"),
               vtype="nonsense", rule_id=rule)


def build_fs(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_frameshift`` (PROTEIN_FS)."""
    wt = aa1(m.group("wt"))
    if wt is None or wt == "*":
        return None
    mt = aa1(m.group("mt") or "")
    pos = m.group("pos")
    tail = (m.group("tail") or "").replace(" ", "")
    num = re.sub(r"\D", "", tail)
    norm = f"{wt}{pos}{mt or ''}fs" + (f"*{num}" if num else ("*" if tail else ""))
    hg = f"p.{P.AA1_TO_3.get(wt, wt)}{pos}{P.AA1_TO_3.get(mt, '') if mt else ''}fs" + (f"Ter{num}" if num else "")
    return make_mention(text, m.start(), m.end(), normalized=norm, hgvs=hg, vtype="frameshift", rule_id=rule)


_OP_VTYPE = {"del": "deletion", "ins": "insertion", "dup": "duplication", "delins": "delins"}


def build_pindel(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_indel`` (PROTEIN_INDEL)."""
    wt1_raw = m.group("wt1") or ""
    seq = m.group("seq") or ""
    op = m.group("op")
    pos1, pos2 = m.group("pos1"), m.group("pos2")
    if not wt1_raw:
        # "157delMTTTVP" is protein, "1195delC" / "19del" are handled by DNA / exon rules
        if not seq or seq.isdigit() or set(seq) <= set("ACGTU") or len(seq) < 2:
            return None
    if m.group("p") is None and not wt1_raw and not pos2 and seq and set(seq) <= set("ACGTU"):
        return None
    wt1 = _aa_seq(wt1_raw)
    if wt1_raw and wt1 is None:
        return None
    wt2 = _aa_seq(m.group("wt2") or "") if m.group("wt2") else ""
    if wt2 is None:
        return None
    s, e = m.start(), m.end()
    if m.group("paren") and not m.group("p"):
        s = m.start("paren") + 1
        if m.group("close"):
            e -= 1
    elif m.group("paren") and not m.group("close"):
        return None
    elif m.group("close") and not m.group("paren"):
        e -= 1
    left = f"{wt1[-1] if wt1 else ''}{pos1}"
    right = f"_{wt2}{pos2}" if pos2 else ""
    seq1 = _aa_seq(seq) if seq and not seq.isdigit() else seq
    norm = f"{left}{right}{op}{seq1 or ''}"
    hg = None
    if wt1 and (not pos2 or wt2):
        hg = "p." + f"{P.AA1_TO_3.get(wt1[-1], '')}{pos1}" + (f"_{P.AA1_TO_3.get(wt2, '')}{pos2}" if pos2 else "") + op + (
            "".join(P.AA1_TO_3.get(c, c) for c in seq1) if seq1 and not seq1.isdigit() else "")
    return make_mention(text, s, e, normalized=norm, hgvs=hg, vtype=_OP_VTYPE[op], rule_id=rule)


def _aa_seq(s: str) -> str | None:
    if not s:
        return ""
    if re.fullmatch(f"[{P.AA1}]+", s):
        return s
    parts = re.findall(r"[A-Z][a-z]{2}|[A-Z]{3}", s)
    if "".join(parts) != s:
        return None
    out = [aa1(p) for p in parts]
    if any(o is None for o in out):
        return None
    return "".join(o for o in out if o)


DELETION_REJECTS: dict[str, str] = {"protein_delta": "", "protein_del_of": "*X"}
"""The residue-deletion rules by rule id, with the residues each rejects: a "deletion of" phrase never names a
stop or an unknown residue; the Δ form keeps every residue its pattern admits. Both share
:func:`build_residue_deletion`."""


def build_residue_deletion(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of a residue-deletion rule of :data:`DELETION_REJECTS` (``ΔF508``, ``deletion of Phe508``)."""
    wt = aa1(m.group("wt"))
    if wt is None or wt in DELETION_REJECTS[rule]:
        return None
    pos = m.group("pos")
    return make_mention(text, m.start(), m.end(), normalized=f"{wt}{pos}del", hgvs=f"p.{P.AA1_TO_3[wt]}{pos}del",
                        vtype="deletion", rule_id=rule)


def build_written(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of the written-out substitution rules (``leucine-to-arginine substitution at codon 858``)."""
    a, b = aa1(m.group("a")), aa1(m.group("b"))
    if a is None or b is None or a == b:
        return None
    rel = (m.groupdict().get("rel") or "to").lower()
    wt, mt = (b, a) if rel == "for" else (a, b)
    if wt == "*":
        return None
    pos = m.group("pos")
    vtype = "nonsense" if mt == "*" else "substitution"
    return make_mention(text, m.start(), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=hgvs_sub(wt, pos, mt),
               vtype=vtype, rule_id=rule)


def build_sub_glued(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_sub_glued`` (PROTEIN_SUB_GLUED)."""
    gene = normalize_gene(m.group("gene"))
    if gene is None:
        return None
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:
        return None
    vt = "nonsense" if mt == "*" else "residue_class" if mt == "X" else "substitution"
    return make_mention(text, m.start("wt"), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=hgvs_sub(wt, pos, mt), vtype=vt,
               rule_id=rule, gene=gene)


def build_letter_sub(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of a substitution rule whose pattern admits one-letter residues only, so nothing is left to check
    but a synonymous change (``alphaD60N`` after a lower-case prefix, ``A34----E34`` with dashes)."""
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:
        return None
    return make_mention(text, m.start(), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=hgvs_sub(wt, pos, mt),
                        vtype="substitution", rule_id=rule)


def build_replaced(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_replaced`` (PROTEIN_REPLACED)."""
    wt, mt = aa1(m.group("wt")), aa1(m.group("mt"))
    if wt is None or mt is None or wt in "*X" or wt == mt:
        return None
    if m.group("wt")[0].islower() and m.group("wt").lower() not in P.AA_NAME_TO_1:
        return None
    pos = m.group("pos")
    if not m.group("more") and _POS_AFTER.match(text, m.end("mt")):
        return None  # "Glu-217 with Thr-172": two residues
    more = [aa1(x) for x in re.split(r",?\s(?:or|and)\s|,\s?", m.group("more") or "") if x.strip()]
    mts = [mt] + [x for x in more if x]
    norms = tuple(f"{wt}{pos}{x}" for x in mts)
    return make_mention(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, hgvs=hgvs_sub(wt, pos, mt),
               vtype="nonsense" if mt == "*" else "substitution", rule_id=rule)


_RES_ITEM = re.compile(r"(?P<wt>[A-Za-z]+(?:\s(?:acid))?)(?:\s?-\s?|\s)?(?P<pos>[1-9]\d{0,4})")
_LIST_SPLIT = re.compile(r",?\s(?:and|or)\s|,\s?")


def build_residue_list(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """"Arg79, Arg109, and Arg112 ... were replaced with Lys, Gln, and Met" (cross product, or pairs with
    "respectively")."""
    res = []
    for item in _LIST_SPLIT.split(m.group("res")):
        r = _RES_ITEM.fullmatch(item.strip())
        if r is None:
            return None
        wt = aa1(r.group("wt"))
        if wt is None or wt in "*X" or (r.group("wt")[0].islower() and r.group("wt").lower() not in P.AA_NAME_TO_1):
            return None
        res.append((wt, r.group("pos")))
    mts = [aa1(x.strip()) for x in _LIST_SPLIT.split(m.group("mts")) if x.strip()]
    if not mts or any(x is None or x == "X" for x in mts):
        return None
    if re.match(r",?\s(?:respectively|in\sthat\sorder)", text[m.end():m.end() + 20]):
        if len(mts) != len(res):
            return None
        pairs = list(zip(res, mts, strict=True))
    else:
        pairs = [(r, x) for r in res for x in mts]
    norms = tuple(dict.fromkeys(f"{wt}{pos}{x}" for (wt, pos), x in pairs if x != wt))
    if not norms:
        return None
    (wt0, pos0), mt0 = pairs[0]
    return make_mention(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, hgvs=hgvs_sub(wt0, pos0, mt0 or ""),
               vtype="substitution", rule_id=rule)


def build_sub_chain(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_sub_chain`` (PROTEIN_SUB_CHAIN)."""
    wt, mt = aa1(m.group("wt")), aa1(m.group("mt"))
    if wt is None or mt is None or wt in "*X" or wt == mt:
        return None
    pos = m.group("pos")
    return make_mention(text, m.start("wt"), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=hgvs_sub(wt, pos, mt),
               vtype="nonsense" if mt == "*" else "substitution", rule_id=rule)


def build_gene_pos_stop(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_gene_pos_stop`` (PROTEIN_GENE_POS_STOP)."""
    gene = normalize_gene(m.group("gene"), strict=False)
    if gene is None:
        return None
    pos = m.group("pos")
    return make_mention(text, m.start("pos"), m.end(), normalized=f"{pos}*", vtype="nonsense", rule_id=rule,
               gene=gene)


def build_acid_change(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_acid_change`` (PROTEIN_ACID_CHANGE)."""
    a, b = aa1(m.group("a")), aa1(m.group("b"))
    if a is None or b is None:
        return None
    return make_mention(text, m.start(), m.end(), normalized=f"{a}>{b}", vtype="substitution", rule_id=rule)


_SUBST_CUE = re.compile(r"(?i:substitut|replac|exchang|conver|chang|caus|result|lead|mutat|encod|codon)")


def build_word_change(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``protein_word_change`` (PROTEIN_WORD_CHANGE)."""
    a, b = aa1(m.group("a")), aa1(m.group("b"))
    if a is None or b is None or a == b:
        return None
    if not _SUBST_CUE.search(text, max(0, m.start() - 45), m.start()) and not re.match(
        r"\s(?:substitution|residue|change|mutation)", text[m.end():m.end() + 14]
    ):
        return None
    rel = m.group("rel").lower()
    wt, mt = (b, a) if rel in ("for", "instead of") else (a, b)
    return make_mention(text, m.start(), m.end(), normalized=f"{wt}>{mt}", vtype="substitution", rule_id=rule)


def build_stop_at(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``stop_at_codon`` (STOP_AT_CODON)."""
    return make_mention(text, m.start(), m.end(), normalized=f"{m.group('pos')}*", vtype="nonsense", rule_id=rule)
