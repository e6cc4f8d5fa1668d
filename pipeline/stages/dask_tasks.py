"""What runs on a Dask worker: the plugin holding the NLP pipeline and the batch tasks.

Kept apart from ``pipeline.stages.parallel`` so that importing the stages never imports
``distributed``; this module is imported only once a cluster is started.

A worker lives for millions of documents, and spaCy's vocabulary keeps every new string it
sees (22,655 strings after 1,800 short documents, against 1,300 with a zone), so each document
is extracted in a ``Language.memory_zone``: triples are plain records, nothing outlives it, and
the output is the same (checked on the benchmark corpus).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from pipeline.stages.context import WorkDir
from pipeline.stages.extract import DocumentOutcome, InputResult, extract_and_store, extract_input
from schemas.models import Document


def plugin_name(ner_model: str) -> str:
    """One plugin, so one pipeline, per model setting on a shared cluster."""
    return "oncotriples-nlp-" + hashlib.sha256(ner_model.encode()).hexdigest()[:12]


class PipelinePlugin(WorkerPlugin):
    """This worker's NLP pipeline, built on the first batch and kept for the worker's life.

    The pipeline lives on the plugin instance of each worker, not in module state; a worker
    restarted by its nanny gets a fresh instance and builds its own.
    """

    def __init__(self, ner_model: str) -> None:
        self.ner_model = ner_model
        self._nlp: Any = None

    def setup(self, worker: Any) -> None:
        self._nlp = None

    def teardown(self, worker: Any) -> None:
        self._nlp = None

    def nlp(self) -> Any:
        if self._nlp is None:
            from extractors.nlp.build import build_nlp

            self._nlp = build_nlp(self.ner_model)
            # as the CLI does for its own process: library warnings go to the py.warnings
            # logger (spaCy's filters, set on import, would otherwise print them on stderr)
            logging.captureWarnings(True)
            logging.getLogger("py.warnings").setLevel(logging.ERROR)
        return self._nlp


def _worker_nlp(name: str) -> Any:
    return get_worker().plugins[name].nlp()


def extract_documents_batch(plugin: str, work_root: str, fingerprint: str, docs: list[Document]) -> list[DocumentOutcome]:
    """Task: extract and store each document of a batch with this worker's pipeline."""
    nlp, work = _worker_nlp(plugin), WorkDir(Path(work_root))
    outcomes = []
    for doc in docs:
        with nlp.memory_zone():  # strings of this document leave the vocab with it (see module doc)
            outcomes.append(extract_and_store(work, fingerprint, nlp, doc))
    return outcomes


def extract_inputs_batch(plugin: str, items: list[tuple[int, str, str]]) -> list[tuple[int, InputResult]]:
    """Task: parse and extract each (index, path, doc_id) input file of a batch with this worker's pipeline."""
    nlp = _worker_nlp(plugin)
    results = []
    for i, path, doc_id in items:
        with nlp.memory_zone():
            results.append((i, extract_input(nlp, Path(path), doc_id)))
    return results
