"""Two operators settling the same dispute at the same moment, on committed data in separate
connections: one refund. PostgreSQL serialises them with the contract's row lock and the
compare-and-set; SQLite with BEGIN IMMEDIATE and the same compare-and-set."""

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from marketplace.operator.models import AuditEntry, Resolution
from marketplace.payments.gateway import get_gateway
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from tests.concurrency import together
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import checkout_url, hire_response
from tests.stripe_support import StripeRelay


def _logged_in(app, user_id) -> Client:
    client = Client(app.test_client())
    with app.app_context():
        client.login_as(get_session().get(User, user_id))
    return client


def at_once(clients: list[Client], url: str | list[str], data: dict) -> list[int]:
    """Each client posts the form at the same moment (each with its CSRF token), to the one
    url or to its own; the status codes they got."""
    tokens = [c.csrf_token() for c in clients]
    urls = [url] * len(clients) if isinstance(url, str) else url

    def post(c: Client, token: str, to: str):
        return lambda: c.raw.post(to, data={"csrf_token": token, **data}).status_code

    return together(*(post(*t) for t in zip(clients, tokens, urls)))  # noqa: B905


def test_two_operators_refunding_at_once_make_one_refund(committed_stripe_app, stripe_emulator):
    relay = StripeRelay(stripe_emulator)
    with committed_stripe_app.app_context():
        session = get_session()
        owner, assistant = make_owner(session), make_assistant(session)
        ops = [make_owner(session, is_operator=True) for _ in range(2)]
        task = make_task(session, owner)
        proposal = apply_to_task(
            session, assistant, task.id, cover_note="x" * 30, proposed_rate_cents=2500
        )
        session.commit()
        owner_id, assistant_id, proposal_id = owner.id, assistant.id, proposal.id
        op_ids = [o.id for o in ops]

    owner_client = _logged_in(committed_stripe_app, owner_id)
    va_client = _logged_in(committed_stripe_app, assistant_id)
    contract_id = int(hire_response(owner_client, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner_client, contract_id))
    relay.deliver(owner_client)
    va_client.post("/payouts/connect")
    with committed_stripe_app.app_context():
        relay.onboard(get_session().get(PayoutAccount, assistant_id).stripe_account_id)
    relay.deliver(owner_client)

    statuses = at_once(
        [_logged_in(committed_stripe_app, op_id) for op_id in op_ids],
        f"/operator/contracts/{contract_id}/resolve",
        {
            "outcome": "refund",
            "refund": "40",
            "note": "Refunding the first two hours.",
            "reason": "Ticket 7, both operators on it",
        },
    )
    assert sorted(statuses) == [303, 409]
    with committed_stripe_app.app_context():
        session = get_session()
        settled = session.get(Contract, contract_id)
        facts = get_gateway().payment_facts(settled.payment_intent_id)
        assert [cents for _, cents in facts.refunds] == [4000]  # Stripe: one refund of $40
        refunds = session.scalars(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.contract_id == contract_id, LedgerEntry.kind == EntryKind.REFUND
            )
        ).all()
        assert refunds == [4000]
        assert settled.status == ContractStatus.PAID
        assert len(session.scalars(select(Resolution)).all()) == 1
        decided = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dispute.refund")
        ).all()
        assert len(decided) == 1
    # $100 paid, $40 back, fee $10 of which $4 is given up: $60 - $6 = $54 to the assistant.
    assert [t.amount for t in relay.transfers(contract_id)] == [5400]


