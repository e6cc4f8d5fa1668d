"""Variant grammar: find, normalize and attach molecular-alteration mentions (issue 5).

Pure core
    ``find_variants(text, genes=()) -> list[VariantMention]``
    ``attach_genes(mentions, genes, text) -> list[VariantMention]``
    ``variant_mentions_for_pubtator(text) -> list[(start, end, text, normalized)]``

spaCy component
    ``oncotriples_variants`` (``doc._.variants``, ``doc.spans["variants"]``).

The rules live in :mod:`extractors.variant_patterns`; every rule has a
``rule_id`` that is recorded on the mention. Candidates from all rules are
collected, overlaps are resolved (longest span wins, then rule priority),
adjacent components joined by ``/``, ``+``, ``cis``/``trans`` are merged into
compound mentions, and finally genes are attached.

Offsets are always exact: ``text[m.start:m.end] == m.text``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from extractors.nlp import variant_patterns as P
from schemas.versions import VARIANT_RULESET_VERSION  # noqa: E402,F401  (re-export)

__all__ = [
    "VARIANT_RULESET_VERSION",
    "GeneHit",
    "VariantMention",
    "attach_genes",
    "find_variants",
    "find_gene_hits",
    "normalize_gene",
    "variant_mentions_for_pubtator",
    "SEQUENCE_VTYPES",
    "NATURAL_LANGUAGE_RULES",
]


class GeneHit(NamedTuple):
    """A gene mention: character offsets into the text and its HGNC symbol."""

    start: int
    end: int
    symbol: str


@dataclass(frozen=True)
class VariantMention:
    start: int
    end: int
    text: str
    normalized: str
    vtype: str
    rule_id: str
    alternatives: tuple[str, ...] = ()
    hgvs: str | None = None
    gene: str | None = None
    components: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    #: for compounds: the atomic mentions that were merged (used for PubTator output)
    parts: tuple[VariantMention, ...] = field(default=(), compare=False, repr=False)
    #: gene written inside the mention itself ("MET amplification", "EML4-ALK")
    gene_in_mention: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.alternatives:
            object.__setattr__(self, "alternatives", (self.normalized,))


#: vtypes that are sequence variants in the tmVar / BioRED sense (PubTator ``SequenceVariant``)
SEQUENCE_VTYPES = frozenset(
    {"substitution", "residue_class", "nonsense", "deletion", "insertion", "duplication", "delins",
     "frameshift", "splice", "dna_substitution", "snp_id", "allele", "repeat"}
)

# ---------------------------------------------------------------------------
# gene names
# ---------------------------------------------------------------------------
_LEXICON: Any = None
_LEXICON_TRIED = False


def _lexicon() -> Any:
    """The project gene lexicon (``extractors.lexicons``) when it exists, else None."""
    global _LEXICON, _LEXICON_TRIED
    if not _LEXICON_TRIED:
        _LEXICON_TRIED = True
        try:
            from extractors.nlp import lexicons  # type: ignore[attr-defined]

            _LEXICON = lexicons.load_gene_lexicon()
        except Exception:  # noqa: BLE001 - lexicon is optional; fall back to the built-in table
            _LEXICON = None
    return _LEXICON


def normalize_gene(token: str, *, strict: bool = True) -> str | None:
    """HGNC symbol for a gene-shaped token, or None.

    Uses the grammar's own alias table and known-gene set first, then the
    project lexicon if available. With ``strict=False`` any gene-shaped token
    that is not in the stop list is accepted as-is (upper-cased).
    """
    up = token.upper()
    if up in P.GENE_ALIASES:
        return P.GENE_ALIASES[up]
    if up in P.NOT_GENES:
        return None
    if up in P.KNOWN_GENES:
        return up
    lex = _lexicon()
    if lex is not None:
        try:
            sym = lex.lookup(token)
        except Exception:  # noqa: BLE001
            sym = None
        if sym:
            return str(sym)
    if not strict and re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", token) and any(c.isdigit() for c in token[1:]):
        return up
    return None


def find_gene_hits(text: str) -> list[GeneHit]:
    """Gene mentions found with the grammar's own gene-shape regex + alias/known tables."""
    out = []
    for m in P.GENE_TOKEN_RE.finditer(text):
        sym = normalize_gene(m.group(1))
        if sym:
            out.append(GeneHit(m.start(1), m.end(1), sym))
    return out


def _gene_at(text: str, start: int, end: int, genes: Sequence[GeneHit]) -> str | None:
    for g in genes:
        if g.start == start and g.end == end:
            return g.symbol
    return normalize_gene(text[start:end])


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _aa1(s: str) -> str | None:
    if not s:
        return None
    if len(s) == 1:
        return s if s in P.AA1 or s in "X*" else None
    low = s.lower()
    if low in P.AA3_TO_1:
        return P.AA3_TO_1[low]
    return P.AA_NAME_TO_1.get(low)


def _hgvs_sub(wt: str, pos: str, mt: str) -> str | None:
    if wt not in P.AA1_TO_3 or mt not in P.AA1_TO_3 or mt == "X":
        return None
    return f"p.{P.AA1_TO_3[wt]}{pos}{P.AA1_TO_3[mt]}"


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    lo = max(0, pos - 400)
    hi = min(len(text), pos + 400)
    s = lo
    for m in P.SENTENCE_BREAK.finditer(text, lo, pos):
        s = m.end()
    e = hi
    m2 = P.SENTENCE_BREAK.search(text, pos, hi)
    if m2:
        e = m2.start()
    return s, e


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    # unbalanced trailing ")" / leading "("
    frag = text[s:e]
    if frag.endswith(")") and frag.count(")") > frag.count("("):
        e -= 1
    if frag.startswith("(") and frag.count("(") > frag.count(")"):
        s += 1
    return s, e


Builder = Callable[[re.Match[str], str], "VariantMention | None"]


def _mk(text: str, s: int, e: int, **kw: Any) -> VariantMention | None:
    s, e = _strip_span(text, s, e)
    if e <= s:
        return None
    return VariantMention(start=s, end=e, text=text[s:e], **kw)


