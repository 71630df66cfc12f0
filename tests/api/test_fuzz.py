"""Schemathesis fuzzes every operation of the API from its own OpenAPI document, against
the real database (SQLite, or PostgreSQL under TEST_DATABASE_URL) and the Stripe emulator:
valid and invalid input, with an owner's and an assistant's read-and-write tokens, on real
objects of theirs (see ``scene``) and on ids of nobody's. Whatever it sends:

- no response is a 5xx;
- every response's status, content type, headers and body match the document;
- a refused request (4xx) leaves every table as it was: nothing half stored.
"""

from __future__ import annotations

from datetime import timedelta

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
from marketplace.contracts import submissions
from marketplace.contracts.models import ContractKind
from marketplace.contracts.services import hire, quote
from marketplace.db import Base, today_in
from marketplace.hiring.services import apply_to_task
from marketplace.messages.services import open_conversation, post_message
from marketplace.tasks.models import BudgetType, Engagement
from marketplace.timesheets.models import Timesheet
from marketplace.timesheets.runner import run_due
from marketplace.timesheets.services import Entry, log_time, zone_of
from tests.api.support import bearer, token_for
from tests.factories import make_assistant, make_owner, make_task
from tests.timesheets.test_weekly_billing import save_card

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
NOTE = "Ten years of books for shops like yours, and I start this week."


def _document() -> dict:
    """The API's document, from an app that is only wired (create_app has no side effects):
    operations must be known when pytest collects the tests. test_openapi checks that the
    served document is this one."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "openapi-only"})
    return openapi_document(app)


def _hired(session, owner, assistant, kind=ContractKind.FIXED, **task):
    made = make_task(session, owner, **task)
    proposal = apply_to_task(session, assistant, made.id, cover_note=NOTE, proposed_rate_cents=2500)
    price = quote(proposal, 10, 1000)
    return proposal, hire(session, owner, proposal.id, 10, 1000, price.total_cents, kind)


def _log_today(session, assistant, contract):
    day = today_in(zone_of(assistant))
    return log_time(session, assistant, contract.id, Entry(day, 90, "Inbox to zero"))


@pytest.fixture
def scene(app, client, db_session, stripe_relay, time_machine, monkeypatch):
    """An owner and an assistant with one of everything the API acts on, so that half of
    the generated ids (the even ones) name a real object of theirs: a proposal, a fixed
    contract waiting for its money and one whose work waits for approval, an active hourly
    contract (the owner's card saved) with a week in review and an entry in the week
    running, and a conversation. Odd ids stay as generated: mostly nobody's."""
    # Hypothesis posts far more tasks than an owner's daily allowance.
    monkeypatch.setitem(app.config, "TASK_POST_LIMITS", "100000 per hour")
    with app.app_context():  # the emails' and the charges' jobs run after each commit
        owner, assistant = make_owner(db_session), make_assistant(db_session)
        proposal, waiting = _hired(db_session, owner, assistant)
        _, delivered = _hired(db_session, owner, assistant, title="Quarterly VAT return")
        _, hourly = _hired(
            db_session,
            owner,
            assistant,
            ContractKind.HOURLY,
            title="Inbox, ten hours a week",
            engagement=Engagement.RECURRING,
            estimated_hours=None,
            hours_per_week=10,
            budget_type=BudgetType.HOURLY,
            budget_cents=None,
            max_hourly_rate_cents=4000,
        )
        db_session.commit()
        tokens = {
            "owner": token_for(db_session, owner),
            "assistant": token_for(db_session, assistant),
        }
        paid = client.raw.post(
            f"/api/v1/contracts/{delivered.id}/checkout", headers=bearer(tokens["owner"])
        )
        stripe_relay.pay(paid.get_json()["url"])
        stripe_relay.deliver(client)
        submissions.submit(db_session, assistant, delivered.id, "The return is filed.")
        db_session.commit()
        client.login_as(owner)
        save_card(client, stripe_relay)
        _log_today(db_session, assistant, hourly)
        db_session.commit()
        week = db_session.scalars(select(Timesheet).where(Timesheet.contract_id == hourly.id)).one()
        time_machine.move_to(week.closes_at + timedelta(minutes=1), tick=True)
        run_due(db_session)
        entry = _log_today(db_session, assistant, hourly)
        conversation = open_conversation(db_session, proposal.task, assistant.id)
        post_message(db_session, owner, conversation, "Welcome aboard!", [])
        db_session.commit()
    return {
        **tokens,
        "proposal_id": proposal.id,
        "task_id": proposal.task_id,
        "timesheet_id": week.id,
        "entry_id": entry.id,
        "conversation_id": conversation.id,
        "hourly_id": hourly.id,
        # The fixed contract each action can apply to; the hourly one for the others.
        "contracts": {
            "/checkout": waiting.id,
            "/cancel": waiting.id,
            "/submit": delivered.id,
            "/approve": delivered.id,
            "/request-changes": delivered.id,
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
