"""An operator settles the time an owner disputed on an hourly week: pays the assistant for all
or part of it (the owner's saved card charged off-session, through the real stripe library and
the emulator) or upholds the dispute; both parties are emailed the note and see the outcome."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.payments.models import EntryKind as K
from marketplace.timesheets.models import DisputeSettlement, SettlementStatus, TimeEntry
from tests.conftest import Client
from tests.notifications.mailbox import body_html, body_text
from tests.operator.helpers import audit_rows, make_operator
from tests.payments.helpers import connect_payouts, ledger
from tests.timesheets.helpers import sheet_of
from tests.timesheets.test_weekly_billing import (
    CHARGE_FAILS,
    CLOSED,
    VISA,
    WEEK,
    run,
    save_card,
    week_worked,
)

NOTE = "The inbox log shows the Tuesday work; half of it was asked for."


def disputed_week(app, client, other_client, db_session, relay, time_machine, payouts=True):
    """Mon 3 h approved; Tue 2 h 30 and Wed 1 h disputed by the owner ($25/h, fee 10%)."""
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, relay, time_machine, payouts=payouts
    )
    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    mon, tue, wed = sheet.entries
    response = client.post(
        f"/timesheets/{sheet.id}/review",
        {
            "approve": [str(mon.id)],
            f"reason-{tue.id}": "Not what I asked for",
            f"reason-{wed.id}": "I did this myself",
        },
    )
    assert response.status_code == 302
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.amount_cents == 7500  # the 3 undisputed hours only
    operator = make_operator(db_session)
    console = Client(app.test_client())
    console.login_as(operator)
    return owner, assistant, operator, console, contract_id, sheet


def settle(console, sheet, outcome, entry="all", hours="", minutes="", **kw):
    data = {
        "entry": str(entry),
        "outcome": outcome,
        "hours": hours,
        "minutes": minutes,
        "note": kw.get("note", NOTE),
        "reason": kw.get("reason", "Dispute ticket 51"),
    }
    return console.post(f"/operator/timesheets/{sheet.id}/settle", data)


def dispute_intents(relay):
    """The succeeded PaymentIntents Stripe has for settlements: {settlement id: amount}."""
    intents = relay.client.v1.payment_intents.list(params={"limit": 100}).data
    return {
        int(meta["timesheet_dispute_id"]): i.amount
        for i in intents
        if "timesheet_dispute_id" in (meta := (i.metadata or {}).to_dict())
        and i.status == "succeeded"
    }


def queued(console, sheet) -> bool:
    """Whether the console's home lists the week among the disputed time to settle."""
    home = console.get("/operator/").get_data(as_text=True)
    queue = home[home.index('id="disputed-weeks"') :]
    return f'href="/operator/timesheets/{sheet.id}"' in queue[: queue.index("</section>")]


def settlements(session) -> list[DisputeSettlement]:
    session.expire_all()
    return list(session.scalars(select(DisputeSettlement).order_by(DisputeSettlement.id)))


