"""One of everything a person acts on, for the fuzz tests (the API's and the HTML forms'):
an owner and an assistant with a proposal, a fixed contract waiting for its money and one
whose work waits for approval, an active hourly contract (the owner's card saved) with a
week in review and an entry in the week running, and a conversation with a message.
Built through the services, the Stripe emulator and the clock, as people would get there.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.contracts import submissions
from marketplace.contracts.models import ContractKind
from marketplace.contracts.services import hire, quote
from marketplace.db import today_in
from marketplace.hiring.services import apply_to_task
from marketplace.messages.services import open_conversation, post_message
from marketplace.tasks.models import BudgetType, Engagement
from marketplace.timesheets.models import Timesheet
from marketplace.timesheets.runner import run_due
from marketplace.timesheets.services import Entry, log_time, zone_of
from tests.api.support import bearer, token_for
from tests.factories import make_assistant, make_owner, make_task
from tests.timesheets.test_weekly_billing import save_card

NOTE = "Ten years of books for shops like yours, and I start this week."


@dataclass
class Scene:
    owner: User
    assistant: User
    tokens: dict[str, str]  # a read-and-write API token of each
    task_id: int
    proposal_id: int
    awaiting_funding_id: int  # a fixed contract
    submitted_id: int  # a fixed contract, funded, its work waiting for approval
    hourly_id: int
    timesheet_id: int  # the hourly contract's week in review
    entry_id: int  # an entry in the week running
    conversation_id: int
    message_id: int


def _hired(session, owner, assistant, kind=ContractKind.FIXED, **task):
    made = make_task(session, owner, **task)
    proposal = apply_to_task(session, assistant, made.id, cover_note=NOTE, proposed_rate_cents=2500)
    price = quote(proposal, 10, 1000)
    return proposal, hire(session, owner, proposal.id, 10, 1000, price.total_cents, kind)


def _log_today(session, assistant, contract):
    day = today_in(zone_of(assistant))
    return log_time(session, assistant, contract.id, Entry(day, 90, "Inbox to zero"))


MISSING = 999_999  # an id of nobody's


def people_only(app, client, session) -> Scene:
    """The owner and the assistant, with no work between them (every id nobody's): for
    forms about an account, which need none. ``client`` ends logged in as the owner."""
    with app.app_context():
        owner, assistant = make_owner(session), make_assistant(session)
        session.commit()
        tokens = {"owner": token_for(session, owner), "assistant": token_for(session, assistant)}
    client.login_as(owner)
    ids = dict.fromkeys([f.name for f in fields(Scene) if f.name.endswith("_id")], MISSING)
    return Scene(owner=owner, assistant=assistant, tokens=tokens, **ids)


def build_scene(app, client, session, relay, time_machine, *, money: bool = True) -> Scene:
    """``client`` ends logged in as the owner. With ``money`` (the Stripe emulator's part,
    most of the cost) the second fixed contract is funded and its work submitted, the
    owner's card is saved and the clock has moved past the hourly contract's first week
    (and ticks on); without it those contracts wait for their money and no week exists."""
    with app.app_context():  # the emails' and the charges' jobs run after each commit
        owner, assistant = make_owner(session), make_assistant(session)
        proposal, waiting = _hired(session, owner, assistant)
        _, delivered = _hired(session, owner, assistant, title="Quarterly VAT return")
        _, hourly = _hired(
            session,
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
        session.commit()
        tokens = {"owner": token_for(session, owner), "assistant": token_for(session, assistant)}
        client.login_as(owner)
        week_id = entry_id = MISSING
        if money:
            week_id, entry_id = _money(
                session, client, relay, time_machine, tokens, delivered, hourly
            )
        conversation = open_conversation(session, proposal.task, assistant.id)
        message = post_message(session, owner, conversation, "Welcome aboard!", [])
        session.commit()
    return Scene(
        owner=owner,
        assistant=assistant,
        tokens=tokens,
        task_id=proposal.task_id,
        proposal_id=proposal.id,
        awaiting_funding_id=waiting.id,
        submitted_id=delivered.id,
        hourly_id=hourly.id,
        timesheet_id=week_id,
        entry_id=entry_id,
        conversation_id=conversation.id,
        message_id=message.id,
    )


def _money(session, client, relay, time_machine, tokens, delivered, hourly) -> tuple[int, int]:
    """Fund ``delivered`` and submit its work; save the owner's card; log time in a week
    that then closes, and in the next. The week's id and the running entry's."""
    assistant = hourly.assistant
    paid = client.raw.post(
        f"/api/v1/contracts/{delivered.id}/checkout", headers=bearer(tokens["owner"])
    )
    relay.pay(paid.get_json()["url"])
    relay.deliver(client)
    submissions.submit(session, assistant, delivered.id, "The return is filed.")
    session.commit()
    save_card(client, relay)
    _log_today(session, assistant, hourly)
    session.commit()
    week = session.scalars(select(Timesheet).where(Timesheet.contract_id == hourly.id)).one()
    time_machine.move_to(week.closes_at + timedelta(minutes=1), tick=True)
    run_due(session)
    entry = _log_today(session, assistant, hourly)
    session.commit()
    return week.id, entry.id
