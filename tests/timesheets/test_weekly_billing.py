"""Weekly billing of hourly contracts through the real stripe library and the emulator:
close, review (with a dispute), charge the saved card off-session, pay the assistant;
auto-approval; a declined card, a new card, one charge."""

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from marketplace.notifications.models import Kind, Notification
from marketplace.payments.models import EntryKind
from marketplace.timesheets.models import TimesheetStatus
from marketplace.timesheets.runner import run_due
from tests.payments.helpers import connect_payouts, ledger
from tests.timesheets.helpers import hire_hourly, hourly_scene, log, sheet_of

VISA = "4242 4242 4242 4242"
CHARGE_FAILS = "4000 0000 0000 0341"
WEEK = date(2026, 12, 7)
CLOSED = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)  # Monday 00:00 in Los Angeles


def save_card(client, relay, card: str = VISA) -> None:
    response = client.post("/settings/payment-method", {"return_to": "/settings"})
    assert response.status_code == 303, response.get_data(as_text=True)
    status, headers, _ = relay.pay(response.location, card=card)
    assert status == 303
    relay.deliver(client)
    back = urlsplit(headers["Location"])
    client.get(f"{back.path}?{back.query}")


def week_worked(client, other_client, session, relay, time_machine, card=VISA, payouts=True):
    """Hired on Monday 7 Dec; 3 h, 2 h 30 and 1 h logged; Stripe payouts connected."""
    time_machine.move_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), tick=False)
    owner, assistant, proposal = hourly_scene(session)
    client.login_as(owner)
    contract_id = hire_hourly(client, proposal)
    save_card(client, relay, card)
    if payouts:
        connect_payouts(other_client, relay, session, assistant)
    else:
        other_client.login_as(assistant)
    time_machine.move_to(datetime(2026, 12, 9, 12, 0, tzinfo=UTC), tick=False)
    for day, hours, minutes in (("2026-12-07", 3, 0), ("2026-12-08", 2, 30), ("2026-12-09", 1, 0)):
        assert log(other_client, contract_id, day, hours, minutes).status_code == 302
    return owner, assistant, contract_id


def run(app, session):
    with app.app_context():
        return run_due(session)


def kinds_for(session, user_id: int) -> list[Kind]:
    session.expire_all()
    return [
        n.kind
        for n in session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    ]


def test_a_reviewed_week_with_a_disputed_entry_is_charged_and_paid_to_the_cent(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(CLOSED, tick=False)
    assert run(app, db_session).closed == 1
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.IN_REVIEW
    assert sheet.review_due_at == CLOSED + timedelta(days=5)
    assert Kind.TIMESHEET_READY in kinds_for(db_session, owner.id)

    page = client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "If you do nothing, it is approved as logged then" in page
    mon, tue, wed = sheet.entries
    response = client.post(
        f"/timesheets/{sheet.id}/review",
        {"approve": [str(mon.id), str(tue.id)], f"reason-{wed.id}": "I did this one myself"},
    )
    assert response.status_code == 302
    sheet = sheet_of(db_session, contract_id, WEEK)
    # 5 h 30 min at $25/h = $137.50; 10% fee = $13.75; the assistant receives $123.75.
    assert (sheet.approved_minutes, sheet.amount_cents, sheet.fee_cents) == (330, 13750, 1375)
    assert sheet.status == TimesheetStatus.PAID
    assert ledger(db_session, contract_id) == [
        (EntryKind.CHARGE, 13750),
        (EntryKind.FEE, 1375),
        (EntryKind.TRANSFER, 12375),
    ]
    [transfer] = stripe_relay.transfers(contract_id)
    assert transfer.amount == 12375 and transfer.source_transaction == sheet.charge_id
    intent = stripe_relay.client.v1.payment_intents.retrieve(sheet.payment_intent_id)
    assert (intent.amount, intent.status) == (13750, "succeeded")

    receipt = client.get(f"/timesheets/{sheet.id}/receipt").get_data(as_text=True)
    assert "5 h 30 min × $25/h" in receipt and "$137.50 USD" in receipt
    assert "$13.75" in receipt
    view = other_client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Disputed: I did this one myself" in view
    # One answer, one email: what was disputed and why, instead of "approved".
    assert Kind.TIMESHEET_DISPUTED in kinds_for(db_session, assistant.id)
    assert Kind.TIMESHEET_APPROVED not in kinds_for(db_session, assistant.id)
    disputed = email_text(app, db_session, assistant.id, Kind.TIMESHEET_DISPUTED)
    assert "disputed time in your week of Mon 07 Dec to Sun 13 Dec 2026" in disputed
    assert '- Wed 09 Dec, 1 h (Inbox): "I did this one myself"' in disputed
    assert "The rest, 5 h 30 min, is approved: $137.50, of which you receive $123.75" in disputed
    assert Kind.TIMESHEET_PAID in kinds_for(db_session, assistant.id)
    # Running the clock again charges nothing more.
    run(app, db_session)
    assert len(ledger(db_session, contract_id)) == 3


def test_an_unanswered_week_is_approved_automatically_after_a_reminder(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    time_machine.move_to(CLOSED + timedelta(days=4, hours=1), tick=False)
    run(app, db_session)
    assert kinds_for(db_session, owner.id).count(Kind.REVIEW_CLOSING) == 1
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.IN_REVIEW
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    report = run(app, db_session)
    assert (report.auto_approved, report.charged, report.paid_out) == (1, 1, 1)
    sheet = sheet_of(db_session, contract_id, WEEK)
    # All 6 h 30 min as logged: $162.50.
    assert sheet.auto_approved and sheet.amount_cents == 16250
    assert sheet.status == TimesheetStatus.PAID
    assert kinds_for(db_session, owner.id).count(Kind.REVIEW_CLOSING) == 1


def test_a_declined_card_stops_new_time_until_a_new_card_pays_the_week_once(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine, card=CHARGE_FAILS
    )
    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    client.post(f"/timesheets/{sheet.id}/review", {"approve": [str(e.id) for e in sheet.entries]})
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.CHARGE_FAILED
    assert "declined" in sheet.last_payment_error.lower()
    assert Kind.CHARGE_FAILED in kinds_for(db_session, owner.id)
    assert Kind.CHARGE_FAILED in kinds_for(db_session, assistant.id)
    assert "The payment for this week failed" in client.get(f"/timesheets/{sheet.id}").get_data(
        as_text=True
    )
    refused = log(other_client, contract_id, "2026-12-14", 1)
    assert "last payment failed. New time can be logged once" in refused.get_data(as_text=True)
    run(app, db_session)  # the same card is not tried again
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.CHARGE_FAILED

    save_card(client, stripe_relay, VISA)  # charged at once, by the job the card queues
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.PAID and sheet.charge_attempt == 1
    report = run(app, db_session)
    assert (report.charged, report.paid_out) == (0, 0)
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.CHARGE) == 1
    run(app, db_session)
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.CHARGE) == 1
    assert log(other_client, contract_id, "2026-12-14", 1).status_code == 302