def test_paying_part_of_one_entry_then_upholding_the_rest(
    app, client, other_client, db_session, stripe_relay, time_machine, smtp_app, mailbox
):
    owner, assistant, operator, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    _, tue, wed = sheet.entries
    assert queued(console, sheet)
    contract_page = console.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert f"Settle the week of {WEEK:%d %b %Y}" in contract_page
    page = console.get(f"/operator/timesheets/{sheet.id}").get_data(as_text=True)
    assert "All the week's disputed time not yet settled (3 h 30 min)" in page

    # 1 h 30 min of Tuesday's 2 h 30: $37.50 charged, fee $3.75, $33.75 to the assistant.
    response = settle(console, sheet, "pay", tue.id, "1", "30")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Settled" in console.get(response.location).get_data(as_text=True)
    (paid,) = settlements(db_session)
    assert (paid.minutes, paid.amount_cents, paid.fee_cents) == (90, 3750, 375)
    assert paid.status == SettlementStatus.SETTLED
    assert dispute_intents(stripe_relay) == {paid.id: 3750}
    transfers = {t.id: t for t in stripe_relay.transfers(contract_id)}
    assert transfers[paid.transfer_id].amount == 3375
    assert transfers[paid.transfer_id].source_transaction == paid.charge_id
    expected = [
        (K.CHARGE, 7500), (K.FEE, 750), (K.TRANSFER, 6750),  # the week as approved
        (K.CHARGE, 3750), (K.FEE, 375), (K.TRANSFER, 3375),  # the settlement
    ]  # fmt: skip
    assert ledger(db_session, contract_id) == expected
    # The ledger agrees with Stripe's objects, to the cent.
    charged = sum(c for k, c in expected if k == K.CHARGE)
    intent = stripe_relay.client.v1.payment_intents.retrieve(sheet.payment_intent_id)
    assert charged == intent.amount + sum(dispute_intents(stripe_relay).values())
    assert sum(t.amount for t in transfers.values()) == 6750 + 3375

    owner_view = client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Disputed — settled by Delegate: paid 1 h 30 min ($37.50 charged to your card)" in (
        owner_view
    )
    assert "Delegate's support settles this disputed time." in owner_view  # Wednesday
    va_view = other_client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Disputed — settled by Delegate: paid 1 h 30 min ($33.75 to you)" in va_view
    assert queued(console, sheet)  # Wednesday still waits

    assert settle(console, sheet, "uphold", "all").status_code == 303
    paid, upheld = settlements(db_session)
    assert upheld.status == SettlementStatus.SETTLED and upheld.amount_cents == 0
    assert [e.id for e in upheld.entries] == [wed.id]
    assert dispute_intents(stripe_relay) == {paid.id: 3750}  # nothing more charged
    assert len(ledger(db_session, contract_id)) == 6
    assert "Disputed — settled by Delegate: upheld" in other_client.get(
        f"/timesheets/{sheet.id}"
    ).get_data(as_text=True)
    assert not queued(console, sheet)
    assert "Settle the week of" not in console.get(f"/operator/contracts/{contract_id}").get_data(
        as_text=True
    )

    stripe_relay.deliver(client)  # Stripe's events for the settlement change nothing
    assert len(ledger(db_session, contract_id)) == 6

    for person, line in [
        (owner, "$37.50 is charged to your card"),
        (assistant, "you receive $33.75"),
    ]:
        mails = [
            m for m in mailbox.to(person.email) if "support settled the disputed" in m["Subject"]
        ]
        assert len(mails) == 2, [m["Subject"] for m in mailbox.to(person.email)]
        paid_mail, upheld_mail = mails
        assert line in body_text(paid_mail) and NOTE in body_text(paid_mail)
        assert NOTE in body_html(paid_mail)
        assert "The dispute is upheld: nothing is charged" in body_text(upheld_mail)

    actions = [(e.action, e.operator_id, e.target_id) for e in audit_rows(db_session)]
    assert actions == [
        ("timesheet_dispute.pay", operator.id, sheet.id),
        ("timesheet_dispute.settled", operator.id, sheet.id),
        ("timesheet_dispute.uphold", operator.id, sheet.id),
    ]
    decided = audit_rows(db_session, "timesheet_dispute.pay")[0]
    assert decided.reason == "Dispute ticket 51"
    assert decided.details["amount_cents"] == 3750 and decided.details["entries"] == [tue.id]


def test_a_declined_card_waits_for_a_new_card_and_a_retry_then_charges_once(
    app, client, other_client, db_session, stripe_relay, time_machine, smtp_app, mailbox
):
    owner, _, operator, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    save_card(client, stripe_relay, CHARGE_FAILS)  # attaches; every charge declines
    response = settle(console, sheet, "pay", "all", "3", "30")  # all of it: $87.50
    page = console.get(response.location).get_data(as_text=True)
    assert "the owner&#39;s card was declined" in page and "Retry the settlement" in page
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGE_FAILED
    assert "declined" in settlement.last_error.lower()
    assert dispute_intents(stripe_relay) == {}
    assert len(ledger(db_session, contract_id)) == 3  # the week's rows only
    (told,) = [m for m in mailbox.to(owner.email) if "Payment failed for disputed" in m["Subject"]]
    assert "$87.50" in body_text(told) and "save a card that works" in body_text(told)
    view = client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "decided to pay 3 h 30 min; the payment is not through yet" in view
    assert queued(console, sheet)

    time_machine.move_to(CLOSED + timedelta(hours=2), tick=False)  # the owner comes back later
    save_card(client, stripe_relay, VISA)
    retry = console.post(
        f"/operator/timesheet-settlements/{settlement.id}/retry", {"reason": "Owner saved a card"}
    )
    assert retry.status_code == 303
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED and settlement.charge_attempt == 1
    assert dispute_intents(stripe_relay) == {settlement.id: 8750}
    assert ledger(db_session, contract_id)[3:] == [
        (K.CHARGE, 8750), (K.FEE, 875), (K.TRANSFER, 7875),
    ]  # fmt: skip
    refused = console.post(
        f"/operator/timesheet-settlements/{settlement.id}/retry", {"reason": "Once more"}
    )
    assert refused.status_code == 409
    assert dispute_intents(stripe_relay) == {settlement.id: 8750}
    assert "Disputed — settled by Delegate: paid 3 h 30 min of the week's disputed time" in (
        client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    )
    actions = [e.action for e in audit_rows(db_session)]
    assert actions == [
        "timesheet_dispute.pay",
        "timesheet_dispute.retry",
        "timesheet_dispute.settled",
    ]


