"""Schemathesis fuzzes every operation of the API from its own OpenAPI document, against
the real database (SQLite, or PostgreSQL under TEST_DATABASE_URL): valid and invalid input,
with an owner's and an assistant's read-and-write tokens. Whatever it sends:

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
from marketplace.hiring.services import apply_to_task
from tests.api.support import bearer, token_for
from tests.factories import make_assistant, make_owner, make_task

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# What an assistant does; an owner's token is sent everywhere else.
ASSISTANT_PATHS = ("/api/v1/proposals", "/api/v1/me/profile", "/api/v1/me/jobs")


def _document() -> dict:
    """The API's document, from an app that is only wired (create_app has no side effects):
    operations must be known when pytest collects the tests. test_openapi checks that the
    served document is this one."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "openapi-only"})
    return openapi_document(app)


@pytest.fixture
def people(app, db_session, monkeypatch):
    """An owner with an open task, and an assistant with a profile who applied to it."""
    # Hypothesis posts far more tasks than an owner's daily allowance.
    monkeypatch.setitem(app.config, "TASK_POST_LIMITS", "100000 per hour")
    with app.app_context():  # the proposal's email job runs after the commit
        owner, assistant = make_owner(db_session), make_assistant(db_session)
        task = make_task(db_session, owner)
        note = "Ten years of books for shops like yours, and I start this week."
        apply_to_task(db_session, assistant, task.id, cover_note=note, proposed_rate_cents=2500)
        return {
            "owner": token_for(db_session, owner),
            "assistant": token_for(db_session, assistant),
        }


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
    case, app, people, db_session
):
    path = case.operation.path
    who = "assistant" if path.startswith(ASSISTANT_PATHS) else "owner"
    before = _row_counts(db_session)
    response = case.call_and_validate(app=app, headers=bearer(people[who]), checks=CHECKS)
    if 400 <= response.status_code < 500:
        assert _row_counts(db_session) == before, f"{response.status_code} {response.text}"
