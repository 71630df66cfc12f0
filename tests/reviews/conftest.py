import pytest

from marketplace import create_app
from tests.db_utils import empty_all_tables
from tests.notifications.mailbox import fresh_matcher_index, mailbox, smtp_app, smtp_server  # noqa: F401
from tests.payments.conftest import (  # noqa: F401
    committed_stripe_app,
    stripe_emulator,
    stripe_relay,
)


@pytest.fixture
def committed_app(database_url, tmp_path):
    """An app whose requests commit for real, for races between threads on committed rows."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "committed",
            "TESTING": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "100000 per minute",
        }
    )
    app.instance_path = str(tmp_path)
    yield app
    empty_all_tables(app.extensions["db"].engine)
    app.extensions["db"].engine.dispose()
