"""Extraction on every core, or on an existing Dask cluster (Dask distributed).

Why Dask distributed: one API runs a ``LocalCluster`` of worker processes on one machine and
connects to a scheduler started on Slurm/PBS (``dask-jobqueue``) or Kubernetes
(``dask-kubernetes``) by address; a worker that dies has its tasks rescheduled by the
scheduler, and ``as_completed`` lets the client keep a bounded window of batches in flight.

The NLP pipeline is held by a :class:`PipelinePlugin` on each worker and built there once, on
the first batch. Documents travel in batches; each worker writes every document's output to the
work directory itself (atomically, meta file last: :func:`pipeline.stages.extract.extract_and_store`),
so a killed worker loses at most the batch it was working on and the next run skips every
document already stored. Results are merged by document id, never by arrival order, so the
output is the same byte for byte whatever the number of workers.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.config import PipelineSettings, Settings
from pipeline.stages.context import Progress, WorkDir
from pipeline.stages.extract import (
    DocumentOutcome,
    ExtractionFailure,
    ExtractionResult,
    InputResult,
    extract_and_store,
    extract_planned,
    merge_input_results,
    plan_inputs,
)
from schemas.errors import OncoTriplesError, ServiceUnavailableError
from schemas.models import Document

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

BATCH_MAX = 32
"""Most documents per task: big enough that scheduling costs nothing, small enough that a killed worker loses little."""
BATCHES_PER_WORKER = 4
"""Aim for this many batches per worker, so the last batches do not leave workers idle."""
WINDOW_PER_WORKER = 2
"""Batches in flight per worker: one running, one queued, so a worker never waits on the client."""
AUTO_MIN_DOCUMENTS = 32
"""With ``workers = 0`` (the cores available), fewer pending documents than this are extracted
in this process: starting worker processes and loading a model in each costs seconds."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ParallelPlan:
    """Where extraction runs: ``workers`` local processes, or the cluster at ``scheduler``."""

    workers: int = 1
    """Local worker processes; 0 means the cores available (and serial below AUTO_MIN_DOCUMENTS)."""
    scheduler: str = ""
    """Address of a running Dask scheduler (tcp://host:8786); empty starts a LocalCluster."""
    ner_model: str = "bundled"
    connect_timeout: float = 10.0

    @property
    def local_workers(self) -> int:
        return self.workers if self.workers > 0 else available_cores()

    def wants_cluster(self, pending: int) -> bool:
        """True when ``pending`` documents are worth sending to Dask under this plan."""
        if pending == 0:
            return False
        if self.scheduler:
            return True
        if self.workers == 0:
            return self.local_workers > 1 and pending >= AUTO_MIN_DOCUMENTS
        return self.workers > 1