# ---------------------------------------------------------------------------
# builders (one per rule)
# ---------------------------------------------------------------------------
def _b_sub(rule: str) -> Builder:
    def build(m: re.Match[str], text: str) -> VariantMention | None:
        wt, mt = _aa1(m.group("wt")), _aa1(m.group("mt"))
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
        if rule == "protein_sub_3letter" and not _alts_present(m) and text[m.end("pos"):m.start("mt")] and _POS_AFTER.match(
            text, m.end("mt")
        ):
            return None  # "His 207-Asp 205", "Leu-357 to Val-360": two residues, not a substitution
        if pos.startswith("-") and (rule != "protein_sub_1letter" or set(wt + mt) <= set("ACGT")):
            return None  # G-308A is DNA (dna_sub_letters)
        if rule == "protein_sub_1letter" and not m.group("p") and len(pos) < 2:
            # "T2D", "C4A", "H1N1": 1-digit positions only with a mutation cue and no "gene" after
            s0, e0 = _sentence_bounds(text, m.start())
            if not _MUT_CUE.search(text, s0, e0) or re.match(r"\s(?:gene|deficien|protein|receptor)", text[e:e + 14]):
                return None
        if rule == "protein_sub_1letter":
            if wt == mt:
                return None  # synonymous written as L858L is rare; mostly noise (e.g. "C57C")
            if text[s:e] in _ONE_LETTER_STOP:
                return None
        alts_raw = m.group("alts") or ""
        alts = [_aa1(a) for a in re.split(r",\s?|\s|/", alts_raw) if a and a not in ("or", "and")]
        if any(a is None for a in alts):
            return None
        e = m.end("alts") if alts_raw else e
        mts = [mt] + [a for a in alts if a]
        norms = tuple(f"{wt}{pos}{x}" for x in mts)
        if mt == "*":
            vtype = "nonsense"
        elif mt == "X":
            s0, e0 = _sentence_bounds(text, m.start())
            vtype = "nonsense" if P.NONSENSE_CONTEXT.search(text, s0, e0) else "residue_class"
        else:
            vtype = "substitution"
        # DNA-letter substitutions written like protein ones (A1166C, G1764A)
        if rule == "protein_sub_1letter" and not m.group("p") and set(wt + "".join(mts)) <= set("ACGT"):
            s0, e0 = _sentence_bounds(text, m.start())
            if P.DNA_CONTEXT.search(text, s0, e0) or int(pos) > 5000:
                return _mk(text, s, e, normalized=f"c.{pos}{wt}>{mts[0]}",
                           alternatives=tuple(f"c.{pos}{wt}>{x}" for x in mts), hgvs=f"c.{pos}{wt}>{mts[0]}",
                           vtype="dna_substitution", rule_id="dna_sub_letters", components=())
        return _mk(text, s, e, normalized=norms[0], alternatives=norms, hgvs=_hgvs_sub(wt, pos, mts[0]),
                   vtype=vtype, rule_id=rule)

    return build


_POS_AFTER = re.compile(r"\s?-{0,2}>?\s?\(?\d")


def _alts_present(m: re.Match[str]) -> bool:
    return bool(m.groupdict().get("alts"))


_MUT_CUE = re.compile(r"(?i:mutant|mutation|substitut|variant|replac|missense)")
_ONE_LETTER_STOP = frozenset(
    "T47D H1N1 H3N2 H5N1 H7N9 H9N2 C57B E1A E6E7 S1P G2M G0G G1S H1L A1C K5A P2X P2Y C5A C3A".split()
)


def _b_stop_word(m: re.Match[str], text: str) -> VariantMention | None:
    wt, pos = m.group("wt"), m.group("pos")
    return _mk(text, m.start(), m.end(), normalized=f"{wt}{pos}*", hgvs=_hgvs_sub(wt, pos, "*"),
               vtype="nonsense", rule_id="protein_nonsense_word")


def _b_fs(m: re.Match[str], text: str) -> VariantMention | None:
    wt = _aa1(m.group("wt"))
    if wt is None or wt == "*":
        return None
    mt = _aa1(m.group("mt") or "")
    pos = m.group("pos")
    tail = (m.group("tail") or "").replace(" ", "")
    num = re.sub(r"\D", "", tail)
    norm = f"{wt}{pos}{mt or ''}fs" + (f"*{num}" if num else ("*" if tail else ""))
    hg = f"p.{P.AA1_TO_3.get(wt, wt)}{pos}{P.AA1_TO_3.get(mt, '') if mt else ''}fs" + (f"Ter{num}" if num else "")
    return _mk(text, m.start(), m.end(), normalized=norm, hgvs=hg, vtype="frameshift", rule_id="protein_frameshift")


_OP_VTYPE = {"del": "deletion", "ins": "insertion", "dup": "duplication", "delins": "delins"}


def _b_pindel(m: re.Match[str], text: str) -> VariantMention | None:
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
    return _mk(text, s, e, normalized=norm, hgvs=hg, vtype=_OP_VTYPE[op], rule_id="protein_indel")


def _aa_seq(s: str) -> str | None:
    if not s:
        return ""
    if re.fullmatch(f"[{P.AA1}]+", s):
        return s
    parts = re.findall(r"[A-Z][a-z]{2}|[A-Z]{3}", s)
    if "".join(parts) != s:
        return None
    out = [_aa1(p) for p in parts]
    if any(o is None for o in out):
        return None
    return "".join(o for o in out if o)


def _b_delta(m: re.Match[str], text: str) -> VariantMention | None:
    wt = _aa1(m.group("wt"))
    if wt is None:
        return None
    pos = m.group("pos")
    return _mk(text, m.start(), m.end(), normalized=f"{wt}{pos}del", hgvs=f"p.{P.AA1_TO_3[wt]}{pos}del",
               vtype="deletion", rule_id="protein_delta")


def _b_written(rule: str) -> Builder:
    def build(m: re.Match[str], text: str) -> VariantMention | None:
        a, b = _aa1(m.group("a")), _aa1(m.group("b"))
        if a is None or b is None or a == b:
            return None
        rel = (m.groupdict().get("rel") or "to").lower()
        wt, mt = (b, a) if rel == "for" else (a, b)
        if wt == "*":
            return None
        pos = m.group("pos")
        vtype = "nonsense" if mt == "*" else "substitution"
        return _mk(text, m.start(), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=_hgvs_sub(wt, pos, mt),
                   vtype=vtype, rule_id=rule)

    return build


