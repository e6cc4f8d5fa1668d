"""Shared fixtures: the spaCy pipelines (built once per session), the shared data folder and the replay server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from replay_server import ReplayServer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder {SHARED} is not beside the project")
    return SHARED


@pytest.fixture(scope="session")
def nlp_rules():
    """The extraction pipeline without the statistical NER (lexicons + rules only)."""
    from extractors.nlp.build import build_nlp

    return build_nlp("none")


@pytest.fixture(scope="session")
def nlp_full():
    """The extraction pipeline with the bundled NER model."""
    from extractors.nlp.build import build_nlp

    return build_nlp("bundled")


@pytest.fixture(scope="module")
def replay_server(request: pytest.FixtureRequest) -> Iterator[ReplayServer]:
    """One local replay server per test module (see ``tests/replay_server.py``).

    A module sets ``REPLAY_SYNTHESIZE = True`` to have never-recorded well-formed NCT ids
    served as clones of recorded studies (paging tests); otherwise they answer 404.
    """
    with ReplayServer(synthesize=getattr(request.module, "REPLAY_SYNTHESIZE", False)) as srv:
        yield srv


@pytest.fixture()
def server(replay_server: ReplayServer) -> ReplayServer:
    """The module's replay server, reset for this test (no routes added by other tests, no faults, empty log)."""
    replay_server.reset()
    return replay_server
