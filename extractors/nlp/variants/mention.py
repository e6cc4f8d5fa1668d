"""The records of the variant grammar: ``VariantMention``, ``GeneHit`` and the vtype families."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class GeneHit(NamedTuple):
    """A gene mention: character offsets into the text and its HGNC symbol."""

    start: int
    end: int
    symbol: str


@dataclass(frozen=True)
class VariantMention:
    """One alteration mention: exact offsets (``text[start:end] == text``), normalized form and its rule."""

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


#: types that name a concrete change and can be compound components
COMPONENT_VTYPES = SEQUENCE_VTYPES | {"exon_deletion", "exon_insertion", "exon_skipping"}

#: types whose normalized form names a protein position (checked against ``PROTEIN_LENGTHS``)
PROTEIN_POSITIONED = frozenset(
    {"substitution", "residue_class", "nonsense", "deletion", "insertion", "duplication", "delins", "frameshift",
     "compound", "loss"}
)