def _norm_dpos(s: str) -> str:
    return re.sub(r"\s+", "", s).replace("-", "_", 1) if re.match(r"^\d+\s?-\s?\d+$", s.strip()) else re.sub(r"\s+", "", s)


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


def _b_dna_hgvs(m: re.Match[str], text: str) -> VariantMention | None:
    ref = m.group("ref")
    pos = re.sub(r"\s+", "", m.group("pos"))
    chg, vt = _dna_change(m.group("chg"))
    if vt == "dna_substitution" and ("+" in pos[1:] or re.search(r"\d-\d", pos)):
        vt = "splice"
    norm = f"{ref}.{pos}{chg}"
    return _mk(text, m.start(), m.end(), normalized=norm, hgvs=norm, vtype=vt, rule_id="dna_hgvs")


def _b_dna_bare(m: re.Match[str], text: str) -> VariantMention | None:
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
    return _mk(text, s, e, normalized=norm, hgvs=norm, vtype=vt, rule_id="dna_bare")


def _b_ivs(m: re.Match[str], text: str) -> VariantMention | None:
    ivs = re.sub(r"[\s-]", "", m.group("ivs"))
    off = re.sub(r"\s+", "", m.group("off"))
    chg, vt = _dna_change(m.group("chg").lstrip(", "))
    norm = f"{ivs}{off}{chg}"
    return _mk(text, m.start(), m.end(), normalized=norm, hgvs=None, vtype="splice", rule_id="dna_ivs")


def _b_dna_letters(m: re.Match[str], text: str) -> VariantMention | None:
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    alts = [a for a in (m.group("alts") or "").split("/") if a]
    norms = tuple(f"c.{pos}{wt}>{x}" for x in [mt, *alts])
    return _mk(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, hgvs=norms[0],
               vtype="dna_substitution", rule_id="dna_sub_letters")


def _nt(s: str) -> str | None:
    s = re.sub(r"\s\([ACGTU]\)$", "", s)
    if len(s) == 1:
        return s if s in "ACGTU" else None
    if len(s) == 2 and s[0] == s[1] and s[0] in "ACGT":
        return s  # tandem "CC to TT"
    return P.NUC_NAME_TO_1.get(s.lower())


def _b_dna_written(m: re.Match[str], text: str) -> VariantMention | None:
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
    return _mk(text, s, e, normalized=norm, hgvs=norm if pos else None, vtype="dna_substitution",
               rule_id="dna_written")


def _nucleotide_context(text: str, pos: int) -> bool:
    s, e = _sentence_bounds(text, pos)
    return bool(P.DNA_CONTEXT.search(text, s, e)) or bool(
        re.search(r"(?i:substitution|mutation|variant|change|polymorphism|SNP|transition|transversion)", text[s:e])
    )


def _b_dna_written_paren(m: re.Match[str], text: str) -> VariantMention | None:
    pos = m.group("pos")
    norm = f"c.{pos}{m.group('a')}>{m.group('b')}"
    return _mk(text, m.start(), m.end(), normalized=norm, hgvs=norm, vtype="dna_substitution",
               rule_id="dna_written_paren")


def _b_snp(m: re.Match[str], text: str) -> VariantMention | None:
    ident = re.sub(r"[\s#]", "", m.group("id")).lower()
    return _mk(text, m.start(), m.end(), normalized=ident, vtype="snp_id", rule_id="snp_id")


def _indel_vtype(op: str) -> str:
    o = op.lower()
    if ("ins" in o and "del" in o) or o.startswith("indel"):
        return "delins"
    if o.startswith("del"):
        return "deletion"
    if o.startswith("ins"):
        return "insertion"
    if o.startswith("dup"):
        return "duplication"
    return "deletion"


def _b_indel_nl(rule: str) -> Builder:
    def build(m: re.Match[str], text: str) -> VariantMention | None:
        frag = m.group(0)
        op = m.groupdict().get("op") or ("dup" if "dup" in frag.lower() else "ins" if "ins" in frag.lower() else "del")
        n = m.groupdict().get("n")
        if n and rule == "indel_size_first" and re.fullmatch(r"\d[\d,.]*", n) and n.endswith((".", ",")):
            return None
        if rule == "indel_size_first" and n and n.lower() == "single":
            return None  # "single-nucleotide deletion": a class of change, not a variant (tmVar3 convention)
        if rule == "indel_size_first" and re.match(r"\s\([ACGT]{1,30}\)", text[m.end():m.end() + 34]):
            return None  # "four bases deletion (TGAG)": the mention is "deletion (TGAG)"
        vt = _indel_vtype(op)
        norm = re.sub(r"\s+", " ", frag.strip())
        return _mk(text, m.start(), m.end(), normalized=norm, vtype=vt, rule_id=rule)

    return build


def _b_indel_shorthand(m: re.Match[str], text: str) -> VariantMention | None:
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
    return _mk(text, m.start(), m.end(), normalized=frag, vtype=vt, rule_id="indel_shorthand")


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
    return _mk(text, s, e, normalized=norms[0], alternatives=norms, vtype=vt, rule_id=rule, gene=gene,
               gene_in_mention=gene is not None)


def _b_exon_first(m: re.Match[str], text: str) -> VariantMention | None:
    nums = [m.group("n")] + re.findall(r"\d+", m.group("more") or "")
    s = m.start()
    gene = None
    if m.group("gene"):
        gene = normalize_gene(m.group("gene").strip())
        if gene is None:
            s = m.start() + len(m.group("gene"))
    return _exon_mention(text, s, m.end(), nums, m.group("op"), "exon_level", gene)


def _b_exon_glued(m: re.Match[str], text: str) -> VariantMention | None:
    op = m.group("op") or ("skipping" if m.group("gene") == "MET" and m.group("n") == "14" else "mutation")
    return _exon_mention(text, m.start(), m.end(), [m.group("n")], op, "exon_glued", normalize_gene(m.group("gene")))


def _b_exon_short(m: re.Match[str], text: str) -> VariantMention | None:
    n = m.group("n1") or m.group("n2")
    op = m.group("op1") or m.group("op2")
    return _exon_mention(text, m.start(), m.end(), [n], op, "exon_short")


