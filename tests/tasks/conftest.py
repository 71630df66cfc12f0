"""Fixtures of the tests of what a worker keeps between requests (marketplace/microcache.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from marketplace import microcache


@pytest.fixture
def statements(app):
    """Every SQL statement sent from here on, its whitespace squeezed."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        seen.append(" ".join(statement.split()))

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def later(monkeypatch):
    """Move the caches' own timer forward, as the seconds between two visits would."""
    offset = [0.0]
    real = microcache._monotonic
    monkeypatch.setattr(microcache, "_monotonic", lambda: real() + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance
