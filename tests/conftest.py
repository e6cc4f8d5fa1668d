"""Shared fixtures: the spaCy pipelines (built once per session) and the shared data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

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
