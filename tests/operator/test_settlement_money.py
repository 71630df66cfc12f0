"""A dispute settlement's money when Stripe's answer to the charge is lost: its webhooks
(succeeded or failed, twice, late, out of order) finish it as they finish a week's charge,
the reconcile command finishes it when they are lost too, and the Money page counts it as
held until it is paid out. Through the real stripe library and the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe
from sqlalchemy import select

from marketplace.notifications.models import Kind, Notification
from marketplace.payments.cards import charge_saved_card, saved_card
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.models import EntryKind as K
from marketplace.timesheets.models import SettlementStatus
from marketplace.timesheets.settlement_money import payment_metadata
from tests.operator.helpers import audit_rows
from tests.operator.test_timesheet_disputes import (
    dispute_intents,
    disputed_week,
    settle,
    settlements,
)
from tests.payments.helpers import connect_payouts, ledger
from tests.timesheets.test_weekly_billing import CHARGE_FAILS, CLOSED, VISA, run, save_card

WEEK_ROWS = [(K.CHARGE, 7500), (K.FEE, 750), (K.TRANSFER, 6750)]  # the week as approved
ONE_HOUR = [(K.CHARGE, 2500), (K.FEE, 250), (K.TRANSFER, 2250)]  # $25, fee 10%


@pytest.fixture
def answers_lost(monkeypatch):
    """Once switched on: Stripe does the charge, but its answer never reaches us (a timeout on
    the way back). Off at first, so the week itself is charged as usual."""
    real = StripeGateway.charge_off_session
    lost = {"on": False}

    def charge_then_lose_the_answer(self, request):
        try:
            answer = real(self, request)
        except stripe.CardError:
            answer = None
        if lost["on"]:
            raise stripe.APIConnectionError("Timed out reading Stripe's answer")
        if answer is None:
            return real(self, request)  # the same key: Stripe replays its 402
        return answer

    monkeypatch.setattr(StripeGateway, "charge_off_session", charge_then_lose_the_answer)
    return lost


def settled_one_hour(app, client, other_client, db_session, relay, time_machine, lost=None, **kw):
    """The operator pays one of the week's disputed hours ($25); with ``lost``, Stripe's
    answer to that charge is lost."""
    owner, assistant, _operator, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, relay, time_machine, **kw
    )
    if lost is not None:
        lost["on"] = True
    response = settle(console, sheet, "pay", "all", "1", "0")
    assert response.status_code == 303
    return owner, assistant, console, contract_id, sheet, response


def owner_failure_notices(session, owner_id: int) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification).where(
                Notification.user_id == owner_id,
                Notification.kind == Kind.SETTLEMENT_CHARGE_FAILED,
            )
        )
    )


def test_a_charge_whose_answer_was_lost_is_finished_by_its_webhook_once(
    app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
):
    owner, _, console, contract_id, _sheet, response = settled_one_hour(
        app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
    )
    assert "not charged yet" in console.get(response.location).get_data(as_text=True)
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGING
    assert dispute_intents(stripe_relay) == {settlement.id: 2500}  # Stripe did charge
    assert ledger(db_session, contract_id) == WEEK_ROWS

    stripe_relay.deliver(client)  # payment_intent.succeeded and the rest
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED  # recorded, then paid out by its job
    assert settlement.payment_intent_id in {i.id for i in _intents(stripe_relay)}
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR
    assert [t.amount for t in stripe_relay.transfers(contract_id)].count(2250) == 1

    # Every event again, and in reverse: nothing moves twice.
    for event in reversed(stripe_relay.events()):
        assert (
            stripe_relay.post_event(client, {**event, "id": event["id"] + "_again"}).status_code
            == 200
        )
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR
    assert [t.amount for t in stripe_relay.transfers(contract_id)].count(2250) == 1
    assert _refunds(stripe_relay) == []
    actions = [e.action for e in audit_rows(db_session)]
    assert actions == ["timesheet_dispute.pay", "timesheet_dispute.settled"]


def test_a_decline_heard_only_from_stripe_waits_for_a_retry_and_late_events_change_nothing(
    app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
):
    owner, _, _, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    save_card(client, stripe_relay, CHARGE_FAILS)  # every charge declines
    answers_lost["on"] = True
    assert settle(console, sheet, "pay", "all", "1", "0").status_code == 303
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGING  # we do not know yet
    assert owner_failure_notices(db_session, owner.id) == []

    stripe_relay.deliver(client)  # payment_intent.payment_failed: the decline, told late
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGE_FAILED
    assert "declined" in settlement.last_error
    assert len(owner_failure_notices(db_session, owner.id)) == 1  # asked for a new card
    page = console.get(f"/operator/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Retry the settlement" in page
    failed_events = stripe_relay.events("payment_intent.payment_failed")

    answers_lost["on"] = False
    time_machine.move_to(CLOSED + timedelta(hours=2), tick=False)
    save_card(client, stripe_relay, VISA)
    retry = console.post(
        f"/operator/timesheet-settlements/{settlement.id}/retry", {"reason": "Owner saved a card"}
    )
    assert retry.status_code == 303
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED and settlement.charge_attempt == 1

    # The first attempt's failure comes again, late (a copy with a new id), then everything
    # else in reverse: the settled attempt is not failed, nothing is charged or told twice.
    for event in failed_events:
        late = {**event, "id": event["id"] + "_late"}
        assert stripe_relay.post_event(client, late).status_code == 200
    stripe_relay.deliver(client, reverse=True)
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED and settlement.last_error is None
    assert len(owner_failure_notices(db_session, owner.id)) == 1
    assert dispute_intents(stripe_relay) == {settlement.id: 2500}
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR


def test_reconcile_finishes_a_charge_whose_answer_and_webhooks_were_lost(
    app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
):
    _, _, _, contract_id, _sheet, _ = settled_one_hour(
        app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
    )
    answers_lost["on"] = False  # Stripe answers again; its webhooks are still not delivered
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "dispute settlements: charging 0, charge_failed 0, charged 0, settled 1" in (
        result.output
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED
    assert dispute_intents(stripe_relay) == {settlement.id: 2500}  # the same key: one charge
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR

    stripe_relay.deliver(client)  # the webhooks turn up after all
    again = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "settled 0" in again.output
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR
    assert [t.amount for t in stripe_relay.transfers(contract_id)].count(2250) == 1


def test_reconcile_a_day_after_stripe_forgot_the_key_still_charges_once(
    app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
):
    _, _, _, contract_id, _sheet, _ = settled_one_hour(
        app, client, other_client, db_session, stripe_relay, time_machine, answers_lost
    )
    answers_lost["on"] = False
    time_machine.move_to(CLOSED + timedelta(hours=25), tick=False)  # the key is forgotten
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "settled 1" in result.output, result.output
    (settlement,) = settlements(db_session)
    charges = [i for i in _intents(stripe_relay) if "timesheet_dispute_id" in i.metadata]
    assert [(i.id, i.amount) for i in charges] == [(settlement.payment_intent_id, 2500)]
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR


def test_a_second_payment_for_a_paid_settlement_is_refunded_in_full(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, _, _, contract_id, _sheet, _ = settled_one_hour(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED
    card = saved_card(db_session, owner.id)
    with app.app_context():
        from marketplace.payments.gateway import get_gateway

        duplicate = charge_saved_card(
            get_gateway(),
            customer_id=card.stripe_customer_id,
            payment_method_id=card.payment_method_id,
            amount_cents=2500,
            currency="USD",
            description="A second charge for the same settlement (a bug, an old worker)",
            idempotency_key=f"stray-{settlement.id}",
            metadata=payment_metadata(settlement.id, 7),
        )
    assert duplicate.succeeded
    stripe_relay.deliver(client)
    assert [(r.payment_intent, r.amount) for r in _refunds(stripe_relay)] == [
        (duplicate.payment_intent_id, 2500)
    ]
    (settlement,) = settlements(db_session)
    assert settlement.payment_intent_id != duplicate.payment_intent_id
    assert ledger(db_session, contract_id) == WEEK_ROWS + ONE_HOUR  # never in our books


def test_the_money_page_holds_a_charged_settlement_until_it_is_paid_out(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, _, contract_id, _sheet, _ = settled_one_hour(
        app, client, other_client, db_session, stripe_relay, time_machine, payouts=False
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED  # no Stripe account to pay yet

    def held(party, user) -> str:
        party.login_as(user)
        page = party.get("/ledger").get_data(as_text=True)
        return page.split('data-testid="held-USD">', 1)[1].split("<", 1)[0]

    # The week's $75 and the settlement's $25 paid by the owner; $67.50 + $22.50 coming.
    assert held(client, owner) == "$100"
    assert held(other_client, assistant) == "$90"
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    time_machine.move_to(CLOSED + timedelta(hours=1), tick=False)
    run(app, db_session)
    assert settlements(db_session)[0].status == SettlementStatus.SETTLED
    assert held(client, owner) == "$0"
    assert held(other_client, assistant) == "$0"


def _intents(relay):
    return relay.client.v1.payment_intents.list(params={"limit": 100}).data


def _refunds(relay):
    return list(relay.client.v1.refunds.list(params={"limit": 100}).data)


@pytest.mark.parametrize("taken_back", ["refunded", "disputed"])
def test_reconcile_holds_a_charged_settlement_taken_back_whose_webhook_never_came(
    app, client, other_client, db_session, stripe_relay, time_machine, taken_back
):
    from tests.timesheets.test_taken_back import dispute

    _, assistant, _, contract_id, _sheet, _ = settled_one_hour(
        app, client, other_client, db_session, stripe_relay, time_machine, payouts=False
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED  # its payout waits for an account
    stripe_relay.deliver(client)  # what happened so far; nothing after this is delivered
    if taken_back == "refunded":
        stripe_relay.client.v1.refunds.create(
            params={"payment_intent": settlement.payment_intent_id}
        )
    else:
        intent = stripe_relay.client.v1.payment_intents.retrieve(settlement.payment_intent_id)
        dispute(stripe_relay, intent.latest_charge)

    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "settled 0, payout held 1" in result.output, result.output
    (settlement,) = settlements(db_session)
    why = "refunded in Stripe" if taken_back == "refunded" else "disputed by the card holder"
    assert settlement.payout_hold is not None and why in settlement.payout_hold
    if taken_back == "refunded":  # in the books, the fee's share given up
        assert (K.REFUND, 2500) in ledger(db_session, contract_id)

    # The assistant can now be paid, yet the settled hour's share never goes out.
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    time_machine.move_to(CLOSED + timedelta(hours=1), tick=False)
    run(app, db_session)
    again = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "payout held 0" in again.output.split("dispute settlements:", 1)[1]
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED
    assert 2250 not in [t.amount for t in stripe_relay.transfers(contract_id)]
