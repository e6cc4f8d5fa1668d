"""Gene names as the variant grammar reads them: its own gene table, then the gene lexicon."""

from __future__ import annotations

import re

from extractors.nlp.datafiles import variant_gene_table, variant_stoplist
from extractors.nlp.lexicons import load_gene_lexicon
from extractors.nlp.lexicons.genes import starts_drug_code
from extractors.nlp.variants import patterns as P
from extractors.nlp.variants.mention import GeneHit


def normalize_gene(token: str, *, strict: bool = True) -> str | None:
    """HGNC symbol for a gene-shaped token, or None.

    Uses the grammar's own gene table first (``genes.tsv`` rows marked in its
    ``grammar`` column, read case-insensitively), then its ``not_genes`` stop
    list, then the project gene lexicon. With ``strict=False`` any gene-shaped token
    that is not in the stop list is accepted as-is (upper-cased).
    """
    up = token.upper()
    own = variant_gene_table()
    if up in own:
        return own[up]
    if up in variant_stoplist("not_genes"):
        return None
    sym = load_gene_lexicon().lookup(token)
    if sym:
        return sym
    if not strict and re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", token) and any(c.isdigit() for c in token[1:]):
        return up
    return None


def find_gene_hits(text: str) -> list[GeneHit]:
    """Gene mentions found with the grammar's own gene-shape regex and :func:`normalize_gene`."""
    out = []
    for m in P.GENE_TOKEN_RE.finditer(text):
        sym = normalize_gene(m.group(1))
        if sym and not starts_drug_code(text, m.end(1)):
            out.append(GeneHit(m.start(1), m.end(1), sym))
    return out