def test_a_suspended_owners_week_is_settled_and_the_payout_waits_for_stripe(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, operator, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, stripe_relay, time_machine, payouts=False
    )
    suspended = console.post(f"/operator/users/{owner.id}/suspend", {"reason": "Chargeback fraud"})
    assert suspended.status_code == 303
    page = console.get(f"/operator/timesheets/{sheet.id}").get_data(as_text=True)
    assert "You can still settle it." in page and 'id="settle"' in page
    response = settle(console, sheet, "pay", "all", "1", "0")
    assert "the assistant&#39;s share waits" in console.get(response.location).get_data(
        as_text=True
    )
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.CHARGED
    assert settlement.last_error.startswith("The assistant has no Stripe account")
    assert dispute_intents(stripe_relay) == {settlement.id: 2500}
    assert stripe_relay.transfers(contract_id) == []

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    time_machine.move_to(CLOSED + timedelta(hours=1), tick=False)
    run(app, db_session)  # the periodic run pays it out, as it does the weeks
    (settlement,) = settlements(db_session)
    assert settlement.status == SettlementStatus.SETTLED
    (transfer,) = [t for t in stripe_relay.transfers(contract_id) if t.id == settlement.transfer_id]
    assert transfer.amount == 2250
    assert (K.TRANSFER, 2250) in ledger(db_session, contract_id)
    run(app, db_session)
    assert [t.amount for t in stripe_relay.transfers(contract_id)].count(2250) == 1
    actions = [e.action for e in audit_rows(db_session)]
    assert actions == ["user.suspend", "timesheet_dispute.pay", "timesheet_dispute.settled"]


def test_wrong_answers_change_nothing_and_strangers_get_404(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, _, _, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    mon, tue, _ = sheet.entries
    for outcome, entry, hours, minutes, note, reason in [
        ("pay", "all", "3", "31", NOTE, "ticket 1"),  # more than the 3 h 30 disputed
        ("pay", tue.id, "2", "31", NOTE, "ticket 1"),  # more than the entry
        ("pay", "all", "0", "0", NOTE, "ticket 1"),
        ("pay", "all", "one", "", NOTE, "ticket 1"),
        ("pay", "all", "1", "75", NOTE, "ticket 1"),
        ("pay", "all", "1", "", "", "ticket 1"),  # no note for the parties
        ("uphold", "all", "", "", NOTE, ""),  # no reason for the log
        ("refund", "all", "", "", NOTE, "ticket 1"),
        ("uphold", "Tuesday", "", "", NOTE, "ticket 1"),
    ]:
        response = settle(console, sheet, outcome, entry, hours, minutes, note=note, reason=reason)
        assert response.status_code == 422, (outcome, entry, hours, minutes, note, reason)
    assert settle(console, sheet, "uphold", mon.id).status_code == 409  # not disputed
    assert audit_rows(db_session) == [] and settlements(db_session) == []
    assert dispute_intents(stripe_relay) == {}

    # A party to the contract, and the assistant, are strangers to the console.
    urls = [
        ("GET", f"/operator/timesheets/{sheet.id}"),
        ("POST", f"/operator/timesheets/{sheet.id}/settle"),
        ("POST", "/operator/timesheet-settlements/1/retry"),
    ]
    for who in (client, other_client):
        token = who.csrf_token()
        for method, url in urls:
            response = who.raw.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url)

    assert settle(console, sheet, "uphold", "all").status_code == 303
    assert settle(console, sheet, "uphold", "all").status_code == 409  # once only
    db_session.expire_all()
    assert all(e.settlement_id for e in db_session.get(TimeEntry, tue.id).timesheet.entries[1:])


@pytest.mark.parametrize("outcome", ["pay", "uphold"])
def test_the_queue_shows_a_week_until_its_disputed_time_is_settled(
    app, client, other_client, db_session, stripe_relay, time_machine, outcome
):
    _, _, _, console, contract_id, sheet = disputed_week(
        app, client, other_client, db_session, stripe_relay, time_machine
    )
    assert queued(console, sheet)
    settle(console, sheet, outcome, "all", "2", "0")
    assert not queued(console, sheet)