def email_text(app, session, user_id: int, kind: Kind) -> str:
    from marketplace.notifications.emails import build_message

    session.expire_all()
    n = session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    ).first()
    assert n is not None, kind
    with app.app_context():
        msg = build_message(session, n)
    return f"{msg['Subject']}\n{msg.get_body(('plain',)).get_content()}"


def test_the_weekly_emails_say_what_happens_and_when_in_the_readers_zone(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    ready = email_text(app, db_session, owner.id, Kind.TIMESHEET_READY)
    assert "Review the week of Mon 07 Dec to Sun 13 Dec 2026" in ready
    # Five days after Monday 00:00 in Los Angeles, told in Los Angeles time.
    assert "by Sat 19 Dec, 00:00 Los Angeles (UTC-8)" in ready
    assert "approved automatically then and your card is charged $162.50" in ready
    time_machine.move_to(CLOSED + timedelta(days=4, hours=1), tick=False)
    run(app, db_session)
    closing = email_text(app, db_session, owner.id, Kind.REVIEW_CLOSING)
    assert "Tomorrow, Sat 19 Dec, 00:00 Los Angeles (UTC-8)" in closing
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    approved = email_text(app, db_session, assistant.id, Kind.TIMESHEET_APPROVED)
    assert "was approved automatically as logged: $162.50" in approved
    assert "you receive $146.25" in approved
    paid = email_text(app, db_session, assistant.id, Kind.TIMESHEET_PAID)
    assert "We sent $146.25 to your Stripe account for 6 h 30 min" in paid


def test_money_and_payouts_pages_list_each_week(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert "Nothing has been paid to you yet." in other_client.get("/payouts").get_data(
        as_text=True
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    payouts = other_client.get("/payouts").get_data(as_text=True)
    assert 'data-testid="payout"' in payouts and "week of 07 Dec 2026" in payouts
    assert "$146.25" in payouts
    money = client.get("/ledger").get_data(as_text=True)
    assert "week of 07 Dec 2026, 6 h 30 min" in money
    row = money[money.index('data-testid="week-row"') :]
    row = row[: row.index("</tr>")]
    for text in ("6 h 30 min × $25/h", "$162.50", "$16.25", "$146.25", "Paid out", "receipt"):
        assert text in row, text
    assert 'data-testid="paid-USD">$162.50<' in money


AUTHENTICATE = "4000 0027 6000 3184"


def failed_week(app, client, other_client, db_session, relay, time_machine, card):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, relay, time_machine, card=card
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.CHARGE_FAILED
    return owner, contract_id, sheet


def pay_page(client, sheet) -> str:
    response = client.post(f"/timesheets/{sheet.id}/pay")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location


def test_a_card_that_needs_authentication_is_paid_on_stripes_page_once(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, contract_id, sheet = failed_week(
        app, client, other_client, db_session, stripe_relay, time_machine, AUTHENTICATE
    )
    assert "authenticat" in sheet.last_payment_error.lower()
    page = client.get(f"/timesheets/{sheet.id}").get_data(as_text=True)
    assert "Pay $162.50 now on Stripe" in page
    status, _, _ = stripe_relay.pay(pay_page(client, sheet), card=AUTHENTICATE)
    assert status == 303
    stripe_relay.deliver(client)
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.PAID and sheet.amount_cents == 16250
    run(app, db_session)  # the card saved by that payment does not charge the week again
    kinds = [k for k, _ in ledger(db_session, contract_id)]
    assert kinds == [EntryKind.CHARGE, EntryKind.FEE, EntryKind.TRANSFER]
    stripe_relay.deliver(client)  # events replayed: nothing changes
    assert len(ledger(db_session, contract_id)) == 3


def test_two_payment_pages_both_paid_charge_once_and_refund_the_other(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, contract_id, sheet = failed_week(
        app, client, other_client, db_session, stripe_relay, time_machine, CHARGE_FAILS
    )
    first, second = pay_page(client, sheet), pay_page(client, sheet)
    assert first != second
    for url in (first, second):
        status, _, _ = stripe_relay.pay(url, card=VISA)
        assert status == 303
    stripe_relay.deliver(client, reverse=True)
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.PAID
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.CHARGE) == 1
    intents = stripe_relay.client.v1.payment_intents.list(params={"limit": 100}).data
    paid = [
        i
        for i in intents
        if (i.metadata or {}).to_dict().get("timesheet_id") == str(sheet.id)
        and i.status == "succeeded"
    ]
    refunds = stripe_relay.client.v1.refunds.list(params={"limit": 100}).data
    refunded = {r.payment_intent for r in refunds}
    assert len(paid) == 2 and refunded == {i.id for i in paid} - {sheet.payment_intent_id}


def test_an_ended_hourly_contract_with_a_paid_week_asks_both_sides_for_a_review(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert client.post(f"/contracts/{contract_id}/end").status_code == 302
    # Nothing paid for yet: no review of unpaid work.
    assert Kind.REVIEW_REQUESTED not in kinds_for(db_session, owner.id)
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)  # the week logged before the end is still billed and paid
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.PAID
    assert Kind.REVIEW_REQUESTED in kinds_for(db_session, owner.id)
    assert Kind.REVIEW_REQUESTED in kinds_for(db_session, assistant.id)
    assert Kind.CONTRACT_ENDED in kinds_for(db_session, assistant.id)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert 'name="rating"' in page


def test_the_owner_is_emailed_a_receipt_for_each_charged_week(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, _, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    receipt = email_text(app, db_session, owner.id, Kind.TIMESHEET_CHARGED)
    assert "Receipt: $162.50 for the week of Mon 07 Dec to Sun 13 Dec 2026" in receipt
    assert "Hours: 6 h 30 min × $25/h (approved automatically" in receipt
    assert "Total charged to your card: $162.50 USD" in receipt
    assert "Of which Delegate's fee: $16.25" in receipt
    listing = client.get("/contracts").get_data(as_text=True)
    assert "hourly, $25/h up to 10 h a week" in listing


def test_the_operator_sees_each_week_and_its_disputed_entries(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from tests.operator.helpers import make_operator

    owner, _, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    mon, tue, wed = sheet.entries
    client.post(
        f"/timesheets/{sheet.id}/review",
        {"approve": [str(mon.id), str(tue.id)], f"reason-{wed.id}": "Not asked for"},
    )
    client.login_as(make_operator(db_session))
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "Hourly: $25/h, up to 10 h a week" in page
    assert "Wed 09 Dec 1 h: “Not asked for”" in page
    assert "$137.50" in page and "Resolve a dispute" not in page


def test_a_week_refunded_in_stripes_dashboard_never_pays_out(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine, payouts=False
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.CHARGED  # the assistant has no payout account yet
    stripe_relay.deliver(client)
    stripe_relay.client.v1.refunds.create(params={"payment_intent": sheet.payment_intent_id})
    stripe_relay.deliver(client, types={"charge.refunded"})
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert "refunded in Stripe" in sheet.payout_hold
    assert (EntryKind.REFUND, 16250) in ledger(db_session, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    run(app, db_session)
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.CHARGED
    assert stripe_relay.transfers(contract_id) == []


def test_reconcile_holds_a_refunded_week_whose_webhook_never_came(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine, payouts=False
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    stripe_relay.client.v1.refunds.create(params={"payment_intent": sheet.payment_intent_id})
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "hourly weeks: charged 0, failed 0, paid out 0, payout held 1" in result.output
    assert "refunded in Stripe" in sheet_of(db_session, contract_id, WEEK).payout_hold


def test_the_dashboard_counts_the_hours_handed_off_and_what_they_are_worth(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.planner.models import Plan

    owner, _, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert 'data-testid="recaptured"' not in client.get("/dashboard").get_data(as_text=True)
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    db_session.add(Plan(owner_id=owner.id, hourly_worth_cents=12000, currency="USD"))
    db_session.flush()
    line = client.get("/dashboard").get_data(as_text=True)
    assert (
        "Handed off so far: <strong>6 h 30 min</strong> of work done for you by 1 assistant" in line
    )
    # 6.5 h at the $120/h the plan puts on the owner's time.
    assert "worth $780 of your own time at the $120/h" in line