_SIZE_BEFORE = re.compile(r"(?:bp|base[\s-]?pairs?|bases?|nucleotides?|nt|kb|amino\sacids?|codons?|\))[\s-]$")


def _b_exon_after(m: re.Match[str], text: str) -> VariantMention | None:
    if _SIZE_BEFORE.search(text, max(0, m.start() - 20), m.start()):
        return None
    return _exon_mention(text, m.start(), m.end(), [m.group("n")], m.group("op"), "exon_after")


# --- structural / copy number ----------------------------------------------
_FUSION_STOP = frozenset("TKI TKIS TKD WT MUT NSCLC AMP POS NEG KD RT PCR IHC FISH NGS".split())


def _b_fusion(m: re.Match[str], text: str) -> VariantMention | None:
    g1t, g2t = m.group("g1"), m.group("g2")
    if g1t.upper() in _FUSION_STOP or g2t.upper() in _FUSION_STOP or g1t == g2t:
        return None
    g1, g2 = normalize_gene(g1t), normalize_gene(g2t)
    drivers = [g for g in (g2, g1) if g in P.FUSION_DRIVERS]
    if not drivers:
        return None
    if g1 is None and g2 is None:
        return None
    sep = text[m.end("b1"):m.start("g2")].strip()
    if sep == "/" and not m.group("kind"):
        return None  # "EGFR/ALK" lists genes, not a fusion
    if sep in ("/", ",") and g1 in P.FUSION_DRIVERS and g2 in P.FUSION_DRIVERS:
        return None  # "ALK/ROS1 fusions": a list of fusion drivers (expanded by _expand_coordination)
    partner_other = g1 if drivers[0] == g2 else g2
    if partner_other is None and normalize_gene(g1t if drivers[0] == g2 else g2t, strict=False) is None:
        return None
    if partner_other in P.FUSION_DRIVERS and not m.group("kind") and not m.group("b1") and not m.group("b2"):
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
    return _mk(text, m.start(), e, normalized=norm, vtype="fusion", rule_id="fusion_partners", gene=gene,
               partners=(p1, p2), gene_in_mention=True)


def _b_gene_fusion_word(m: re.Match[str], text: str) -> VariantMention | None:
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
    if gene in P.FUSION_POSITIVE or "rearrang" in w or "fusion" in w or "transloc" in w:
        return _mk(text, m.start(), m.end(), normalized="fusion", vtype="fusion" if "fusion" in w or "+" in w or "posit" in w else "rearrangement",
                   rule_id="gene_fusion_word", gene=gene, gene_in_mention=True)
    if gene == "ERBB2":
        return _mk(text, m.start(), m.end(), normalized="overexpression", vtype="overexpression",
                   rule_id="gene_positive", gene=gene, gene_in_mention=True)
    if "posit" in w or "+" in w:
        return _mk(text, m.start(), m.end(), normalized="mutation", vtype="mutation", rule_id="gene_positive",
                   gene=gene, gene_in_mention=True)
    return None


def _b_fusion_of_gene(m: re.Match[str], text: str) -> VariantMention | None:
    gene = normalize_gene(m.group("gene"))
    if gene is None:
        return None
    return _mk(text, m.start(), m.end(), normalized="fusion", vtype="fusion", rule_id="fusion_of_gene", gene=gene,
               gene_in_mention=True)


def _b_gene_word(rule: str, normalized: str, vtype: str, need_gene: bool = False) -> Builder:
    def build(m: re.Match[str], text: str) -> VariantMention | None:
        gd = m.groupdict()
        s, e = m.start(), m.end()
        gtok = gd.get("gene") or gd.get("gene2")
        gene = normalize_gene(gtok) if gtok else None
        if gtok and gene is None and gtok.upper() in P.NOT_GENES and gd.get("gene"):
            return None  # "PCR amplification", "DNA loss"
        if gtok and gene is None:
            # the token before the keyword is not a gene: drop it from the span
            if gd.get("gene"):
                s = m.start("w") if gd.get("w") else m.end("gene")
            if gd.get("gene2") and gd.get("w2") is None and gd.get("w"):
                e = m.end("w")
            elif gd.get("gene2"):
                return None
        if need_gene and gene is None:
            return None
        return _mk(text, s, e, normalized=normalized, vtype=vtype, rule_id=rule, gene=gene,
                   gene_in_mention=gene is not None)

    return build


def _b_mutation_word(m: re.Match[str], text: str) -> VariantMention | None:
    v = _b_gene_word("mutation_word", "mutation", "mutation", True)(m, text)
    if v is not None and v.gene in P.FUSION_POSITIVE and (m.group("w") or m.group("w2") or "").lower().startswith("alter"):
        # "ALK-altered", "ALK genomic alterations": for fusion drivers the alteration is the fusion
        v = replace(v, normalized="fusion", alternatives=("fusion",), vtype="fusion")
    return v


def _b_wild_type(m: re.Match[str], text: str) -> VariantMention | None:
    w = m.group("w")
    gene = normalize_gene(m.group("gene")) if m.group("gene") else None
    gene2 = normalize_gene(m.group("gene2")) if m.group("gene2") else None
    if w.lower() == "wt" and not (gene or gene2):
        return None
    s = m.start() if gene else m.start("w")
    e = m.end() if gene2 else m.end("w")
    return _mk(text, s, e, normalized="wild-type", vtype="wild_type", rule_id="wild_type", gene=gene or gene2,
               gene_in_mention=bool(gene or gene2))


def _b_sub_glued(m: re.Match[str], text: str) -> VariantMention | None:
    gene = normalize_gene(m.group("gene"))
    if gene is None:
        return None
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:
        return None
    vt = "nonsense" if mt == "*" else "residue_class" if mt == "X" else "substitution"
    return _mk(text, m.start("wt"), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=_hgvs_sub(wt, pos, mt), vtype=vt,
               rule_id="protein_sub_glued", gene=gene)


def _b_sub_after_lower(m: re.Match[str], text: str) -> VariantMention | None:
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:
        return None
    return _mk(text, m.start(), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=_hgvs_sub(wt, pos, mt),
               vtype="substitution", rule_id="protein_sub_after_lower")


