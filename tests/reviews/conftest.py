import pytest

from tests.apps import committed_test_app
from tests.notifications.mailbox import fresh_matcher_index, mailbox, smtp_app, smtp_server  # noqa: F401
from tests.payments.conftest import (  # noqa: F401
    committed_stripe_app,
    stripe_emulator,
    stripe_relay,
)


@pytest.fixture
def committed_app(database_url, tmp_path):
    """An app whose requests commit for real, for races between threads on committed rows."""
    with committed_test_app(database_url, tmp_path) as app:
        yield app
