"""A test client of the review page and its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from pipeline.stages.assertions import roll_up


def review_client(settings: Any) -> Any:
    from pipeline.curation.webapp import create_app

    app = create_app(settings, roll_up=roll_up, curator="tester")
    app.testing = True
    return app.test_client()


def csrf_token(client: Any) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True))
    assert m
    return m.group(1)