def _b_replaced(m: re.Match[str], text: str) -> VariantMention | None:
    wt, mt = _aa1(m.group("wt")), _aa1(m.group("mt"))
    if wt is None or mt is None or wt in "*X" or wt == mt:
        return None
    if m.group("wt")[0].islower() and m.group("wt").lower() not in P.AA_NAME_TO_1:
        return None
    pos = m.group("pos")
    if not m.group("more") and _POS_AFTER.match(text, m.end("mt")):
        return None  # "Glu-217 with Thr-172": two residues
    more = [_aa1(x) for x in re.split(r",?\s(?:or|and)\s|,\s?", m.group("more") or "") if x.strip()]
    mts = [mt] + [x for x in more if x]
    norms = tuple(f"{wt}{pos}{x}" for x in mts)
    return _mk(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, hgvs=_hgvs_sub(wt, pos, mt),
               vtype="nonsense" if mt == "*" else "substitution", rule_id="protein_replaced")


_RES_ITEM = re.compile(r"(?P<wt>[A-Za-z]+(?:\s(?:acid))?)(?:\s?-\s?|\s)?(?P<pos>[1-9]\d{0,4})")
_LIST_SPLIT = re.compile(r",?\s(?:and|or)\s|,\s?")


def _b_residue_list(m: re.Match[str], text: str) -> VariantMention | None:
    """"Arg79, Arg109, and Arg112 ... were replaced with Lys, Gln, and Met" (cross product, or pairs with
    "respectively")."""
    res = []
    for item in _LIST_SPLIT.split(m.group("res")):
        r = _RES_ITEM.fullmatch(item.strip())
        if r is None:
            return None
        wt = _aa1(r.group("wt"))
        if wt is None or wt in "*X" or (r.group("wt")[0].islower() and r.group("wt").lower() not in P.AA_NAME_TO_1):
            return None
        res.append((wt, r.group("pos")))
    mts = [_aa1(x.strip()) for x in _LIST_SPLIT.split(m.group("mts")) if x.strip()]
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
    return _mk(text, m.start(), m.end(), normalized=norms[0], alternatives=norms, hgvs=_hgvs_sub(wt0, pos0, mt0 or ""),
               vtype="substitution", rule_id="protein_residue_list")


def _b_sub_chain(m: re.Match[str], text: str) -> VariantMention | None:
    wt, mt = _aa1(m.group("wt")), _aa1(m.group("mt"))
    if wt is None or mt is None or wt in "*X" or wt == mt:
        return None
    pos = m.group("pos")
    return _mk(text, m.start("wt"), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=_hgvs_sub(wt, pos, mt),
               vtype="nonsense" if mt == "*" else "substitution", rule_id="protein_sub_chain")


def _b_gene_pos_stop(m: re.Match[str], text: str) -> VariantMention | None:
    gene = normalize_gene(m.group("gene"), strict=False)
    if gene is None:
        return None
    pos = m.group("pos")
    return _mk(text, m.start("pos"), m.end(), normalized=f"{pos}*", vtype="nonsense", rule_id="protein_gene_pos_stop",
               gene=gene)


def _b_del_of(m: re.Match[str], text: str) -> VariantMention | None:
    wt = _aa1(m.group("wt"))
    if wt is None or wt in "*X":
        return None
    pos = m.group("pos")
    return _mk(text, m.start(), m.end(), normalized=f"{wt}{pos}del", hgvs=f"p.{P.AA1_TO_3[wt]}{pos}del",
               vtype="deletion", rule_id="protein_del_of")


def _b_dna_letters_long(m: re.Match[str], text: str) -> VariantMention | None:
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:  # "C1256088C": a locus / allele name (tmVar3 annotates it, tmVar1 does not)
        return _mk(text, m.start(), m.end(), normalized=f"g.{pos}{wt}", vtype="allele", rule_id="dna_allele")
    norm = f"g.{pos}{wt}>{mt}"
    return _mk(text, m.start(), m.end(), normalized=norm, hgvs=norm, vtype="dna_substitution",
               rule_id="dna_sub_letters")


def _b_dashes(m: re.Match[str], text: str) -> VariantMention | None:
    wt, pos, mt = m.group("wt"), m.group("pos"), m.group("mt")
    if wt == mt:
        return None
    return _mk(text, m.start(), m.end(), normalized=f"{wt}{pos}{mt}", hgvs=_hgvs_sub(wt, pos, mt),
               vtype="substitution", rule_id="protein_dashes")


def _b_codon_change(m: re.Match[str], text: str) -> VariantMention | None:
    frag = re.sub(r"\s+", " ", m.group(0))
    return _mk(text, m.start(), m.end(), normalized=frag, vtype="dna_substitution", rule_id="codon_change")


def _b_acid_change(m: re.Match[str], text: str) -> VariantMention | None:
    a, b = _aa1(m.group("a")), _aa1(m.group("b"))
    if a is None or b is None:
        return None
    return _mk(text, m.start(), m.end(), normalized=f"{a}>{b}", vtype="substitution", rule_id="protein_acid_change")


_SUBST_CUE = re.compile(r"(?i:substitut|replac|exchang|conver|chang|caus|result|lead|mutat|encod|codon)")


def _b_word_change(m: re.Match[str], text: str) -> VariantMention | None:
    a, b = _aa1(m.group("a")), _aa1(m.group("b"))
    if a is None or b is None or a == b:
        return None
    if not _SUBST_CUE.search(text, max(0, m.start() - 45), m.start()) and not re.match(
        r"\s(?:substitution|residue|change|mutation)", text[m.end():m.end() + 14]
    ):
        return None
    rel = m.group("rel").lower()
    wt, mt = (b, a) if rel in ("for", "instead of") else (a, b)
    return _mk(text, m.start(), m.end(), normalized=f"{wt}>{mt}", vtype="substitution", rule_id="protein_word_change")


def _b_stop_at(m: re.Match[str], text: str) -> VariantMention | None:
    return _mk(text, m.start(), m.end(), normalized=f"{m.group('pos')}*", vtype="nonsense", rule_id="stop_at_codon")