def batches(items: Sequence[T], workers: int) -> list[list[T]]:
    """Consecutive batches of at most BATCH_MAX items, about BATCHES_PER_WORKER per worker."""
    size = max(1, min(BATCH_MAX, math.ceil(len(items) / max(1, workers * BATCHES_PER_WORKER))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def longest_first(items: Sequence[T], size: Callable[[T], int]) -> list[T]:
    """``items`` by decreasing ``size``, ties in their given order.

    Why: batches go out in this order, so the long documents are extracted while there is still
    other work for the other workers, and the last batches, the ones a worker may finish alone,
    are the shortest. Results are merged by id or index, so the order changes no output.
    """
    return sorted(items, key=size, reverse=True)


def connect(plan: ParallelPlan) -> Client:
    """A client of the scheduler at ``plan.scheduler``; ServiceUnavailableError naming the address when none answers."""
    from distributed import Client

    try:
        return Client(plan.scheduler, timeout=plan.connect_timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ServiceUnavailableError(f"--scheduler {plan.scheduler}: no Dask scheduler answered within {plan.connect_timeout:g} s ({reason[:160]})") from exc


def check_scheduler(settings: Settings) -> None:
    """Fail before any work when a scheduler is configured and does not answer (exit 2: the run could not complete)."""
    plan = plan_for(settings)
    if plan.scheduler:
        connect(plan).close()


@dataclass
class DaskSession:
    """A Dask client started on first use: a LocalCluster of ``plan.workers`` processes (one thread
    each) or a connection to ``plan.scheduler``; closed by the ``with`` block that holds it.

    Connecting to an unreachable scheduler raises ServiceUnavailableError naming the address
    (exit 2 in the CLI: the run could not complete; the same command later does the work).
    """

    plan: ParallelPlan
    _client: Client | None = None
    _cluster: Any = None
    _plugins: set[str] = field(default_factory=set)

    def __enter__(self) -> DaskSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def client(self) -> Client:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.plan.scheduler:
                self._client = connect(self.plan)
            else:
                import dask

                # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, so glibc hands memory
                # back after every few documents and takes it again: 5.0 s of system time against
                # 1.4 s without it on 1,228 CIViC statements, 9 % of the wall time (bench_scale.py)
                environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items() if k != "MALLOC_TRIM_THRESHOLD_"}
                # the workers' statistical profiler samples the extracting thread 100 times a second
                # for a dashboard this cluster does not serve, taking the GIL from it each time
                local = {"distributed.nanny.pre-spawn-environ": environ, "distributed.worker.profile.enabled": False}
                with dask.config.set(local):
                    self._cluster = LocalCluster(
                        n_workers=self.plan.local_workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0", silence_logs=logging.ERROR,  # :0: never the shared 8787
                        scheduler_kwargs={"dashboard": False},
                    )
                self._client = Client(self._cluster)
            log.info("extracting on Dask: %s", self._client)
        return self._client

    def workers(self) -> int:
        """Worker processes the scheduler knows now (at least 1)."""
        if self.plan.scheduler:
            return max(1, len(self.client().scheduler_info(n_workers=-1).get("workers", {})))
        return self.plan.local_workers

    def ensure_plugin(self) -> str:
        """Register the pipeline plugin on every worker (present and future) once; returns its name."""
        from pipeline.stages.dask_tasks import PipelinePlugin, plugin_name

        name = plugin_name(self.plan.ner_model)
        if name not in self._plugins:
            self.client().register_plugin(PipelinePlugin(self.plan.ner_model), name=name)
            self._plugins.add(name)
        return name

    def stream(self, fn: Callable[..., list[R]], args: tuple, chunks: list[list[T]], on_error: Callable[[list[T], str], list[R]]) -> Iterator[R]:
        """Results of ``fn(*args, chunk)`` for every chunk, as they complete, with a bounded window in flight.

        A chunk whose task fails (a worker killed more often than the scheduler's
        ``allowed-failures``, an unexpected exception) gives ``on_error(chunk, message)``, so its
        items are recorded as failed and the other chunks still finish.
        """
        from distributed import as_completed

        client = self.client()
        window = max(1, self.workers() * WINDOW_PER_WORKER)
        todo = iter(enumerate(chunks))
        submitted: dict[str, list[T]] = {}

        def submit_next(queue: Any) -> bool:
            item = next(todo, None)
            if item is None:
                return False
            _, chunk = item
            future = client.submit(fn, *args, chunk, pure=False)
            submitted[future.key] = chunk
            queue.add(future)
            return True

        queue = as_completed([])
        for _ in range(window):
            if not submit_next(queue):
                break
        for future in queue:
            chunk = submitted.pop(future.key)
            try:
                results = future.result()
            except OncoTriplesError:
                raise  # the setup is wrong (a model that is not installed): every batch would fail alike
            except Exception as exc:  # noqa: BLE001  (a task's failure is its chunk's, recorded below)
                message = f"Dask task failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"
                log.error("%s; its %d items are recorded as failed", message, len(chunk))
                results = on_error(chunk, message)
            future.release()
            yield from results
            submit_next(queue)


def dask_document_mapper(session: DaskSession, nlp_factory: Callable[[], Any]) -> Callable[[WorkDir, str, list[Document]], Iterator[DocumentOutcome]]:
    """An ``extract_stage`` mapper sending the pending documents to ``session``'s workers.

    When the plan says the batch is not worth a cluster (one worker, or few documents with the
    automatic worker count) they are extracted here with ``nlp_factory``'s pipeline.
    """

    def mapper(work: WorkDir, fingerprint: str, docs: list[Document]) -> Iterator[DocumentOutcome]:
        if not session.plan.wants_cluster(len(docs)):
            nlp = nlp_factory()
            for doc in docs:
                yield extract_and_store(work, fingerprint, nlp, doc)
            return
        from pipeline.stages.dask_tasks import extract_documents_batch

        plugin = session.ensure_plugin()

        def failed(chunk: list[Document], message: str) -> list[DocumentOutcome]:
            return [DocumentOutcome(doc.doc_id, error=message) for doc in chunk]

        ordered = longest_first(docs, lambda doc: len(doc.text))
        yield from session.stream(extract_documents_batch, (plugin, str(work.root.resolve()), fingerprint), batches(ordered, session.workers()), failed)

    return mapper


def extract_inputs_parallel(
    session: DaskSession, inputs: list[tuple[Path, Exception | None]], ids: dict[Path, str], *, progress: Progress | None = None
) -> list[InputResult]:
    """Every input's result, in input order, extracted on ``session``'s workers (``oncotriples extract``).

    Paths travel as given (messages name them so) and are opened by the workers, so a remote
    cluster needs the inputs on a shared filesystem at the same paths (absolute paths).
    """
    results: dict[int, InputResult] = {}
    readable: list[tuple[int, str, str]] = []
    for i, (path, error) in enumerate(inputs):
        if error is not None:
            results[i] = InputResult(failures=[ExtractionFailure(str(path), str(error))])
        else:
            readable.append((i, str(path), ids[path]))
    if progress:
        progress("extract", len(results), len(inputs))
    if readable:
        from pipeline.stages.dask_tasks import extract_inputs_batch

        plugin = session.ensure_plugin()

        def failed(chunk: list[tuple[int, str, str]], message: str) -> list[tuple[int, InputResult]]:
            return [(i, InputResult(failures=[ExtractionFailure(path, f"{path}: {message}")])) for i, path, _ in chunk]

        ordered = longest_first(readable, lambda item: _file_size(item[1]))
        for i, result in session.stream(extract_inputs_batch, (plugin,), batches(ordered, session.workers()), failed):
            results[i] = result
            if progress:
                progress("extract", len(results), len(inputs))
    return [results[i] for i in range(len(inputs))]


def _file_size(path: str) -> int:
    """Bytes of ``path`` as an estimate of its extraction cost; 0 when it cannot be read (its worker reports why)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def plan_for(settings: Settings | PipelineSettings) -> ParallelPlan:
    """Where extraction runs, from the resolved settings (``--workers``, ``--scheduler``)."""
    p = settings.pipeline if isinstance(settings, Settings) else settings
    return ParallelPlan(workers=p.workers, scheduler=p.scheduler, ner_model=p.ner_model, connect_timeout=p.scheduler_timeout)


def extract_files(paths: list[Path], settings: Settings, *, progress: Progress | None = None) -> ExtractionResult:
    """``oncotriples extract``: every input parsed and extracted, serially or on Dask workers, same result.

    Stateless by contract (no work directory): results come back to this process and are
    merged in input order. A model that is not installed raises before any output is written.
    """
    plan = plan_for(settings)
    inputs, ids = plan_inputs(paths)
    readable = sum(1 for _, error in inputs if error is None)
    if not plan.wants_cluster(readable):
        # imported here only: the client of a cluster never needs spaCy
        from extractors.nlp.build import build_nlp

        return extract_planned(inputs, ids, build_nlp(plan.ner_model), progress=progress)
    with DaskSession(plan) as session:
        return merge_input_results(extract_inputs_parallel(session, inputs, ids, progress=progress))
