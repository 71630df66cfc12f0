"""Schemathesis fuzzes every operation of the API from its own OpenAPI document, against
the real database (SQLite, or PostgreSQL under TEST_DATABASE_URL) and the Stripe emulator:
valid and invalid input, with an owner's and an assistant's read-and-write tokens, on real
objects of theirs (see ``scene``) and on ids of nobody's. Whatever it sends:

- no response is a 5xx;
- every response's status, content type, headers and body match the document;
- a refused request (4xx) leaves every table as it was: nothing half stored.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.api import openapi_document
from marketplace.db import Base
from tests.api.support import bearer
from tests.fuzz_scene import build_scene

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# What an assistant does; an owner's token is sent everywhere else.
ASSISTANT_PATHS = (
    "/api/v1/proposals",
    "/api/v1/me/profile",
    "/api/v1/me/jobs",
    "/api/v1/time-entries/",
)
ASSISTANT_ACTIONS = ("/submit", "/time-entries")


def _document() -> dict:
    """The API's document, from an app that is only wired (create_app has no side effects):
    operations must be known when pytest collects the tests. test_openapi checks that the
    served document is this one."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "openapi-only"})
    return openapi_document(app)


@pytest.fixture
def scene(app, client, db_session, stripe_relay, time_machine, monkeypatch):
    """The fuzz scene (tests/fuzz_scene.py), so that half of the generated ids (the even
    ones) name a real object of the owner's and the assistant's; odd ids stay as generated,
    mostly nobody's."""
    # Hypothesis posts far more tasks than an owner's daily allowance.
    monkeypatch.setitem(app.config, "TASK_POST_LIMITS", "100000 per hour")
    made = build_scene(app, client, db_session, stripe_relay, time_machine)
    return {
        **made.tokens,
        "proposal_id": made.proposal_id,
        "task_id": made.task_id,
        "timesheet_id": made.timesheet_id,
        "entry_id": made.entry_id,
        "conversation_id": made.conversation_id,
        "hourly_id": made.hourly_id,
        # The fixed contract each action can apply to; the hourly one for the others.
        "contracts": {
            "/checkout": made.awaiting_funding_id,
            "/cancel": made.awaiting_funding_id,
            "/submit": made.submitted_id,
            "/approve": made.submitted_id,
            "/request-changes": made.submitted_id,
        },
    }


def _real_ids(case, scene) -> None:
    """Even generated ids become the scene's objects of that kind (see ``scene``)."""
    for name, value in list((case.path_parameters or {}).items()):
        if not isinstance(value, int) or value % 2:
            continue
        if name == "contract_id":
            action = next((a for a in scene["contracts"] if case.path.endswith(a)), None)
            case.path_parameters[name] = scene["contracts"].get(action, scene["hourly_id"])
        elif name in scene:
            case.path_parameters[name] = scene[name]


def _row_counts(session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_a_5xx_an_undocumented_answer_or_a_half_stored_change(
    case, app, scene, db_session
):
    path = case.operation.path
    assistants = path.startswith(ASSISTANT_PATHS) or path.endswith(ASSISTANT_ACTIONS)
    _real_ids(case, scene)
    before = _row_counts(db_session)
    headers = bearer(scene["assistant" if assistants else "owner"])
    with app.app_context():  # what a request leaves to jobs runs after its commit
        response = case.call_and_validate(app=app, headers=headers, checks=CHECKS)
    if 400 <= response.status_code < 500:
        assert _row_counts(db_session) == before, f"{response.status_code} {response.text}"