def _b_allele(m: re.Match[str], text: str) -> VariantMention | None:
    g = "a" if m.group("a") else "b"
    frag = m.group(g)
    if g == "a" and re.fullmatch(r"\d-?[ACGT]", frag):
        return None  # "4G allele", "2G allele": insertion/deletion genotype names, not positions
    return _mk(text, m.start(g), m.end(g), normalized=frag.replace(" ", ""), vtype="allele", rule_id="dna_allele")


def _b_slash_change(m: re.Match[str], text: str) -> VariantMention | None:
    if m.group("a") == m.group("b"):
        return None
    return _mk(text, m.start(), m.end(), normalized=f"{m.group('a')}>{m.group('b')}", vtype="dna_substitution",
               rule_id="dna_slash_change")


def _b_repeat(m: re.Match[str], text: str) -> VariantMention | None:
    return _mk(text, m.start(), m.end(), normalized=m.group(0), vtype="repeat", rule_id="repeat")


# ---------------------------------------------------------------------------
# rule table: (rule_id, compiled pattern, builder); earlier = higher priority on ties
# ---------------------------------------------------------------------------
RULES: tuple[tuple[str, re.Pattern[str], Builder], ...] = (
    ("fusion_partners", P.FUSION, _b_fusion),
    ("exon_glued", P.EXON_GLUED, _b_exon_glued),
    ("exon_level", P.EXON_FIRST, _b_exon_first),
    ("exon_after", P.EXON_AFTER, _b_exon_after),
    ("exon_short", P.EXON_SHORT, _b_exon_short),
    ("dna_hgvs", P.DNA_HGVS, _b_dna_hgvs),
    ("dna_ivs", P.DNA_IVS, _b_ivs),
    ("protein_frameshift", P.PROTEIN_FS, _b_fs),
    ("protein_indel", P.PROTEIN_INDEL, _b_pindel),
    ("protein_sub_3letter", P.PROTEIN_SUB_3, _b_sub("protein_sub_3letter")),
    ("protein_nonsense_word", P.PROTEIN_STOP_WORD, _b_stop_word),
    ("protein_sub_1letter", P.PROTEIN_SUB_1, _b_sub("protein_sub_1letter")),
    ("protein_sub_glued", P.PROTEIN_SUB_GLUED, _b_sub_glued),
    ("protein_sub_after_lower", P.PROTEIN_SUB_AFTER_LOWER, _b_sub_after_lower),
    ("protein_replaced", P.PROTEIN_REPLACED, _b_replaced),
    ("protein_dashes", P.PROTEIN_DASHES, _b_dashes),
    ("protein_residue_list", P.PROTEIN_RESIDUE_LIST, _b_residue_list),
    ("protein_sub_chain", P.PROTEIN_SUB_CHAIN, _b_sub_chain),
    ("protein_gene_pos_stop", P.PROTEIN_GENE_POS_STOP, _b_gene_pos_stop),
    ("protein_del_of", P.PROTEIN_DEL_OF, _b_del_of),
    ("indel_of_base", P.INDEL_OF_BASE, _b_indel_nl("indel_of_base")),
    ("codon_change", P.CODON_CHANGE, _b_codon_change),
    ("protein_acid_change", P.PROTEIN_ACID_CHANGE, _b_acid_change),
    ("protein_word_change", P.PROTEIN_WORD_CHANGE, _b_word_change),
    ("stop_at_codon", P.STOP_AT_CODON, _b_stop_at),
    ("dna_allele", P.DNA_ALLELE, _b_allele),
    ("dna_slash_change", P.DNA_SLASH_CHANGE, _b_slash_change),
    ("repeat", P.REPEAT, _b_repeat),
    ("protein_delta", P.PROTEIN_DELTA, _b_delta),
    ("protein_written", P.PROTEIN_WRITTEN, _b_written("protein_written")),
    ("protein_written_codon_first", P.PROTEIN_WRITTEN_CODON_FIRST, _b_written("protein_written_codon_first")),
    ("protein_written_pos_mid", P.PROTEIN_WRITTEN_POS_MID, _b_written("protein_written_pos_mid")),
    ("dna_sub_letters", P.DNA_LETTERS, _b_dna_letters),
    ("dna_sub_letters_long", P.DNA_LETTERS_LONG, _b_dna_letters_long),
    ("dna_bare", P.DNA_BARE, _b_dna_bare),
    ("dna_written_paren", P.DNA_WRITTEN_PAREN, _b_dna_written_paren),
    ("dna_written", P.DNA_WRITTEN, _b_dna_written),
    ("snp_id", P.SNP_ID, _b_snp),
    ("indel_size_first", P.INDEL_SIZE_FIRST, _b_indel_nl("indel_size_first")),
    ("indel_of_size", P.INDEL_OF_SIZE, _b_indel_nl("indel_of_size")),
    ("indel_single_base", P.INDEL_SINGLE_BASE, _b_indel_nl("indel_single_base")),
    ("indel_shorthand", P.INDEL_SHORTHAND, _b_indel_shorthand),
    ("gene_fusion_word", P.GENE_FUSION_WORD, _b_gene_fusion_word),
    ("fusion_of_gene", P.FUSION_OF_GENE, _b_fusion_of_gene),
    ("amplification_glued", P.AMPLIFICATION_GLUED, _b_gene_word("amplification_glued", "amplification", "amplification", True)),
    ("amplification_of", P.AMPLIFICATION_OF, _b_gene_word("amplification_of", "amplification", "amplification", True)),
    ("amplification", P.AMPLIFICATION, _b_gene_word("amplification", "amplification", "amplification")),
    ("overexpression", P.OVEREXPRESSION, _b_gene_word("overexpression", "overexpression", "overexpression")),
    ("loss", P.LOSS, _b_gene_word("loss", "loss", "loss", True)),
    ("wild_type", P.WILD_TYPE, _b_wild_type),
    ("compound_word", P.COMPOUND_WORD, _b_gene_word("compound_word", "compound mutation", "compound")),
    ("activation", P.ACTIVATION, _b_gene_word("activation", "activation", "activation", True)),
    ("mutation_word", P.MUTATION_WORD, _b_mutation_word),
)
_PRIORITY = {rid: i for i, (rid, _, _) in enumerate(RULES)}

# types that name a concrete change and can be compound components
_COMPONENT_VTYPES = SEQUENCE_VTYPES | {"exon_deletion", "exon_insertion", "exon_skipping"}


