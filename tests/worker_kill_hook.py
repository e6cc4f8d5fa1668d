"""A Dask worker preload that SIGKILLs the worker process once, when it starts extracting a document.

Test-only fault injection, kept out of the pipeline: a test sets
``DASK_DISTRIBUTED__WORKER__PRELOAD='["tests/worker_kill_hook.py"]'`` and ``KILL_HOOK_MARKER``
(a file path) in the job's environment. The first worker to start a document creates the marker
and kills itself before the document's output is written; the marker keeps the restarted worker
and every other one alive, so the scheduler's handling of a dead worker is what is tested.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

MARKER_ENV = "KILL_HOOK_MARKER"
SCRIPT = Path(__file__).resolve()


def dask_setup(worker: Any) -> None:
    from pipeline.stages import extract

    original = extract.extract_document

    def killing_extract_document(*args: Any, **kwargs: Any) -> Any:
        marker = Path(os.environ[MARKER_ENV])
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return original(*args, **kwargs)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable: the worker was killed")

    extract.extract_document = killing_extract_document
