"""Rate limits in tests: out of the way everywhere, small where a test is about them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from marketplace.rate_limits import RULES

# Tests sign up, log in and send far more often than people do, all from 127.0.0.1.
GENEROUS_LIMITS = {rule.setting: "100000 per minute" for rule in RULES}


@contextmanager
def rate_limits(app, **settings: str) -> Iterator[None]:
    """Small limits for one test, counted from zero; the generous ones again afterwards."""
    from marketplace.extensions import limiter

    before = {name: app.config[name] for name in settings}
    app.config.update(settings)
    limiter.reset()
    try:
        yield
    finally:
        app.config.update(before)
        limiter.reset()