def _candidates(text: str) -> list[VariantMention]:
    out: list[VariantMention] = []
    for _rid, pat, build in RULES:
        for m in pat.finditer(text):
            try:
                vm = build(m, text)
            except (ValueError, KeyError, IndexError, TypeError):
                vm = None
            if vm is not None and 0 <= vm.start < vm.end <= len(text):
                out.append(vm)
    return out


def _resolve(cands: list[VariantMention]) -> list[VariantMention]:
    """Greedy: longest span first, then rule priority; keep non-overlapping."""
    cands.sort(key=lambda v: (-(v.end - v.start), _PRIORITY.get(v.rule_id, 99), v.start))
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
        while j + 1 < len(ms) and ms[j].vtype in _COMPONENT_VTYPES and ms[j + 1].vtype in _COMPONENT_VTYPES:
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
    hits = _gene_hits(genes, text)
    ms = _attach(ms, hits, text)
    return _expand_coordination(text, ms, hits)


# ---------------------------------------------------------------------------
# gene attachment
# ---------------------------------------------------------------------------
_PROTEIN_POSITIONED = frozenset(
    {"substitution", "residue_class", "nonsense", "deletion", "insertion", "duplication", "delins", "frameshift",
     "compound", "loss"}
)


def _protein_position(v: VariantMention) -> int | None:
    """Highest protein position named by a protein-level mention (None for DNA / exon / copy-number)."""
    if v.vtype not in _PROTEIN_POSITIONED:
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
    n = P.PROTEIN_LENGTHS.get(symbol)
    return n is None or pos <= n


def _gene_hits(genes: Sequence[GeneHit], text: str) -> list[GeneHit]:
    hs = {(int(g.start), int(g.end), str(g.symbol)) for g in genes}
    covered = {(s, e) for s, e, _ in hs}
    for g in find_gene_hits(text):
        if (g.start, g.end) not in covered:
            hs.add((g.start, g.end, g.symbol))
    return [GeneHit(*h) for h in sorted(hs)]


_ATTACH_AFTER = re.compile(r"\s?(?:\(|,)?\s?(?:(?:mutation|substitution|variant|alteration)s?\s)?(?:in|of|within)\s(?:the\s)?(?:human\s)?$")


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
    return _attach(list(mentions), _gene_hits(genes, text), text)


def _attach(ms: list[VariantMention], hits: list[GeneHit], text: str) -> list[VariantMention]:
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
        if g and level == "explicit" and v.vtype in _PROTEIN_POSITIONED:
            note(v.normalized, g)
            for part in v.parts:
                note(part.normalized, g)
    out = []
    for v, (g, level) in zip(ms, found, strict=True):
        if level in ("sentence", "paragraph", "none") and v.vtype in _PROTEIN_POSITIONED:
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
            v.vtype.startswith("exon") or v.vtype in _COMPONENT_VTYPES or v.vtype == "compound"
        ) and _plausible(hits[j].symbol, pos):
            return hits[j].symbol, "explicit"
    # earlier in the sentence, then in the paragraph (nearest plausible gene)
    s0, _ = _sentence_bounds(text, v.start)
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


# ---------------------------------------------------------------------------
# coordination: one alteration word shared by several genes
# ---------------------------------------------------------------------------
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
        if symbol in P.FUSION_POSITIVE:
            return "fusion", "fusion"
        if symbol == "ERBB2" and re.search(r"positiv|\+|⁺", low):
            return "overexpression", "overexpression"
        return "mutation", "mutation"
    if v.vtype == "rearrangement":
        return "fusion", "rearrangement"
    return v.normalized, v.vtype


def _coord_mention(text: str, h: GeneHit, normalized: str, vtype: str, rule: str) -> VariantMention:
    return VariantMention(start=h.start, end=h.end, text=text[h.start:h.end], normalized=normalized, vtype=vtype,
                          rule_id=rule, gene=h.symbol, gene_in_mention=True)


def _expand_coordination(text: str, ms: list[VariantMention], hits: list[GeneHit]) -> list[VariantMention]:
    if not hits:
        return ms
    starts = [h.start for h in hits]
    taken = sorted((v.start, v.end) for v in ms)  # disjoint after _resolve / _merge_compounds
    t_starts = [t[0] for t in taken]

    def free(h: GeneHit) -> bool:
        i = bisect.bisect_left(t_starts, h.end)  # intervals starting before the hit's end
        return i == 0 or taken[i - 1][1] <= h.start and (i < 2 or taken[i - 2][1] <= h.start)

    extra: list[VariantMention] = []
    seen: set[tuple[int, int]] = set()

    def add(h: GeneHit, norm: str, vt: str, rule: str) -> None:
        if (h.start, h.end) in seen or not free(h):
            return
        seen.add((h.start, h.end))
        extra.append(_coord_mention(text, h, norm, vt, rule))

    for v in ms:
        if not (v.gene and v.gene_in_mention and v.vtype in _COORD_VTYPES):
            continue
        i = bisect.bisect_left(starts, v.start)
        # gene-first form ("ROS1/RET fusions", "ALK-altered"): walk back over "G1/G2, G3 or" lists
        if i < len(hits) and hits[i].start == v.start:
            cur, k = hits[i], i - 1
            for _ in range(_MAX_COORD):
                while k >= 0 and hits[k].end > cur.start:
                    k -= 1
                if k < 0 or cur.start - hits[k].end > 24 or not _STAR_SEP.fullmatch(text, hits[k].end, cur.start):
                    break
                norm, vt = _per_gene(v, hits[k].symbol)
                add(hits[k], norm, vt, "coordinated_genes")
                cur, k = hits[k], k - 1
        # gene-last form ("mutations in NRAS, KRAS and MEK", "Alterations in mTOR as well as NF2")
        j = bisect.bisect_right(starts, v.end) - 1
        if j >= 0 and hits[j].end == v.end and hits[j].start > v.start:
            cur, k = hits[j], j + 1
            for _ in range(_MAX_COORD):
                while k < len(hits) and hits[k].start < cur.end:
                    k += 1
                if k >= len(hits) or hits[k].start - cur.end > 24 or not _STAR_SEP.fullmatch(text, cur.end, hits[k].start):
                    break
                norm, vt = _per_gene(v, hits[k].symbol)
                add(hits[k], norm, vt, "coordinated_genes")
                cur, k = hits[k], k + 1
    # "... mutations ..., including NRAS, KRAS, MEK, and MAP3K", "activation of ... (e.g., MET, EGFR, HER2/HER3)",
    # "Alterations in mTOR as well as NF2" (gene names the grammar's own gene regex does not read)
    k = 0
    while k < len(hits):
        h = hits[k]
        kw_of = _KW_OF.search(text, max(0, h.start - 40), h.start)
        intro = kw_of or P.LIST_INTRO.search(text, max(0, h.start - 14), h.start)
        if intro is None or not free(h):
            k += 1
            continue
        group = [h]
        while len(group) < 12 and k + 1 < len(hits) and hits[k + 1].start - group[-1].end <= 24 and _STAR_SEP.fullmatch(
            text, group[-1].end, hits[k + 1].start
        ):
            k += 1
            group.append(hits[k])
        k += 1
        kw = P.LIST_KEYWORD.match(text, group[-1].end + 1) if text[group[-1].end:group[-1].end + 1] in (" ", "-") else None
        if kw_of is not None:
            kw = kw_of
        elif kw is None:
            s0, _ = _sentence_bounds(text, intro.start())
            kws = list(P.LIST_KEYWORD.finditer(text, max(s0, intro.start() - 200), intro.start()))
            kw = kws[-1] if kws else None
        if kw is None:
            continue
        w = kw.group("w").lower()
        for g in group:
            if w.startswith(("mutat", "alter")):
                norm, vt = ("fusion", "fusion") if w.startswith("alter") and g.symbol in P.FUSION_POSITIVE else ("mutation", "mutation")
            elif w.startswith(("rearrang", "fusion")):
                norm, vt = "fusion", "fusion"
            elif w.startswith("amplif"):
                norm, vt = "amplification", "amplification"
            elif w.startswith("overexp"):
                norm, vt = "overexpression", "overexpression"
            else:
                norm, vt = "activation", "activation"
            add(g, norm, vt, "gene_list")
    if not extra:
        return ms
    return sorted(ms + extra, key=lambda v: (v.start, v.end))


