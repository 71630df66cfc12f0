"""The payment of an operator's settlement of disputed time taken back outside Delegate,
learnt by webhook, as a week's is (``tests/timesheets/test_taken_back.py``): a card holder's
dispute or a refund in Stripe's dashboard holds the assistant's share of the settlement
(whatever order the events come in, however often), the refunds and the fee's share given
up are in the ledger, the assistant is told once, and the console shows it."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.notifications.models import Kind, Notification
from marketplace.payments.models import EntryKind as K
from marketplace.timesheets.models import SettlementStatus
from tests.operator.test_settlement_money import (
    answers_lost,  # noqa: F401 (a fixture)
    settled_one_hour,
)
from tests.operator.test_timesheet_disputes import settlements
from tests.payments.helpers import connect_payouts, ledger
from tests.timesheets.test_taken_back import dispute
from tests.timesheets.test_weekly_billing import email_text, kinds_for, run

WEEK_CHARGED = [(K.CHARGE, 7500), (K.FEE, 750)]  # the approved week, not paid out either
HOUR_CHARGED = [(K.CHARGE, 2500), (K.FEE, 250)]  # one hour at $25, fee 10%, not paid out


def charged_hour(app, client, other_client, db_session, relay, time_machine):
    """One disputed hour paid by the owner ($25); the assistant has no payout account yet,
    so their $22.50 waits with Delegate."""
    owner, assistant, console, contract_id, sheet, _ = settled_one_hour(
        app, client, other_client, db_session, relay, time_machine, payouts=False
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED and settlement.payout_hold is None
    return assistant, console, contract_id, sheet, settlement


def held_notices(session, user_id: int) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification).where(
                Notification.user_id == user_id, Notification.kind == Kind.PAYOUT_HELD
            )
        )
    )


def test_a_disputed_settlement_charge_holds_its_payout_and_never_pays_it(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    assistant, console, contract_id, sheet, settlement = charged_hour(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    dispute(stripe_relay, settlement.charge_id)
    [event] = stripe_relay.events("charge.dispute.created")
    stripe_relay.deliver(client, types={"charge.dispute.created"})
    stripe_relay.post_event(client, event)  # delivered twice: nothing more happens
    stripe_relay.post_event(client, {**event, "id": event["id"] + "_again"})

    (settlement,) = settlements(db_session)
    assert "settled time was disputed by the card holder" in settlement.payout_hold
    assert settlement.status == SettlementStatus.CHARGED
    # The assistant is told once, through the same notice as a week's held payout.
    assert len(held_notices(db_session, assistant.id)) == 1
    assert Kind.PAYOUT_HELD not in kinds_for(db_session, sheet.contract.owner_id)
    held = email_text(app, db_session, assistant.id, Kind.PAYOUT_HELD)
    assert "Your payout of settled time for the week of Mon 07 Dec to Sun 13 Dec 2026" in held
    assert "your share of $22.50 for 1 h of disputed time settled by Delegate's support" in held
    page = other_client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Payout of the settled time on hold" in page and "disputed by the card holder" in page
    # The console: the decision's hold, and the event in the contract's history.
    week = console.get(f"/operator/timesheets/{sheet.id}").get_data(as_text=True)
    assert 'data-testid="settlement-payout-hold"' in week
    history = console.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert event["id"] in history and "Payout of settled time" not in history
    assert "after the payout" not in history  # the payout was held: nothing to chase

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    run(app, db_session)
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED and settlement.transfer_id is None
    # The week's own share goes out; the disputed settlement's does not.
    assert [t.amount for t in stripe_relay.transfers(contract_id)] == [6750]
    assert ledger(db_session, contract_id) == WEEK_CHARGED + HOUR_CHARGED + [(K.TRANSFER, 6750)]


def test_a_settlement_refunded_in_stripe_is_in_the_ledger_once_and_holds_its_payout(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    assistant, console, contract_id, sheet, settlement = charged_hour(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    refunds = stripe_relay.client.v1.refunds
    refunds.create(params={"payment_intent": settlement.payment_intent_id, "amount": 1000})
    stripe_relay.deliver(client, types={"charge.refunded"})
    (settlement,) = settlements(db_session)
    assert "settled time was refunded in Stripe" in settlement.payout_hold
    # $10 of $25 is 40%: 40% of the $2.50 fee is $1.
    assert ledger(db_session, contract_id) == WEEK_CHARGED + HOUR_CHARGED + [
        (K.REFUND, 1000),
        (K.FEE_REVERSAL, 100),
    ]

    refunds.create(params={"payment_intent": settlement.payment_intent_id})  # the rest, later
    stripe_relay.deliver(client, types={"charge.refunded"})
    for event in stripe_relay.events("charge.refunded"):  # replayed, under new ids too
        stripe_relay.post_event(client, event)
        stripe_relay.post_event(client, {**event, "id": event["id"] + "_again"})
    entries = ledger(db_session, contract_id)
    assert [cents for kind, cents in entries if kind == K.REFUND] == [1000, 1500]
    assert [cents for kind, cents in entries if kind == K.FEE_REVERSAL] == [100, 150]
    assert len(held_notices(db_session, assistant.id)) == 1
    history = console.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "charge.refunded" in history

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    run(app, db_session)
    assert [t.amount for t in stripe_relay.transfers(contract_id)] == [6750]  # the week's


def test_a_dispute_arriving_before_the_settlement_payment_it_contests_still_holds_it(
    app,
    client,
    other_client,
    db_session,
    stripe_relay,
    time_machine,
    answers_lost,  # noqa: F811
):
    """Stripe's answer to the settlement's charge was lost, so only its events tell us it
    was paid: the dispute's comes first, when no settlement knows the payment yet."""
    _, _, _, contract_id, _sheet, _ = settled_one_hour(
        app,
        client,
        other_client,
        db_session,
        stripe_relay,
        time_machine,
        answers_lost,  # noqa: F811
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGING
    [intent] = [
        i
        for i in stripe_relay.client.v1.payment_intents.list(params={"limit": 100}).data
        if "timesheet_dispute_id" in (i.metadata or {}).to_dict() and i.status == "succeeded"
    ]
    dispute(stripe_relay, intent.latest_charge)
    stripe_relay.deliver(client, types={"charge.dispute.created"})
    assert settlements(db_session)[0].status == SettlementStatus.CHARGING
    stripe_relay.deliver(client)  # payment_intent.succeeded and the rest
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED  # paid, and not paid out
    assert "disputed by the card holder" in settlement.payout_hold
    run(app, db_session)
    assert 2250 not in [t.amount for t in stripe_relay.transfers(contract_id)]