def test_two_operators_settling_a_disputed_week_at_once_charge_once(
    committed_stripe_app, stripe_emulator, time_machine
):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from marketplace.timesheets.models import DisputeSettlement, Timesheet
    from marketplace.timesheets.runner import run_due
    from tests.timesheets.helpers import hire_hourly, hourly_scene, log
    from tests.timesheets.test_weekly_billing import CLOSED, save_card

    app, relay = committed_stripe_app, StripeRelay(stripe_emulator)
    time_machine.move_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), tick=False)
    with app.app_context():
        session = get_session()
        owner, assistant, proposal = hourly_scene(session)
        ops = [make_owner(session, is_operator=True) for _ in range(2)]
        session.commit()
        owner_id, assistant_id, proposal_id = owner.id, assistant.id, proposal.id
        op_ids = [o.id for o in ops]
    owner_client = _logged_in(app, owner_id)
    va_client = _logged_in(app, assistant_id)
    contract_id = hire_hourly(owner_client, SimpleNamespace(id=proposal_id))
    save_card(owner_client, relay)
    va_client.post("/payouts/connect")
    with app.app_context():
        relay.onboard(get_session().get(PayoutAccount, assistant_id).stripe_account_id)
    relay.deliver(owner_client)
    time_machine.move_to(datetime(2026, 12, 9, 12, 0, tzinfo=UTC), tick=False)
    for day in ("2026-12-07", "2026-12-08"):
        assert log(va_client, contract_id, day, 2).status_code == 302
    time_machine.move_to(CLOSED, tick=False)
    with app.app_context():
        run_due(get_session())
        sheet = get_session().scalars(select(Timesheet)).one()
        sheet_id, (first, second) = sheet.id, [e.id for e in sheet.entries]
    reviewed = owner_client.post(
        f"/timesheets/{sheet_id}/review", {"approve": [str(first)], f"reason-{second}": "No"}
    )
    assert reviewed.status_code == 302

    statuses = at_once(
        [_logged_in(app, op_id) for op_id in op_ids],
        f"/operator/timesheets/{sheet_id}/settle",
        {
            "entry": "all",
            "outcome": "pay",
            "hours": "1",
            "minutes": "0",
            "note": "One of the two hours was asked for.",
            "reason": "Ticket 9, both operators on it",
        },
    )
    assert sorted(statuses) == [303, 409]
    intents = relay.client.v1.payment_intents.list(params={"limit": 100}).data
    paid = [i.amount for i in intents if "timesheet_dispute_id" in (i.metadata or {}).to_dict()]
    assert paid == [2500]  # Stripe: one charge of one hour at $25
    with app.app_context():
        session = get_session()
        assert len(session.scalars(select(DisputeSettlement)).all()) == 1
        charges = session.scalars(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.contract_id == contract_id, LedgerEntry.kind == EntryKind.CHARGE
            )
        ).all()
        assert sorted(charges) == [2500, 5000]  # the week's 2 h and the settlement's 1 h
        decided = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "timesheet_dispute.pay")
        ).all()
        assert len(decided) == 1
    # 10% fee: the week's $45 and the settlement's $22.50.
    assert sorted(t.amount for t in relay.transfers(contract_id)) == [2250, 4500]


def test_two_operators_acting_on_one_report_at_once_make_one_outcome(committed_app):
    """One removes the message while the other suspends its sender: one of them wins, the
    other is told the report was handled, and only the winner's action happened."""
    from marketplace.messages.models import Message, MessageReport
    from marketplace.messages.services import open_conversation
    from marketplace.reports.models import ReportOutcome

    with committed_app.app_context():
        session = get_session()
        owner, assistant = make_owner(session), make_assistant(session)
        ops = [make_owner(session, is_operator=True) for _ in range(2)]
        conversation = open_conversation(session, make_task(session, owner), assistant.id)
        message = Message(conversation_id=conversation.id, sender_id=assistant.id, body="Pay cash")
        session.add(message)
        session.flush()
        report = MessageReport(message_id=message.id, reporter_id=owner.id, reason="Off-site")
        session.add(report)
        session.commit()
        ids = (assistant.id, message.id, report.id, [o.id for o in ops])
    assistant_id, message_id, report_id, op_ids = ids

    urls = [f"/operator/message-reports/{report_id}/{action}" for action in ("remove", "suspend")]
    statuses = at_once(
        [_logged_in(committed_app, op_id) for op_id in op_ids],
        urls,
        {"reason": "Ticket 31, both operators on it"},
    )
    assert sorted(statuses) == [303, 409]
    with committed_app.app_context():
        session = get_session()
        (acted,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith("report."))
        ).all()  # one audit row that changed the report's state
        outcome = session.get(MessageReport, report_id).outcome
        assert acted.action == f"report.{outcome.value}"
        removed = session.get(Message, message_id).removed_at is not None
        suspended = session.get(User, assistant_id).suspended_at is not None
        assert (removed, suspended) == (
            (True, False) if outcome == ReportOutcome.REMOVED else (False, True)
        )
        suspensions = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.suspend")
        ).all()
        assert len(suspensions) == int(suspended)


