"""The rule table: (rule_id, compiled pattern, builder), each builder called with its own row's rule id; earlier rules
win ties between equally long spans."""

from __future__ import annotations

import re

from extractors.nlp.variants import dna, protein, structural
from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.helpers import Builder

RULES: tuple[tuple[str, re.Pattern[str], Builder], ...] = (
    ("fusion_partners", P.FUSION, structural.build_fusion),
    ("exon_glued", P.EXON_GLUED, structural.build_exon_glued),
    ("exon_level", P.EXON_FIRST, structural.build_exon_first),
    ("exon_after", P.EXON_AFTER, structural.build_exon_after),
    ("exon_short", P.EXON_SHORT, structural.build_exon_short),
    ("dna_hgvs", P.DNA_HGVS, dna.build_dna_hgvs),
    ("dna_ivs", P.DNA_IVS, dna.build_ivs),
    ("protein_frameshift", P.PROTEIN_FS, protein.build_fs),
    ("protein_indel", P.PROTEIN_INDEL, protein.build_pindel),
    ("protein_sub_3letter", P.PROTEIN_SUB_3, protein.build_sub),
    ("protein_nonsense_word", P.PROTEIN_STOP_WORD, protein.build_stop_word),
    ("protein_sub_1letter", P.PROTEIN_SUB_1, protein.build_sub),
    ("protein_sub_glued", P.PROTEIN_SUB_GLUED, protein.build_sub_glued),
    ("protein_sub_after_lower", P.PROTEIN_SUB_AFTER_LOWER, protein.build_letter_sub),
    ("protein_replaced", P.PROTEIN_REPLACED, protein.build_replaced),
    ("protein_dashes", P.PROTEIN_DASHES, protein.build_letter_sub),
    ("protein_residue_list", P.PROTEIN_RESIDUE_LIST, protein.build_residue_list),
    ("protein_residue_mutation", P.PROTEIN_RESIDUE_MUTATION, protein.build_residue_mutation),
    ("protein_sub_chain", P.PROTEIN_SUB_CHAIN, protein.build_sub_chain),
    ("protein_gene_pos_stop", P.PROTEIN_GENE_POS_STOP, protein.build_gene_pos_stop),
    ("protein_del_of", P.PROTEIN_DEL_OF, protein.build_residue_deletion),
    ("indel_of_base", P.INDEL_OF_BASE, dna.build_indel_nl),
    ("codon_change", P.CODON_CHANGE, dna.build_codon_change),
    ("protein_acid_change", P.PROTEIN_ACID_CHANGE, protein.build_acid_change),
    ("protein_word_change", P.PROTEIN_WORD_CHANGE, protein.build_word_change),
    ("stop_at_codon", P.STOP_AT_CODON, protein.build_stop_at),
    ("dna_allele", P.DNA_ALLELE, dna.build_allele),
    ("dna_slash_change", P.DNA_SLASH_CHANGE, dna.build_slash_change),
    ("repeat", P.REPEAT, dna.build_repeat),
    ("protein_delta", P.PROTEIN_DELTA, protein.build_residue_deletion),
    ("protein_written", P.PROTEIN_WRITTEN, protein.build_written),
    ("protein_written_codon_first", P.PROTEIN_WRITTEN_CODON_FIRST, protein.build_written),
    ("protein_written_pos_mid", P.PROTEIN_WRITTEN_POS_MID, protein.build_written),
    ("dna_sub_letters", P.DNA_LETTERS, dna.build_dna_letters),
    ("dna_sub_letters_long", P.DNA_LETTERS_LONG, dna.build_dna_letters_long),
    ("dna_bare", P.DNA_BARE, dna.build_dna_bare),
    ("dna_written_paren", P.DNA_WRITTEN_PAREN, dna.build_dna_written_paren),
    ("dna_written", P.DNA_WRITTEN, dna.build_dna_written),
    ("snp_id", P.SNP_ID, dna.build_snp),
    ("indel_size_first", P.INDEL_SIZE_FIRST, dna.build_indel_nl),
    ("indel_of_size", P.INDEL_OF_SIZE, dna.build_indel_nl),
    ("indel_single_base", P.INDEL_SINGLE_BASE, dna.build_indel_nl),
    ("indel_shorthand", P.INDEL_SHORTHAND, dna.build_indel_shorthand),
    ("gene_fusion_word", P.GENE_FUSION_WORD, structural.build_gene_fusion_word),
    ("fusion_of_gene", P.FUSION_OF_GENE, structural.build_gene_word),
    ("amplification_glued", P.AMPLIFICATION_GLUED, structural.build_gene_word),
    ("amplification_of", P.AMPLIFICATION_OF, structural.build_gene_word),
    ("amplification", P.AMPLIFICATION, structural.build_gene_word),
    ("overexpression", P.OVEREXPRESSION, structural.build_gene_word),
    ("loss", P.LOSS, structural.build_gene_word),
    ("wild_type", P.WILD_TYPE, structural.build_wild_type),
    ("compound_word", P.COMPOUND_WORD, structural.build_gene_word),
    ("activation", P.ACTIVATION, structural.build_gene_word),
    ("mutation_word", P.MUTATION_WORD, structural.build_mutation_word),
)
PRIORITY = {rid: i for i, (rid, _, _) in enumerate(RULES)}
