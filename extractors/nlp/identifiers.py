"""The ``oncotriples_identifiers`` component: ontology ids and the disease on every triple.

Runs last, after the triple stage (rules or relation model), and only adds fields:
a triple's drugs, gene, alteration and outcome are never changed, so its
``triple_id`` stays. Per triple:

* ``drug_ids``: per drug, the ChEBI / ChEMBL / MeSH / NCIt ids ``drug_ids.tsv`` lists for
  its canonical name (empty for a drug class or a name no source lists);
* ``hgnc_id`` / ``ncbi_gene_id`` from ``gene_ids.tsv`` (a literature symbol such as ``SHP2``
  through the gene lexicon first);
* ``dbsnp_id``: an rs id the variant grammar read in the same sentence right next to the
  alteration (``T790M (rs121434569)``), or the alteration itself when it is one;
* ``disease`` / ``disease_ids`` / ``disease_text`` / ``disease_source``: see
  :class:`extractors.nlp.disease.DiseaseContext`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from extractors.nlp.datafiles import GeneIds, drug_id_table, gene_id_table
from extractors.nlp.disease import DiseaseContext, DiseaseLexicon, load_disease_lexicon
from extractors.nlp.extensions import doc_text, register_extensions
from extractors.nlp.variants.mention import VariantMention
from schemas.models import Triple
from schemas.vocab import DBSNP_RE


@Language.factory("oncotriples_identifiers", default_config={"rs_window": 40})
def make_identifier_component(nlp: Language, name: str, rs_window: int) -> IdentifierAnnotator:
    return IdentifierAnnotator(rs_window=rs_window)


class IdentifierAnnotator:
    """Adds ids and the disease to ``doc._.triples`` (tables are loaded on first use, once per process)."""

    def __init__(
        self,
        *,
        rs_window: int = 40,
        drug_ids: Mapping[str, Sequence[str]] | None = None,
        gene_ids: Mapping[str, GeneIds] | None = None,
        diseases: DiseaseLexicon | None = None,
    ) -> None:
        """``rs_window``: most characters between an alteration and the rs id stated for it."""
        register_extensions()
        self.rs_window = rs_window
        self._drug_ids = drug_ids
        self._gene_ids = gene_ids
        self._diseases = diseases

    @property
    def drug_ids(self) -> Mapping[str, Sequence[str]]:
        if self._drug_ids is None:
            self._drug_ids = drug_id_table()
        return self._drug_ids

    @property
    def gene_ids(self) -> Mapping[str, GeneIds]:
        if self._gene_ids is None:
            self._gene_ids = gene_id_table()
        return self._gene_ids

    @property
    def diseases(self) -> DiseaseLexicon:
        if self._diseases is None:
            self._diseases = load_disease_lexicon()
        return self._diseases

    def __call__(self, doc: Doc) -> Doc:
        triples: list[Triple] = doc._.triples or []
        if not triples:
            return doc
        text = doc_text(doc)
        genes = [(m.start, m.end) for m in doc._.gene_mentions or []]
        context = DiseaseContext(text, self.diseases.scan(text, genes), doc._.sections)
        variants: list[VariantMention] = list(doc._.variants or [])
        doc._.triples = [self.annotate(t, context, variants) for t in triples]
        return doc

    def gene_ids_of(self, gene: str) -> GeneIds | None:
        """Ids of a triple's gene: the approved symbol, else the symbol the gene lexicon gives the name."""
        ids = self.gene_ids.get(gene)
        if ids is None:
            from extractors.nlp.lexicons import load_gene_lexicon

            symbol = load_gene_lexicon().lookup(gene)
            ids = self.gene_ids.get(symbol) if symbol else None
        return ids

    def dbsnp_of(self, t: Triple, variants: Sequence[VariantMention]) -> str:
        """The rs id stated for the triple's alteration in its sentence, or ''."""
        if DBSNP_RE.match(t.alteration):
            return t.alteration
        in_sentence = [v for v in variants if t.sentence_start <= v.start and v.end <= t.sentence_end]
        rs = [v for v in in_sentence if v.vtype == "snp_id" and DBSNP_RE.match(v.normalized)]
        if not rs:
            return ""
        alts = [v for v in in_sentence if v.vtype != "snp_id" and (t.alteration in v.alternatives or v.normalized == t.alteration or (t.hgvs and v.hgvs == t.hgvs))]
        best: tuple[int, str] | None = None
        for a in alts:
            for r in rs:
                gap = r.start - a.end if r.start >= a.end else a.start - r.end
                if 0 <= gap <= self.rs_window and (best is None or gap < best[0]):
                    best = (gap, r.normalized)
        return best[1] if best else ""

    def annotate(self, t: Triple, context: DiseaseContext, variants: Sequence[VariantMention]) -> Triple:
        """The triple with its id and disease fields filled in (nothing else changes)."""
        gene = self.gene_ids_of(t.gene)
        disease, source = context.choose(t.sentence_start, t.sentence_end)
        update: dict[str, object] = {
            "drug_ids": [[] if t.drug_class else list(self.drug_ids.get(d, ())) for d in t.drugs],
            "hgnc_id": gene.hgnc_id if gene else "",
            "ncbi_gene_id": gene.ncbi_gene_id if gene else "",
            "dbsnp_id": self.dbsnp_of(t, variants),
            "disease": disease.concept.label if disease else "",
            "disease_ids": list(disease.concept.ids) if disease else [],
            "disease_text": disease.text if disease else "",
            "disease_source": source,
        }
        return t.model_copy(update=update)
