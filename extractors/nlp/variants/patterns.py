"""Regular-expression building blocks of the variant grammar (issue 5).

Amino-acid and nucleotide tables and the compiled regular expressions, each
compiled once at import time. The grammar's word lists (its gene table, stop
lists, gene sets, protein lengths) are data files in ``data/lexicons/``, read
through :mod:`extractors.nlp.datafiles`.

Linear-time discipline: no pattern nests an unbounded quantifier inside
another unbounded quantifier; repetitions of digits and letters are bounded
(``{1,6}``), so a match attempt at one position costs O(1) and a scan O(n).
The hypothesis test in ``tests/test_variants_property.py`` checks this on
adversarial input (1 MB lines, ``"p." * 50000`` ...).
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------
# amino acids and nucleotides
# --------------------------------------------------------------------------
AA1 = "ACDEFGHIKLMNPQRSTVWY"
AA3_TO_1 = {
    "ala": "A", "arg": "R", "asn": "N", "asp": "D", "cys": "C", "gln": "Q", "glu": "E",
    "gly": "G", "his": "H", "ile": "I", "leu": "L", "lys": "K", "met": "M", "phe": "F",
    "pro": "P", "ser": "S", "thr": "T", "trp": "W", "tyr": "Y", "val": "V",
    "ter": "*", "stop": "*", "sec": "U", "xaa": "X",
}
AA1_TO_3 = {v: k.capitalize() for k, v in AA3_TO_1.items() if k not in ("stop", "xaa")}
AA1_TO_3["*"] = "Ter"
AA1_TO_3["X"] = "Xaa"
AA_NAME_TO_1 = {
    "alanine": "A", "arginine": "R", "asparagine": "N", "aspartic acid": "D", "aspartate": "D",
    "cysteine": "C", "glutamine": "Q", "glutamic acid": "E", "glutamate": "E", "glycine": "G",
    "histidine": "H", "isoleucine": "I", "leucine": "L", "lysine": "K", "methionine": "M",
    "phenylalanine": "F", "proline": "P", "serine": "S", "threonine": "T", "tryptophan": "W",
    "tyrosine": "Y", "valine": "V", "stop": "*", "stop codon": "*", "termination": "*",
    "termination codon": "*",
}
NUC_NAME_TO_1 = {
    "adenine": "A", "adenosine": "A", "guanine": "G", "guanosine": "G", "cytosine": "C",
    "cytidine": "C", "thymine": "T", "thymidine": "T", "uracil": "U",
}

_AA3_NAMES = [k for k in AA3_TO_1 if k != "stop"]
AA3 = "(?:" + "|".join(sorted({n.capitalize() for n in _AA3_NAMES} | {n.upper() for n in _AA3_NAMES})) + ")"
AA3_OR_STOP = "(?:" + AA3[3:-1] + "|Stop|stop|STOP)"
AA_NAME = "(?:" + "|".join(sorted((re.escape(n) for n in AA_NAME_TO_1), key=len, reverse=True)) + ")"
NUC_NAME = "(?:" + "|".join(sorted(NUC_NAME_TO_1, key=len, reverse=True)) + ")"
A1 = f"[{AA1}]"
NT = "[ACGTU]"

# boundaries: not glued to a word character on the left / right
LB = r"(?<![A-Za-z0-9_])"
RB = r"(?![A-Za-z0-9_])"
ARROW = r"(?:\s?(?:>|-{1,2}>|→|->|=>)\s?)"

# --------------------------------------------------------------------------
# gene-shaped tokens (the grammar's gene table and stop list are data: see
# ``extractors.nlp.datafiles.variant_gene_table`` / ``variant_stoplist``)
# --------------------------------------------------------------------------
# gene-shaped token: 2-8 chars, starts with an upper-case letter, contains no
# lower-case letters except the c-/p- prefixes of c-Met, c-Kit ...
GENE_TOKEN = r"(?:[cC]-(?:Met|MET|Kit|KIT|Myc|MYC)|ErbB[1-4]|[A-Z][A-Z0-9]{1,6}[A-Z0-9])"
GENE_TOKEN_RE = re.compile(LB + "(" + GENE_TOKEN + ")" + RB)

# --------------------------------------------------------------------------
# point mutations (protein)
# --------------------------------------------------------------------------
POS = r"\d{1,5}"
#: L858R, p.L858R, p.(L858R), R213X, R213*, L718Q/V
PROTEIN_SUB_1 = re.compile(
    LB + r"(?P<p>p\.\s?)?(?P<paren>\()?(?P<wt>" + A1 + r")(?P<pos>-?[1-9]\d{0,4})"
    r"(?P<mt>[" + AA1 + r"X*])(?P<close>\))?(?P<alts>(?:/[" + AA1 + r"X*]){1,5})?(?![A-Za-z0-9_])"
)
#: JAK2V617F, EGFRT790M: a substitution glued to its gene symbol
PROTEIN_SUB_GLUED = re.compile(
    LB + r"(?P<gene>[A-Z][A-Z0-9]{1,6}?)(?P<wt>" + A1 + r")(?P<pos>[1-9]\d{1,4})(?P<mt>[" + AA1 + r"X*])" + RB
)
#: a residue followed by its own position ("Trp-64", "Asp 205", "Asp-109-->"): a residue, not a mutant residue
NOT_POS_AFTER = r"(?!\s?-{0,2}>?\s?\(?\d)"
#: Leu858Arg, p.Leu858Arg, p.(Leu858Arg), Arg213Ter, Arg 3500 Gln, Glu29 to Lys, Glu 272 to stop
PROTEIN_SUB_3 = re.compile(
    LB + r"(?P<p>p\.\s?)?(?P<paren>\()?(?P<wt>" + AA3 + r")(?:\s|-)?(?P<pos>[1-9]\d{0,4})"
    r"(?:\s?(?:-{1,4}>|-{1,4}|→|>|/)\s?|\s(?:to|by)\s|\s)?(?P<mt>" + AA3_OR_STOP + r"|X|\*)(?P<close>\))?"
    r"(?P<alts>(?:/" + AA3 + r"){1,5}|(?:(?:,\s?|,?\sor\s|,?\sand\s)" + AA3 + r"(?![A-Za-z0-9_])" + NOT_POS_AFTER + r"){1,6})?" + RB
)
#: lower-case prefix glued to a substitution: alphaD60N, hGRalphaD401H
PROTEIN_SUB_AFTER_LOWER = re.compile(r"(?<=[a-z])(?P<wt>" + A1 + r")(?P<pos>[1-9]\d{1,4})(?P<mt>[" + AA1 + r"])" + RB)
#: "Trp-241 was replaced with Ala or Gln", "Ser(29) to Phe", "His-146-beta' with Ala",
#: "Pro 172 ... to Asp" (short gap only), "Asn-93 to Asp and Arg", "A34----E34"
_AA_ANYNAME = "(?:" + AA3 + "|" + AA_NAME + ")"
PROTEIN_REPLACED = re.compile(
    LB + r"(?P<wt>" + _AA_ANYNAME + r")(?:\s?-\s?|\s)?\(?(?P<pos>[1-9]\d{0,4})\)?(?:-[A-Za-z']{1,6})?"
    r"\s(?:(?:was|were|is|has\sbeen|had\sbeen)\s)?(?:(?:replaced|substituted|mutated|changed|converted)\s)?(?:with|by|to|into)\s(?:an?\s)?"
    r"(?P<mt>" + _AA_ANYNAME + r")(?P<more>(?:(?:,\s?|,?\sor\s|,?\sand\s)" + _AA_ANYNAME + r"(?![A-Za-z0-9_])" + NOT_POS_AFTER + r"){0,6})" + RB
)
#: residue lists: "Arg79, Arg109, and Arg112 in P450cam were replaced with Lys, Gln, and Met",
#: "changing Pro 172 and Gly 131 to Asp residues" (>= 2 residues; cross product unless "respectively")
_RES = r"(?:" + _AA_ANYNAME + r")(?:\s?-\s?|\s)?[1-9]\d{0,4}(?![A-Za-z0-9_])"
_LISTSEP = r"(?:,\s?|,?\s(?:and|or)\s)"
PROTEIN_RESIDUE_LIST = re.compile(
    LB + r"(?P<res>" + _RES + r"(?:" + _LISTSEP + _RES + r"){1,7})(?:\s(?:in|of)\s[^\s,.;]{1,20})?"
    r"\s(?:(?:were|was|are|have\sbeen|had\sbeen)\s)?(?:(?:all|each|individually|separately|simultaneously)\s)?"
    r"(?:(?:replaced|substituted|mutated|changed|converted|exchanged)\s)?(?:with|by|to|into)\s(?:an?\s)?"
    r"(?P<mts>" + _AA_ANYNAME + r"(?![A-Za-z0-9_])" + NOT_POS_AFTER + r"(?:" + _LISTSEP + _AA_ANYNAME + r"(?![A-Za-z0-9_])" + NOT_POS_AFTER + r"){0,7})"
)
#: antibody-chain prefixes: VLTyr50Ser, VHY32A, VHTyr101Phe
PROTEIN_SUB_CHAIN = re.compile(
    r"(?<![A-Za-z0-9_])V[HL](?P<wt>" + AA3 + "|" + A1 + r")(?P<pos>[1-9]\d{0,4})(?P<mt>" + AA3 + "|" + A1 + r")" + RB
)
#: truncating alleles written after the gene: HCN4-573X, HCN4-695X
PROTEIN_GENE_POS_STOP = re.compile(LB + r"(?P<gene>[A-Z][A-Z0-9]{1,7})-(?P<pos>[1-9]\d{1,4})(?P<mt>X|\*)" + RB)
#: "deletion of glycine-91", "deletion of Phe508"
PROTEIN_DEL_OF = re.compile(
    LB + r"deletion\sof\s(?:the\s)?(?:residue\s)?(?P<wt>" + _AA_ANYNAME + r")(?:\s?-\s?|\s)?(?P<pos>[1-9]\d{0,4})" + RB
)
#: residue-level mentions: "BRAF V600 mutation", "V600-mutant", "G719 mutations", "G12/G13 mutations",
#: "R140 or R172 mutations". The mutation word is required (a bare "V600" is a residue) but left out of the span
#: (tmVar annotates "L638" alone); at least two position digits, so "T1 mutation" is not read; "non-V600 mutations"
#: are mutations elsewhere
_RESIDUE_AT = A1 + r"[1-9]\d{1,4}"
PROTEIN_RESIDUE_MUTATION = re.compile(
    LB + r"(?<![Nn]on[\s-])(?P<res>" + _RESIDUE_AT + r"(?:(?:/|,\s?|,?\s(?:or|and|and/or)\s)" + _RESIDUE_AT + r"){0,3})"
    r"(?=[\s-]?(?:mutation-positive|mutations?|mutants?|mutated|substitutions?|alterations?|variants?)" + RB + ")"
)
PROTEIN_DASHES = re.compile(LB + r"(?P<wt>" + A1 + r")(?P<pos>[1-9]\d{0,4})-{2,4}>?(?P<mt>" + A1 + r")(?P=pos)" + RB)
#: p.E947stop, E947Stop, Y67X (covered by sub_1)
PROTEIN_STOP_WORD = re.compile(
    LB + r"(?P<p>p\.\s?)?(?P<wt>" + A1 + r")(?P<pos>[1-9]\d{0,4})(?P<mt>stop|Stop|STOP|Ter|ter)" + RB
)
#: frameshifts: Ile262fs, p.S124fsX127, C105Vfs114X, p.Pro246HisfsX13, p.Cys817Valfs X15, fs*
PROTEIN_FS = re.compile(
    LB + r"(?P<p>p\.\s?)?(?P<wt>" + AA3 + "|" + A1 + r")(?P<pos>[1-9]\d{0,4})(?P<mt>" + AA3 + "|" + A1 + r")?"
    r"fs(?P<tail>\s?(?:\*|X|Ter)\s?\d{0,5}|\d{1,5}(?:X|\*)?)?" + r"(?![A-Za-z0-9_])"
)
#: p.E746_A750del, E746-A750del, p.A767_V769dup, D770_N771insSVD, E746_A750delinsQ,
#: AFF344-345ins, 157delMTTTVP, p.(E746_A750del)
_AA_ANY = "(?:" + AA3 + "|" + A1 + ")"
PROTEIN_INDEL = re.compile(
    LB + r"(?P<p>p\.\s?)?(?P<paren>\()?(?P<wt1>" + _AA_ANY + r"{0,3}?)(?P<pos1>[1-9]\d{0,4})"
    r"(?:\s?[_-]\s?(?P<wt2>" + _AA_ANY + r")?(?P<pos2>[1-9]\d{0,4}))?"
    r"(?P<op>delins|del|dup|ins)(?P<seq>(?:" + AA3 + r"){1,12}|[" + AA1 + r"]{1,30}|\d{1,4})?(?P<close>\))?" + RB
)
#: delta F508, ΔF508, DeltaG91, deltaF508
PROTEIN_DELTA = re.compile(
    LB + r"(?:[Dd]elta\s?|Δ\s?)(?P<wt>" + A1 + "|" + AA3 + r")-?(?P<pos>[1-9]\d{0,4})" + RB
)
#: written forms: "leucine-to-arginine substitution at codon 858",
#: "threonine to methionine at position 790", "arginine by glutamine at position 714",
#: "valine (Val) to alanine (Ala) substitution at amino acid 16"
_AA_WORD = r"(?P<{g}>" + AA_NAME + r")(?:\s\((?:" + AA3 + r"|" + A1 + r"|[A-Z]{3})\))?(?:\sresidue)?"
PROTEIN_WRITTEN = re.compile(
    r"(?i:" + LB + _AA_WORD.replace("{g}", "a") + r"(?:\s?-\s?|\s)(?P<rel>to|by|for|with|into|->|-->|→)(?:\s?-\s?|\s)(?:the\s|an?\s)?"
    + _AA_WORD.replace("{g}", "b") + r"(?:(?:\s?-\s?|\s)(?:substitution|mutation|change|replacement|transition|missense mutation))?"
    r",?\s(?:at|in|of|on)\s(?:the\s)?(?:amino[\s-]acids?\s(?:position\s|residue\s)?|codon\s|position\s|residue\s)"
    r"(?P<pos>[1-9]\d{0,4})" + RB + ")"
)
#: "codon 358, tyrosine to histidine"; "arginine 150 proline"; "glutamic acid 333 by aspartic acid"
PROTEIN_WRITTEN_CODON_FIRST = re.compile(
    r"(?i:" + LB + r"codon\s(?P<pos>[1-9]\d{0,4}),?\s" + _AA_WORD.replace("{g}", "a") + r"\s(?P<rel>to|by|->|-->|→)\s"
    + _AA_WORD.replace("{g}", "b") + RB + ")"
)
PROTEIN_WRITTEN_POS_MID = re.compile(
    r"(?i:" + LB + r"(?P<a>" + AA_NAME + r")\s(?P<pos>[1-9]\d{0,4})\s(?:(?P<rel>to|by)\s)?(?P<b>" + AA_NAME + r")" + RB + ")"
)

# --------------------------------------------------------------------------
# DNA level
# --------------------------------------------------------------------------
_DPOS = r"[-*+]?\d{1,9}(?:\s?[+-]\s?\d{1,6})?"
_DCHANGE = (
    r"(?:" + NT + r"\s?(?:>|-{1,2}>|→|/|=>)\s?" + NT + r"(?:/" + NT + r")?"
    r"|del(?:ins)?(?:\.?\s?(?:[ACGTU]{1,60}|\d{1,5}))?(?:ins[ACGTU]{1,60})?"
    r"|ins\s?(?:[ACGTU]{1,60}|\d{1,5}|\([ACGTU]{1,30}\)(?:\(\d{1,3}\))?)"
    r"|dup\s?(?:[ACGTU]{1,60}|\d{1,5})?|inv\d{0,5}"
    r"|\(" + NT + r"\s?(?:>|-{1,2}>|/)\s?" + NT + r"\))"
)
#: c.2573T>G, c.2235_2249del15, g.99367-102002del, c.357-3C>G, c.399_402del AGAG, c.1706-1715del.ATCT
DNA_HGVS = re.compile(
    LB + r"(?P<ref>[cgmnr])\.\s?(?P<pos>" + _DPOS + r"(?:\s?[_-]\s?" + _DPOS + r")?)\s?(?P<chg>" + _DCHANGE + r")" + RB
)
#: 1858G>A, -308G>A, 1877-2A-->C, 9 +1G>T, -863C > A, -1082(G/A), 1195delC, 3020insC, 2172_2173insCCCC
DNA_BARE = re.compile(
    r"(?:(?:(?<![A-Za-z0-9_])(?:codon|nucleotide|nt|position)\s)|(?<![0-9_+-])(?=[-+])|" + LB + r")"
    r"(?P<pos>[-+]?\s?\d{1,7}(?:\s?[+-]\s?\d{1,5})?(?:\s?[_-]\s?\d{1,7})?)\s?(?P<chg>"
    r"\(?" + NT + r"\s?(?:>|-{1,2}>|→|=>)\s?" + NT + r"\)?"
    r"|\(" + NT + r"/" + NT + r"\)"
    r"|-?" + NT + r"/" + NT +
    r"|del\s?(?:[ACGT]{1,40}|\d{1,4})?(?:ins[ACGT]{1,40})?|ins\s?(?:[ACGT]{1,40}|\([ACGT]{1,20}\)(?:\(\d{1,3}\))?)|dup\s?(?:[ACGT]{1,40}|\d{1,4})?"
    r")" + RB
)
#: IVS2+1G>A, IVS-II-1(G>A), IVSI-1 (G-->A), IVS10+1, g-->t, IVS64+5g->a, IVS2-58_55insT, IVS3 + 18C > T
DNA_IVS = re.compile(
    LB + r"(?P<ivs>IVS[-\s]?(?:\d{1,3}|[IVX]{1,5}))\s?(?P<off>[+-]\s?\d{1,5}(?:_\d{1,5})?)"
    r"(?P<chg>,?\s?\(?\s?[ACGTacgt]\s?(?:>|-{1,2}>|→|/)\s?[ACGTacgt]\s?\)?|\s?del[ACGT]{0,20}|\s?ins[ACGT]{1,20}|\s?dup[ACGT]{0,20})" + RB
)
#: G-308A, A1166C, C-1228T, T2005C/A, G1915T/A (also protein one-letter; disambiguated by context)
DNA_LETTERS = re.compile(LB + r"(?P<wt>[ACGT])(?P<pos>-\d{1,6})(?P<mt>[ACGT])(?P<alts>(?:/[ACGT]){1,3})?" + RB)
#: genomic positions (>= 5 digits) written with letters: T1270533G, C1256088C, C35322C
DNA_LETTERS_LONG = re.compile(LB + r"(?P<wt>[ACGT])(?P<pos>[1-9]\d{4,8})(?P<mt>[ACGT])" + RB)
#: "A to G", "C-to-T", "G>A", "G --> C", with optional "transition at nucleotide 276" tail
_NT_WORD = r"(?:" + NT + r"{1,2}|" + NUC_NAME + r"(?:\s\([ACGTU]\))?)"
NUM_COMMA = r"(?:\d{1,3}(?:,\d{3}){1,2}|\d{1,9})"
#: "at nucleotide position 1135", "in codon 242", "at nucleotide c.898", "at 33468"
POS_TAIL = (
    r"(?:\s(?:at|in|of|on)\s(?:the\s)?(?:cDNA\s|a\s)?(?:(?:nucleotide|position|base|nt|codon|residue)\s){0,2}"
    r"(?P<pos>(?:c\.)?[-+]?" + NUM_COMMA + r")(?![\w'′]))"
)
DNA_WRITTEN = re.compile(
    r"(?:(?P<pre>(?<![\w-])[-+]?\d{1,6}[\s-]?(?:bp|basepairs?|base[\s-]pairs?)\s)|" + LB + r")"
    r"(?P<a>" + _NT_WORD + r")(?P<rel>\s?-?to-?\s?|\s?-{1,2}>\s?|\s?→\s?|\s?>\s?|\sby\s|\sfor\s)(?P<b>" + _NT_WORD + r")" + RB
    + r"(?P<tail>(?:\s(?:point\s)?(?:substitution|transition|transversion|mutation|polymorphism|change))?" + POS_TAIL + r")?"
    + RB
)
#: (G --> C) substitution at position 1201, (G-->A) at nucleotide position 2141
DNA_WRITTEN_PAREN = re.compile(
    r"\((?P<a>" + NT + r")\s?(?:-{1,2}>|>|→|to)\s?(?P<b>" + NT + r")\)(?:\s(?:substitution|transition|transversion))?"
    r"\s(?:at|in)\s(?:the\s)?(?:nucleotide\s|position\s|base\s)+(?P<pos>[-+]?\d{1,7})" + RB
)
#: rs121434568, ss12345
SNP_ID = re.compile(LB + r"(?P<id>(?:rs|RS|ss)\s?#?\s?\d{2,12})" + RB)

# --------------------------------------------------------------------------
# natural-language indels (tmVar "OtherMutation")
# --------------------------------------------------------------------------
_NUMWORD = r"(?:\d[\d,.]{0,8}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|single)"
_UNIT = r"(?:bp|base[\s-]?pairs?|basepairs?|bases?|nucleotides?|nt|kb|kbp|Kb|Mb|Mbp|amino[\s-]acids?)"
_INDEL_WORD = (
    r"(?:insertion/deletion|deletion/insertion|insertion-deletion|deletion-insertion|deletions?|insertions?|"
    r"duplications?|deleted|inserted|indels?|del|ins|dup)"
)
INDEL_SIZE_FIRST = re.compile(
    LB + r"(?P<n>" + _NUMWORD + r")(?:\s?-\s?|\s)?" + _UNIT
    + r"(?:\s?-\s?|\s)(?:(?:in-?frame|inframe|tandem|homozygous|heterozygous|hemizygous|interstitial|germline|gene|contiguous\sgene|large|small|nucleotide|"
    + NUC_NAME + r"|[ACGT]{1,12}|\([A-Za-z0-9]{1,12}\))(?:\s|-)){0,2}"
    r"(?P<op>" + _INDEL_WORD + r"|insert|(?:tandem\s)?repeats?)(?:\s\(indel\))?" + RB
)
INDEL_OF_SIZE = re.compile(
    LB + r"(?P<op>deletion|insertion|duplication)\sof\s(?:(?P<n>\d[\d,.]{0,8}|one|two|three|four|five|six|seven|eight|nine|ten)\s(?:additional\s)?" + _UNIT
    + r"|(?:a\s|the\s)?(?:" + NT + r"|" + NUC_NAME + r")\snucleotide|(?:cDNA\s)?nucleotide\s\d{1,6}|amino\sacids\s\d{1,5}-\d{1,5})" + RB
)
#: "deletion of C at nucleotide 888", "deletion of G at the nucleotide position 520"
INDEL_OF_BASE = re.compile(
    LB + r"(?:deletion|insertion|duplication)\sof\s(?:an?\s)?(?:" + NT + r"{1,6}|" + NUC_NAME + r")(?:\snucleotide)?" + POS_TAIL + RB
)
#: Delta32, delta32, DD32, D32 (CCR5-style), dup24bp, 6bINS, del6, delTTCA, TGAG deletion, (TT) deletion
INDEL_SHORTHAND = re.compile(
    r"(?:(?<![A-Za-z0-9_/])(?:[Dd]elta|Δ)\s?\d{1,3}(?:-\d{1,6})?(?![(\w])|(?<=[A-Za-z0-9])[Dd]elta\d{1,3}(?:-\d{1,6})?(?![(\w])|" + LB + r"(?:DD\d{1,3}(?:\sdeletion)?|(?:ins/del|del/ins)\s\d{1,4}\s?bp|dup\d{1,4}\s?bp|\d{1,4}bINS|del\d{1,4}(?:bp)?"
    r"|(?:del|ins|dup)\s?(?:[ACGT]{2,30}|\([ACGT]{1,30}\))|(?:\([ACGT]{1,30}\)|[ACGT]{2,30})\s(?:deletion/insertion|insertion/deletion|insertion-deletion|deletion|insertion|duplication)"
    r"|(?:deletion|insertion|duplication)\s\([ACGT]{1,30}\)))" + RB
)
#: "single-nucleotide deletion at position 329", "cytosine insertion at position 3020",
#: "C deletion in codon 241", "202 adenine deletion" (a position is required)
INDEL_SINGLE_BASE = re.compile(
    r"(?:" + LB + r"(?P<pre>[-+]?\d{1,6}\s)(?:" + NUC_NAME + r"|[ACGT])\s(?:deletion|insertion|duplication)" + RB + "|"
    + LB + r"(?:(?:single|one|1)[\s-](?:base|nucleotide|base[\s-]pair)[\s-](?:" + NUC_NAME + r"\s)?|(?:" + NUC_NAME + r"|[ACGT]{1,12})\s)"
    r"(?:deletion|insertion|duplication)" + POS_TAIL + RB + ")"
)
#: codon changes: "(TAC-->AA) at codon 329", "codon 26, GAG-->GCG", "GTT-->GCT transition at codon 23",
#: "codon (CD)26 GAG-->GAA", "codon 787 CAG/CAA", "CAC(3543)TAC"
CODON_CHANGE = re.compile(
    LB + r"(?:codon\s(?:\(CD\))?\d{1,5},?\s(?P<c1>[ACGT]{3})\s?(?:-{1,2}>|>|/|→)\s?[ACGT]{2,3}"
    r"|\(?(?P<c2>[ACGT]{3})\s?(?:-{1,2}>|>|→)\s?[ACGT]{2,3}\)?(?:\s(?:substitution|transition|transversion))?\s(?:at|in)\scodon\s\d{1,5}"
    r"|[ACGT]{3}\(\d{1,5}\)[ACGT]{3})" + RB
)
#: Glu-->Ala, Val-->Ala, Arg-->Leu (amino-acid change without position)
PROTEIN_ACID_CHANGE = re.compile(LB + r"(?P<a>" + AA3 + r")\s?(?:-{1,2}>|→)\s?(?P<b>" + AA3 + r")" + RB)
#: "valine for glutamate", "lysine by glutamic acid" (no position; needs a substitution word nearby)
PROTEIN_WORD_CHANGE = re.compile(
    r"(?i:" + LB + r"(?P<a>" + AA_NAME + r")(?:\s\((?:" + AA3 + r")\))?\s(?P<rel>to|by|for|with|instead\sof)\s(?:an?\s)?(?P<b>" + AA_NAME + r")(?:\s\((?:" + AA3 + r")\))?" + RB + ")"
)
#: "termination at codon 1524", "stop codon at residue 178", "termination codon at amino acid position 831"
STOP_AT_CODON = re.compile(
    LB + r"(?:stop|termination)(?:\scodon)?\s(?:at|in)\s(?:the\s)?(?:codon|residue|position|amino\sacid\sposition|amino\sacid)\s(?P<pos>[1-9]\d{0,4})" + RB
)
#: -308A allele, 111G allele, 1188-C-allele, IVS1-23T (single-base alleles)
DNA_ALLELE = re.compile(
    r"(?:(?<![0-9_+-])(?=[-+])|" + LB + r")(?P<a>[-+]?\d{1,6}-?[ACGT])(?=[\s-]allele)"
    r"|" + LB + r"(?P<b>IVS\d{1,3}\s?[+-]\s?\d{1,5}[ACGT])" + RB
)
#: "G/A substitution", "C/T polymorphism", "G/A alleles"
DNA_SLASH_CHANGE = re.compile(LB + r"(?P<a>[ACGT])/(?P<b>[ACGT])(?=\s(?:substitution|transition|transversion|polymorphism|alleles?|SNP|variant|change|single\snucleotide))")
#: (CCTTT)14, (TTTA)n, CAG repeat, CAG and GGC repeat
REPEAT = re.compile(
    LB + r"(?:\([ACGT]{2,10}\)(?:\d{1,3}|n)(?![A-Za-z0-9_])|[ACGT]{3,6}(?:\sand\s[ACGT]{3,6})?\srepeats?" + RB + ")"
)

# --------------------------------------------------------------------------
# exon level, structural, copy number (oncology short forms)
# --------------------------------------------------------------------------
_EXON = r"(?:exons?|Exons?|EXONS?|ex|Ex|EX)"
_EXNUM = r"(?P<n>[1-9]\d?)(?P<more>(?:\s?(?:/|,|and|or|-)\s?[1-9]\d?){0,4})"
_EXOP = (
    r"(?P<op>(?:in-?frame\s)?(?:deletions?|del|Del|DEL|insertions?|ins|Ins|INS|skipping|skip|Skip|"
    r"duplications?|dup|mutations?|mutants?|mutated|alterations?|variants?|substitutions?|point\smutations?))"
)
#: exon 19 deletion, Ex19del, ex20ins, exon 20 insertions, exon 14 skipping, exon 16-skipping, exon 19/21 mutations
EXON_FIRST = re.compile(LB + r"(?P<gene>[A-Z][A-Z0-9]{1,6}\s?)?" + _EXON + r"\s?-?\s?" + _EXNUM + r"(?:\s?-\s?|\s)?" + _EXOP + RB)
#: METex14, METΔex14, MET ex14, METe14 (skipping)
EXON_GLUED = re.compile(LB + r"(?P<gene>MET|ERBB2|HER2|EGFR)\s?(?:Δ|delta)?(?:ex|e|exon)(?P<n>1[0-9]|[1-9])(?:\s?(?P<op>skipping|skip|del|ins|mutations?|alterations?))?" + RB)
#: Del19, del19, DEL19, 19del, 19-del, Ins20, 20ins
EXON_SHORT = re.compile(LB + r"(?:(?P<op1>[Dd]el|DEL|[Ii]ns|INS)\s?-?(?P<n1>1[89]|2[01])|(?P<n2>1[89]|2[01])\s?-?(?P<op2>del|Del|DEL|ins|Ins|INS))" + RB)
#: deletions in exon 19, insertion within exon 20, skipping of exon 14
EXON_AFTER = re.compile(
    LB + r"(?P<op>(?:in-?frame\s)?(?:deletions?|insertions?|skipping|duplications?|mutations?))\s(?:in|of|within|at)\s(?:the\s)?"
    + _EXON + r"\s?(?P<n>[1-9]\d?)" + RB
)

_FUS_GENE = r"(?:[A-Z][A-Z0-9]{1,7}|ErbB[1-4])"
_FUS_PART = r"(?:\s?(?:exon|ex|e|E)\s?\d{1,2})?"
#: EML4-ALK, EML4–ALK variant 3, EZR exon 10-ROS1 exon 34, KIF5B-RET, CCDC6::RET, FGFR3-TACC3
FUSION = re.compile(
    LB + r"(?P<g1>" + _FUS_GENE + r")(?P<b1>" + _FUS_PART + r")\s?(?:-|–|—|::|/|:)\s?(?P<g2>" + _FUS_GENE + r")(?P<b2>" + _FUS_PART + r")"
    r"(?P<var>\s?(?:variant|v|V)\s?\d{1,2}[ab]?)?(?P<kind>\s(?:fusions?|fusion\sgenes?|rearrangements?|translocations?|fusion-positive|positive))?" + RB
)
#: ALK rearrangement, ALK-rearranged, ALK fusion, ALK-positive, ALK+, ALK⁺, RET fusion-positive
GENE_FUSION_WORD = re.compile(
    LB + r"(?P<gene>" + GENE_TOKEN + r")\*{0,2}(?:\s?-\s?|\s)(?:gene\s)?(?P<w>rearrangements?|rearranged|fusions?|fusion-positive|fusion\sgenes?|translocations?|translocated|positive|positivity)" + RB
    + r"|" + LB + r"(?P<gene2>" + GENE_TOKEN + r")(?P<plus>\+|⁺|\(\+\)|\s\+(?=\s[A-Za-z]))(?![A-Za-z0-9_+])"
)
#: "rearrangement(s) of ALK", "fusions involving ROS1"
FUSION_OF_GENE = re.compile(
    LB + r"(?:rearrangements?|fusions?|translocations?)\s(?:of|in|involving)\s(?:the\s)?(?P<gene>" + GENE_TOKEN + r")" + RB
)
#: MET amplification, MET amp, METamp, MET-amplified, HER2 gene amplification, MET copy number gain
AMPLIFICATION = re.compile(
    LB + r"(?:(?P<gene>" + GENE_TOKEN + r")\*{0,2}(?:\s?-\s?|\s)?(?:gene\s)?)?(?P<w>(?:focal\s|high-level\s|low-level\s)?(?:amplifications?|amplified|amp|AMP|Amp|"
    r"copy[\s-]number\s(?:gains?|increases?|amplifications?)|CN\sgains?|copy[\s-]number\s(?:variation|alterations?)?\sgains?)"
    r")" + RB
)
AMPLIFICATION_GLUED = re.compile(LB + r"(?P<gene>MET|ERBB2|HER2|EGFR|KRAS|MYC|FGFR1|CCNE1|CDK4|MDM2)(?P<w>amp|AMP|Amp|amplified)" + RB)
AMPLIFICATION_OF = re.compile(LB + r"(?P<w>(?:focal\s|high-level\s)?amplification)\sof\s(?:the\s)?(?P<gene>" + GENE_TOKEN + r")" + RB)
#: overexpression, high expression, HER2 overexpression, overexpression of AXL, HER2-overexpressing
OVEREXPRESSION = re.compile(
    LB + r"(?:(?P<gene>" + GENE_TOKEN + r")\*{0,2}(?:\s?-\s?|\s)(?:protein\s)?)?(?P<w>over-?expression|over-?expressed|over-?expressing|high\sexpression|upregulation|up-regulation)"
    r"(?:\sof\s(?:the\s)?(?P<gene2>" + GENE_TOKEN + r"))?" + RB
)
#: PTEN loss, loss of PTEN, loss of T790M (the variant form is assembled in the grammar)
LOSS = re.compile(
    LB + r"(?:(?P<gene>" + GENE_TOKEN + r")\*{0,2}(?:\s?-\s?|\s)(?:gene\s|protein\s)?(?P<w>loss)|(?P<w2>loss)\sof\s(?:the\s)?(?P<gene2>" + GENE_TOKEN + r")(?:\sprotein|\sexpression)?)" + RB
)
#: EGFR wild-type, wild-type EGFR, EGFR-WT, EGFRwt
WILD_TYPE = re.compile(
    LB + r"(?:(?P<gene>" + GENE_TOKEN + r")(?:\s?-\s?|\s))?(?P<w>wild[\s-]?type|Wild[\s-]?type|WT|wt)(?:(?:\s|-)(?P<gene2>" + GENE_TOKEN + r"))?" + RB
)
#: EGFR mutation(s), EGFR-mutant, EGFR-mutated, mutations in EGFR, KRAS mut, EGFRm
MUTATION_WORD = re.compile(
    LB + r"(?P<gene>" + GENE_TOKEN + r")\*{0,2}(?:\s?-\s?|\s)(?:(?:activating|sensitizing|sensitising|driver|gene|genomic|genetic|oncogenic|kinase(?:\sdomain)?|point|somatic|germline|resistance|secondary|acquired|tertiary)\s)?(?P<w>mutations?|mutants?|mutated|mut|variants?|alterations?|altered)" + RB
    + r"|" + LB + r"(?P<w2>mutations?|alterations?)\s(?:in|of|within)\s(?:the\s)?(?P<gene2>" + GENE_TOKEN + r")(?:\sgene)?" + RB
)
COMPOUND_WORD = re.compile(LB + r"(?P<w>compound\s(?:EGFR\s|ALK\s|ROS1\s)?mutations?|compound\s(?:EGFR\s|ALK\s)?mutants?|double\smutations?|triple\smutations?)" + RB)
#: MET activation, activation of HER3, bypass activation of HER3
ACTIVATION = re.compile(
    LB + r"(?:(?P<gene>" + GENE_TOKEN + r")\*{0,2}(?:\s?-\s?|\s)(?:pathway\s|signaling\s|signalling\s)?(?P<w>activation|hyperactivation)|(?P<w2>(?:bypass\s)?(?:activation|hyperactivation))\sof\s(?:the\s)?(?P<gene2>" + GENE_TOKEN + r")(?:\spathway)?)" + RB
)

#: what joins coordinated genes: "ALK/ROS1/RET", "ALK, ROS1 or RET", "mTOR as well as NF2", "HER2/HER3"
GENE_COORD_SEP = re.compile(r"\s?(?:/|,\s?(?:(?:and|or|and/or|as\swell\sas|plus)\s)?|\s(?:and|or|and/or|as\swell\sas|plus)\s)\s?")
#: a gene list introduced after an alteration word: "mutations ... including NRAS, KRAS, MEK, and MAP3K",
#: "activation of ... parallel pathways (e.g., MET, EGFR, HER2/HER3, IGF-1R)"
LIST_INTRO = re.compile(r"(?:,\s|\s|\()(?:including|such\sas|e\.g\.,?|i\.e\.,?|like|namely)\s?$")
LIST_KEYWORD = re.compile(
    r"(?i:(?<![A-Za-z])(?P<w>mutations?|mutated|alterations?|altered|rearrangements?|rearranged|fusions?|"
    r"amplifications?|amplified|(?:bypass\s|hyper)?activation|overexpression)(?![A-Za-z]))"
)

# --------------------------------------------------------------------------
# compound joiners and attachment context
# --------------------------------------------------------------------------
#: what may stand between two components of a compound: T790M/C797S, T790M-cis-C797S,
#: C797S in trans with T790M, I1171N+D1203N, Del19/T790M
COMPOUND_JOINER = re.compile(
    r"\s?(?:/|\+|\s?-?\s?(?:in\s)?(?:cis|trans)\s?-?\s?(?:with\s)?|\s(?:in\s)?(?:cis|trans)\swith\s|\+)\s?"
)
CIS_TRANS = re.compile(r"(?:cis|trans)")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|\n")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
NONSENSE_CONTEXT = re.compile(r"(?i:nonsense|stop\scodon|premature|truncat|termination)")
DNA_CONTEXT = re.compile(
    r"(?i:nucleotide|\bnt\b|\bbp\b|promoter|polymorphi|transition|transversion|\bc?DNA\b|mtDNA|"
    r"genotype|allele|\bSNPs?\b|upstream|untranslated|UTR|intron|haplotype|position\s-)"
)
