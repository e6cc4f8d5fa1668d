"""Builders of the DNA-level rules: HGVS and bare changes, IVS, written base changes, SNP ids, indels, alleles, repeats."""

from __future__ import annotations

import re
from collections.abc import Callable

from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.helpers import make_mention, sentence_bounds
from extractors.nlp.variants.mention import VariantMention


def _dna_change(chg: str) -> tuple[str, str]:
    """(normalized change, vtype) for a DNA change string."""
    c = re.sub(r"\s+|\(|\)|\.", "", chg).replace("-->", ">").replace("->", ">").replace("→", ">").replace("=>", ">")
    if c.startswith("delins"):
        return c, "delins"
    if c.startswith("del"):
        return c, "deletion" if "ins" not in c else "delins"
    if c.startswith("ins"):
        return c, "insertion"
    if c.startswith("dup"):
        return c, "duplication"
    if c.startswith("inv"):
        return c, "delins"
    c = c.upper().replace("/", ">", 1)
    return c, "dna_substitution"


def build_dna_hgvs(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_hgvs`` (DNA_HGVS)."""
    ref = m.group("ref")
    pos = re.sub(r"\s+", "", m.group("pos"))
    chg, vt = _dna_change(m.group("chg"))
    if vt == "dna_substitution" and ("+" in pos[1:] or re.search(r"\d-\d", pos)):
        vt = "splice"
    norm = f"{ref}.{pos}{chg}"
    return make_mention(text, m.start(), m.end(), normalized=norm, hgvs=norm, vtype=vt, rule_id=rule)


def build_dna_bare(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_bare`` (DNA_BARE)."""
    pos_raw = m.group("pos")
    pos = re.sub(r"\s+", "", pos_raw)
    chg_raw = m.group("chg")
    chg, vt = _dna_change(chg_raw)
    digits = re.sub(r"\D", "", pos)
    if not digits:
        return None
    s, e = m.start(), m.end()
    # "19del" / "20ins": exon short forms, not DNA
    if vt in ("deletion", "insertion") and re.fullmatch(r"(?:1[89]|2[01])", pos) and chg in ("del", "ins"):
        return None
    # bare "2 del" or years: need a base, a size, or a large position for del/ins/dup
    if vt in ("deletion", "insertion", "duplication") and chg in ("del", "ins", "dup") and "_" not in pos and "-" not in pos[1:]:
        return None
    if vt == "dna_substitution":
        glued = text[m.end("pos"):m.start("chg")] == ""
        if "/" in chg_raw and chg_raw[0] not in "(-" and not pos.startswith(("-", "+")) and not glued:
            return None  # "12G/A" is accepted; "2 C/T" (space, unsigned) is too ambiguous
        if ("+" in pos[1:] or re.search(r"\d-\d", pos)):
            vt = "splice"
    npos = pos.replace("-", "_", 1) if re.fullmatch(r"\d+-\d+", pos) and vt != "splice" else pos
    norm = f"c.{npos}{chg}"
    return make_mention(text, s, e, normalized=norm, hgvs=norm, vtype=vt, rule_id=rule)


def build_ivs(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_ivs`` (DNA_IVS)."""
    ivs = re.sub(r"[\s-]", "", m.group("ivs"))
    off = re.sub(r"\s+", "", m.group("off"))
    chg, vt = _dna_change(m.group("chg").lstrip(", "))
    norm = f"{ivs}{off}{chg}"
    return make_mention(text, m.start(), m.end(), normalized=norm, hgvs=None, vtype="splice", rule_id=rule)


def build_dna_letters(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_sub_letters`` (DNA_LETTERS)."""
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    alts = [a for a in (m.group("alts") or "").split("/") if a]
    norms = tuple(f"c.{pos}{wt}>{x}" for x in [mt, *alts])
    return make_mention(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, hgvs=norms[0],
               vtype="dna_substitution", rule_id=rule)


def _nt(s: str) -> str | None:
    s = re.sub(r"\s\([ACGTU]\)$", "", s)
    if len(s) == 1:
        return s if s in "ACGTU" else None
    if len(s) == 2 and s[0] == s[1] and s[0] in "ACGT":
        return s  # tandem "CC to TT"
    return P.NUC_NAME_TO_1.get(s.lower())


def build_dna_written(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_written`` (DNA_WRITTEN)."""
    a, b = _nt(m.group("a")), _nt(m.group("b"))
    if a is None or b is None:
        return None
    rel = m.group("rel").strip().lower()
    single_letters = len(m.group("a")) <= 2 and len(m.group("b")) <= 2 and len(a) == len(b)
    pos = (m.group("pos") or "").replace(",", "").replace("c.", "")
    e = m.end() if pos else m.end("b")
    s = m.start("pre") if m.group("pre") else m.start("a")
    if m.group("pre") and not pos:
        pos = re.sub(r"[^\d+-]", "", m.group("pre"))
    if single_letters and rel.strip("-") in ("by", "for") and not pos:
        return None
    if rel.strip("-") in ("for",):
        a, b = b, a
    if not single_letters and not pos:
        return None  # "adenine to guanine" without a position: natural language, skip
    if single_letters and not pos:
        # bare "C to T": only when it looks like a base change, not prose ("A to B")
        if rel.strip("- ") == "to" and a == b:
            return None
        if not _nucleotide_context(text, m.start("a")):
            return None
    norm = f"c.{pos}{a}>{b}" if pos else f"{a}>{b}"
    return make_mention(text, s, e, normalized=norm, hgvs=norm if pos else None, vtype="dna_substitution",
               rule_id=rule)


def _nucleotide_context(text: str, pos: int) -> bool:
    s, e = sentence_bounds(text, pos)
    return bool(P.DNA_CONTEXT.search(text, s, e)) or bool(
        re.search(r"(?i:substitution|mutation|variant|change|polymorphism|SNP|transition|transversion)", text[s:e])
    )


def build_dna_written_paren(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_written_paren`` (DNA_WRITTEN_PAREN)."""
    pos = m.group("pos")
    norm = f"c.{pos}{m.group('a')}>{m.group('b')}"
    return make_mention(text, m.start(), m.end(), normalized=norm, hgvs=norm, vtype="dna_substitution",
               rule_id=rule)


def build_snp(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``snp_id`` (SNP_ID)."""
    ident = re.sub(r"[\s#]", "", m.group("id")).lower()
    return make_mention(text, m.start(), m.end(), normalized=ident, vtype="snp_id", rule_id=rule)


_INDEL_OPS = {"ins": "insertion", "dup": "duplication"}
"""vtype of a natural-language indel by its operation word's first three letters; any other word is a deletion."""


def _indel_vtype(op: str) -> str:
    o = op.lower()
    if ("ins" in o and "del" in o) or o.startswith("indel"):
        return "delins"
    return _INDEL_OPS.get(o[:3], "deletion")


def _size_first_is_not_a_variant(m: re.Match[str], text: str) -> bool:
    """``indel_size_first`` matches that name no variant of their own."""
    n = m.groupdict().get("n")
    if n and re.fullmatch(r"\d[\d,.]*", n) and n.endswith((".", ",")):
        return True
    if n and n.lower() == "single":
        return True  # "single-nucleotide deletion": a class of change, not a variant (tmVar3 convention)
    # "four bases deletion (TGAG)": the mention is "deletion (TGAG)"
    return re.match(r"\s\([ACGT]{1,30}\)", text[m.end():m.end() + 34]) is not None


INDEL_REJECTS: dict[str, Callable[[re.Match[str], str], bool]] = {"indel_size_first": _size_first_is_not_a_variant}
"""Extra rejection check of a natural-language indel rule, by rule id (rules not listed accept every match)."""


def build_indel_nl(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of a natural-language indel rule (``13-bp deletion``, ``deletion of C at nucleotide 888``)."""
    rejects = INDEL_REJECTS.get(rule)
    frag = m.group(0)
    op = m.groupdict().get("op") or ("dup" if "dup" in frag.lower() else "ins" if "ins" in frag.lower() else "del")
    if rejects is not None and rejects(m, text):
        return None
    vt = _indel_vtype(op)
    norm = re.sub(r"\s+", " ", frag.strip())
    return make_mention(text, m.start(), m.end(), normalized=norm, vtype=vt, rule_id=rule)


def build_indel_shorthand(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``indel_shorthand`` (INDEL_SHORTHAND)."""
    frag = m.group(0)
    low = frag.lower()
    if re.fullmatch(r"(?:delta|δ)\s?\d{1,3}", low) is None and low.startswith(("delta", "δ")) and "-" not in low:
        return None
    if re.fullmatch(r"(?:del|ins|dup)\d+", low) and len(low) <= 5 and low[3:] in ("19", "20", "18", "21"):
        return None
    if re.fullmatch(r"(?:del|ins)\d{1,4}", low) and (
        re.match(r"/(?:del|ins)\d", text[m.end():m.end() + 5]) or re.search(r"(?:del|ins)\d{1,4}/$", text[max(0, m.start() - 8):m.start()])
    ):
        return None  # genotype strings: "del6/del6", "del6/ins6"
    vt = "duplication" if "dup" in low else "insertion" if "ins" in low else "deletion"
    return make_mention(text, m.start(), m.end(), normalized=frag, vtype=vt, rule_id=rule)


def build_dna_letters_long(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_sub_letters_long`` (DNA_LETTERS_LONG); its mentions carry the rule id of the short
    form they spell out at length (``dna_sub_letters``, or ``dna_allele`` for a locus name)."""
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:  # "C1256088C": a locus / allele name (tmVar3 annotates it, tmVar1 does not)
        return make_mention(text, m.start(), m.end(), normalized=f"g.{pos}{wt}", vtype="allele", rule_id="dna_allele")
    norm = f"g.{pos}{wt}>{mt}"
    return make_mention(text, m.start(), m.end(), normalized=norm, hgvs=norm, vtype="dna_substitution",
               rule_id="dna_sub_letters")


def build_codon_change(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``codon_change`` (CODON_CHANGE)."""
    frag = re.sub(r"\s+", " ", m.group(0))
    return make_mention(text, m.start(), m.end(), normalized=frag, vtype="dna_substitution", rule_id=rule)


def build_allele(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_allele`` (DNA_ALLELE)."""
    g = "a" if m.group("a") else "b"
    frag = m.group(g)
    if g == "a" and re.fullmatch(r"\d-?[ACGT]", frag):
        return None  # "4G allele", "2G allele": insertion/deletion genotype names, not positions
    return make_mention(text, m.start(g), m.end(g), normalized=frag.replace(" ", ""), vtype="allele", rule_id=rule)


def build_slash_change(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``dna_slash_change`` (DNA_SLASH_CHANGE)."""
    if m.group("a") == m.group("b"):
        return None
    return make_mention(text, m.start(), m.end(), normalized=f"{m.group('a')}>{m.group('b')}", vtype="dna_substitution",
               rule_id=rule)


def build_repeat(m: re.Match[str], text: str, rule: str) -> VariantMention | None:
    """Builder of rule ``repeat`` (REPEAT)."""
    return make_mention(text, m.start(), m.end(), normalized=m.group(0), vtype="repeat", rule_id=rule)
