"""Fixtures: the Stripe emulator in a thread; events are relayed to the app by the test (see
StripeRelay). A plugin of the whole suite (tests/conftest.py's pytest_plugins)."""

from __future__ import annotations

import pytest

from devtools.stripe_emulator import run_in_thread
from tests.apps import committed_test_app
from tests.stripe_support import API_KEY, SECRET, StripeRelay, http


@pytest.fixture(scope="session")
def stripe_emulator():
    handle = run_in_thread(port=0, webhook_secret=SECRET)  # no URL: events are only recorded
    yield handle
    handle.stop()


@pytest.fixture
def stripe_relay(app, stripe_emulator):
    status, _, _ = http("POST", f"{stripe_emulator.base_url}/_emulator/reset")
    assert status == 200
    saved = {
        k: app.config.get(k)
        for k in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")
    }
    app.config.update(
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_API_BASE=stripe_emulator.base_url,
    )
    app.extensions.pop("stripe_gateway", None)
    yield StripeRelay(stripe_emulator)
    app.config.update(saved)
    app.extensions.pop("stripe_gateway", None)


@pytest.fixture
def committed_stripe_app(database_url, tmp_path, stripe_emulator):
    """An app of its own whose requests commit for real (no rolled-back test transaction),
    on the Stripe emulator: for races between threads on committed rows."""
    http("POST", f"{stripe_emulator.base_url}/_emulator/reset")
    with committed_test_app(
        database_url,
        tmp_path,
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_API_BASE=stripe_emulator.base_url,
    ) as app:
        yield app
