"""The normalize stage: canonical names, one row per ``triple_id``, and document ↔ trial links."""

from __future__ import annotations

from extractors.nlp.merge import merge_by_key
from schemas.models import Document, DocumentTrialLink, Triple
from schemas.vocab import find_nct_ids, sorted_drugs


def normalize_stage(per_doc: dict[str, list[Triple]]) -> list[Triple]:
    """Canonical names and one row per triple_id (the same merge the extractor applies within a document)."""
    rows = [
        t.model_copy(update={"drugs": sorted_drugs(t.drugs), "gene": t.gene.upper(), "nct_ids": sorted(set(t.nct_ids))})
        for doc_id in sorted(per_doc)
        for t in per_doc[doc_id]
    ]
    return sorted(merge_by_key(rows), key=lambda t: (t.doc_id, t.triple_id))


def document_trial_links(documents: list[Document], triples: list[Triple]) -> list[DocumentTrialLink]:
    """Links from documents to the trials their text or metadata names (malformed ids kept, marked)."""
    links: dict[tuple[str, str], DocumentTrialLink] = {}
    for doc in documents:
        for nct in doc.nct_ids:
            links.setdefault((doc.doc_id, nct), DocumentTrialLink(doc_id=doc.doc_id, nct_id=nct, how="metadata", as_written=nct))
        for hit in find_nct_ids(doc.text):
            how = "text" if hit.status == "ok" else "malformed"
            links.setdefault((doc.doc_id, hit.nct_id), DocumentTrialLink(doc_id=doc.doc_id, nct_id=hit.nct_id, how=how, as_written=hit.as_written))
    return sorted(links.values(), key=lambda link: (link.doc_id, link.nct_id))
