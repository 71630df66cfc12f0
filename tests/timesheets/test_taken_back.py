"""A week's payment taken back outside Delegate, learnt by webhook: a card holder's dispute
holds the payout (whatever order the events come in, however often), and a refund made in
Stripe's dashboard gives up the platform's share of its fee, as a fixed contract's does."""

from __future__ import annotations

from datetime import timedelta

from marketplace.notifications.models import Frequency, Kind
from marketplace.notifications.services import save_preferences
from marketplace.payments.models import EntryKind
from marketplace.timesheets.models import TimesheetStatus
from tests.payments.helpers import connect_payouts, ledger
from tests.stripe_support import http
from tests.timesheets.helpers import sheet_of
from tests.timesheets.test_weekly_billing import (
    CHARGE_FAILS,
    CLOSED,
    VISA,
    WEEK,
    email_text,
    failed_week,
    kinds_for,
    pay_page,
    run,
    week_worked,
)


def charged_week(app, client, other_client, db_session, relay, time_machine):
    """A week of 6 h 30 min at $25/h charged ($162.50, fee $16.25); the assistant has no
    payout account yet, so the money waits with Delegate."""
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, relay, time_machine, payouts=False
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    relay.deliver(client)
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert (sheet.status, sheet.amount_cents, sheet.fee_cents) == (
        TimesheetStatus.CHARGED,
        16250,
        1625,
    )
    return assistant, contract_id, sheet


def dispute(relay, charge_id: str) -> None:
    status, _, body = http("POST", f"{relay.base_url}/_emulator/charges/{charge_id}/dispute")
    assert status == 200, body


def test_a_disputed_week_is_held_by_its_webhook_and_never_paid_out(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    assistant, contract_id, sheet = charged_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    # Turning email off does not hide withheld pay: the hold is an account notice.
    save_preferences(db_session, assistant, Frequency.OFF, 0.4)
    db_session.commit()
    dispute(stripe_relay, sheet.charge_id)
    [event] = [e for e in stripe_relay.events("charge.dispute.created")]
    stripe_relay.deliver(client, types={"charge.dispute.created"})
    stripe_relay.post_event(client, event)  # delivered twice: nothing more happens
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert "disputed by the card holder" in sheet.payout_hold
    for side in (client, other_client):  # both sides are told, on the week's page
        page = side.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
        assert "Payout on hold" in page and "disputed by the card holder" in page
    # The assistant is emailed once, however often the event came; the owner, who disputed
    # the payment, hears nothing new.
    assert kinds_for(db_session, assistant.id).count(Kind.PAYOUT_HELD) == 1
    assert Kind.PAYOUT_HELD not in kinds_for(db_session, sheet.contract.owner_id)
    held = email_text(app, db_session, assistant.id, Kind.PAYOUT_HELD)
    assert "Your payout for the week of Mon 07 Dec to Sun 13 Dec 2026 is on hold" in held
    assert "was disputed by the card holder; Delegate's support settles it." in held
    assert "your share of $146.25 for 6 h 30 min" in held

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    run(app, db_session)
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.CHARGED
    assert stripe_relay.transfers(contract_id) == []
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 16250), (EntryKind.FEE, 1625)]


def test_a_dispute_arriving_before_the_page_payment_it_contests_still_holds_it(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    """The week paid on Stripe's page after a failed charge is learnt from events alone: the
    dispute's comes first, when no week knows the payment yet."""
    _, contract_id, sheet = failed_week(
        app, client, other_client, db_session, stripe_relay, time_machine, CHARGE_FAILS
    )
    status, _, _ = stripe_relay.pay(pay_page(client, sheet), card=VISA)
    assert status == 303
    [intent] = [
        i
        for i in stripe_relay.client.v1.payment_intents.list(params={"limit": 100}).data
        if (i.metadata or {}).to_dict().get("timesheet_id") == str(sheet.id)
        and i.status == "succeeded"
    ]
    dispute(stripe_relay, intent.latest_charge)
    stripe_relay.deliver(client, types={"charge.dispute.created"})
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.CHARGE_FAILED
    stripe_relay.deliver(client)
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.CHARGED
    assert "disputed by the card holder" in sheet.payout_hold
    run(app, db_session)
    assert stripe_relay.transfers(contract_id) == []


def test_a_week_refunded_in_part_in_stripe_gives_up_the_same_share_of_the_fee(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, contract_id, sheet = charged_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    refunds = stripe_relay.client.v1.refunds
    refunds.create(params={"payment_intent": sheet.payment_intent_id, "amount": 6500})
    stripe_relay.deliver(client, types={"charge.refunded"})
    # $65 of $162.50 is 40%: 40% of the $16.25 fee is $6.50.
    assert (EntryKind.FEE_REVERSAL, 650) in ledger(db_session, contract_id)
    assert "refunded in Stripe" in sheet_of(db_session, contract_id, WEEK).payout_hold

    refunds.create(params={"payment_intent": sheet.payment_intent_id})  # the rest, later
    stripe_relay.deliver(client, types={"charge.refunded"})
    [event] = stripe_relay.events("charge.refunded")[-1:]
    stripe_relay.post_event(client, event)  # replayed: no second reversal
    entries = ledger(db_session, contract_id)
    assert [amount for kind, amount in entries if kind == EntryKind.REFUND] == [6500, 9750]
    reversed_cents = [amount for kind, amount in entries if kind == EntryKind.FEE_REVERSAL]
    assert reversed_cents == [650, 975] and sum(reversed_cents) == sheet.fee_cents