def test_two_operators_resolving_one_milestone_at_once_make_one_resolution(
    committed_stripe_app, stripe_emulator, time_machine
):
    """Both refund $40 of milestone 1 of a contract paid a milestone at a time: one refund
    and one transfer in Stripe, one resolution with its audit row, one email to each party;
    the other operator is told someone is settling it."""
    from marketplace.contracts.models import Milestone, MilestoneStatus
    from marketplace.notifications.models import Kind, Notification
    from tests.contracts.helpers import START, submit
    from tests.contracts.test_milestones import TWO, hire_in_parts
    from tests.payments.helpers import proposal_scene

    app, relay = committed_stripe_app, StripeRelay(stripe_emulator)
    time_machine.move_to(START, tick=False)
    with app.app_context():
        session = get_session()
        owner, assistant, proposal = proposal_scene(session)  # 10 h at $25: $250
        ops = [make_owner(session, is_operator=True) for _ in range(2)]
        session.commit()
        owner_id, assistant_id, proposal_id = owner.id, assistant.id, proposal.id
        op_ids = [o.id for o in ops]
    owner_client = _logged_in(app, owner_id)
    va_client = _logged_in(app, assistant_id)
    hired = hire_in_parts(owner_client, proposal_id, TWO)  # $150, then $100
    assert hired.status_code == 302, hired.get_data(as_text=True)
    contract_id = int(hired.location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner_client, contract_id))
    relay.deliver(owner_client)
    va_client.post("/payouts/connect")
    with app.app_context():
        relay.onboard(get_session().get(PayoutAccount, assistant_id).stripe_account_id)
    relay.deliver(owner_client)
    assert submit(va_client, contract_id, "The draft chart, half done.").status_code == 302

    statuses = at_once(
        [_logged_in(app, op_id) for op_id in op_ids],
        f"/operator/contracts/{contract_id}/milestones/1/resolve",
        {
            "outcome": "refund",
            "refund": "40",
            "note": "Half of the chart was delivered.",
            "reason": "Ticket 12, both operators on it",
        },
    )
    assert sorted(statuses) == [303, 409]
    with app.app_context():
        session = get_session()
        first = session.scalars(
            select(Milestone).where(Milestone.contract_id == contract_id, Milestone.number == 1)
        ).one()
        assert first.status == MilestoneStatus.PAID
        refunds = relay.client.v1.refunds.list(params={"payment_intent": first.payment_intent_id})
        assert [r.amount for r in refunds.data] == [4000]  # Stripe: one refund of $40
        ledger_refunds = session.scalars(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.contract_id == contract_id, LedgerEntry.kind == EntryKind.REFUND
            )
        ).all()
        assert ledger_refunds == [4000]
        assert len(session.scalars(select(Resolution)).all()) == 1
        decided = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dispute.refund")
        ).all()
        assert len(decided) == 1 and decided[0].details["subject"] == f"milestone:{first.id}"
        emails = session.scalars(
            select(Notification.user_id).where(Notification.kind == Kind.DISPUTE_RESOLVED)
        ).all()
        assert sorted(emails) == sorted([owner_id, assistant_id])  # one each
        assert session.get(Contract, contract_id).resolution_started_at is None
    # $150 paid, $40 back, fee $15 of which $4 is given up: $110 - $11 = $99 to the assistant.
    assert [t.amount for t in relay.transfers(contract_id)] == [9900]
