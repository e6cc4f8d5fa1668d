"""Variant mentions in the PubTator ``SequenceVariant`` sense (tmVar / BioRED conventions)."""

from __future__ import annotations

from extractors.nlp.variants.grammar import find_variants
from extractors.nlp.variants.mention import SEQUENCE_VTYPES

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