# ---------------------------------------------------------------------------
# PubTator helper
# ---------------------------------------------------------------------------
#: rules that read natural-language descriptions ("13-bp deletion", "C to T substitution at
#: position 1135", "arginine to glutamine at residue 753", "-308A allele", "CAG repeat").
#: tmVar3 / BioRED annotate these; the tmVar1 guideline excludes "mentions that are fully or
#: mostly natural language" and genotype/allele mentions.
NATURAL_LANGUAGE_RULES = frozenset(
    {"indel_size_first", "indel_of_size", "indel_single_base", "indel_of_base", "protein_written",
     "protein_written_codon_first", "protein_written_pos_mid", "protein_word_change", "protein_replaced",
     "stop_at_codon", "repeat", "dna_allele", "dna_written", "dna_written_paren", "protein_residue_list",
     "protein_del_of", "protein_gene_pos_stop"}
)


def variant_mentions_for_pubtator(
    text: str, vtypes: frozenset[str] | set[str] | None = None, *, natural_language: bool = True
) -> list[tuple[int, int, str, str]]:
    """(start, end, text, normalized) of sequence-variant mentions, for PubTator ``SequenceVariant`` lines.

    Compounds are split into their components (tmVar annotates each); exon-level,
    copy-number, fusion and generic ``mutation`` mentions are left out unless
    ``vtypes`` names them. ``natural_language=False`` keeps only formulaic
    mentions (tmVar1 annotation convention); the default follows tmVar3/BioRED.
    """
    keep = SEQUENCE_VTYPES if vtypes is None else frozenset(vtypes)
    out: list[tuple[int, int, str, str]] = []
    for v in find_variants(text):
        atoms = v.parts if v.parts else (v,)
        for a in atoms:
            if a.vtype in keep and (natural_language or a.rule_id not in NATURAL_LANGUAGE_RULES):
                out.append((a.start, a.end, a.text, a.normalized))
    return out


# ---------------------------------------------------------------------------
# spaCy component
# ---------------------------------------------------------------------------
def _register_extensions() -> None:
    from spacy.tokens import Doc, Span

    if not Doc.has_extension("variants"):
        Doc.set_extension("variants", default=None)
    if not Span.has_extension("variant"):
        Span.set_extension("variant", default=None)


class VariantComponent:
    def __init__(self, name: str, spans_key: str, genes_key: str) -> None:
        self.name = name
        self.spans_key = spans_key
        self.genes_key = genes_key
        _register_extensions()

    def __call__(self, doc: Any) -> Any:
        text = doc.text  # Doc.text rebuilds the string on every access
        genes: list[GeneHit] = []
        gspans = doc.spans.get(self.genes_key) if self.genes_key else None
        if gspans is not None:
            for sp in gspans:
                # exact offsets: the ruler widens spans to whole tokens ("EML4-ALK", "ALK-TKIs")
                s = sp._.char_start if sp.has_extension("char_start") and sp._.char_start is not None else sp.start_char
                e = sp._.char_end if sp.has_extension("char_end") and sp._.char_end is not None else sp.end_char
                sym = getattr(sp._, "norm_id", None) if sp.has_extension("norm_id") else None
                sym = sym or normalize_gene(text[s:e], strict=False) or text[s:e]
                if 0 <= s < e <= len(text):
                    genes.append(GeneHit(s, e, str(sym)))
        ms = find_variants(text, genes)
        doc._.variants = ms
        spans = []
        for v in ms:
            sp = doc.char_span(v.start, v.end, label=v.vtype, alignment_mode="expand")
            if sp is not None:
                sp._.variant = v
                spans.append(sp)
        doc.spans[self.spans_key] = spans
        return doc


try:  # spaCy is a project dependency; the pure core above does not need it
    from spacy.language import Language

    @Language.factory(
        "oncotriples_variants",
        default_config={"spans_key": "variants", "genes_key": "genes"},
    )
    def make_variant_component(nlp: Any, name: str, spans_key: str, genes_key: str) -> VariantComponent:
        return VariantComponent(name, spans_key, genes_key)
except ImportError:  # pragma: no cover
    pass
