from __future__ import annotations

import pytest

from marketplace import create_app

# Nothing listens here (the ports this project keeps for its own servers stay closed).
CLOSED_PORT = 5329


@pytest.fixture
def make_app(tmp_path):
    """An app of its own with some settings changed (a database or a Redis that is down)."""
    made = []

    def build(**settings):
        # No Redis unless given: CI's REDIS_URL would otherwise reach every app made here.
        app = create_app({"TESTING": True, "SECRET_KEY": "ops-test", "REDIS_URL": None, **settings})
        app.instance_path = str(tmp_path)
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["db"].engine.dispose()
