"""An hourly contract's review window opens once it has ended and its last week is paid for,
not at its end: nobody is asked to review before the money moved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from marketplace.contracts.models import Contract
from marketplace.notifications.models import Kind
from marketplace.reviews.services import closes_at
from marketplace.timesheets.models import TimesheetStatus
from tests.timesheets.helpers import log, sheet_of
from tests.timesheets.test_weekly_billing import CLOSED, WEEK, kinds_for, run, week_worked

SECOND_WEEK = date(2026, 12, 14)
SECOND_CLOSED = CLOSED + timedelta(days=7)


def test_the_window_opens_when_the_last_week_is_paid_not_at_the_end(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = week_worked(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)  # the first week is approved automatically, charged and paid out
    assert sheet_of(db_session, contract_id, WEEK).status == TimesheetStatus.PAID

    time_machine.move_to(datetime(2026, 12, 16, 18, 0, tzinfo=UTC), tick=False)
    assert log(other_client, contract_id, "2026-12-15", 2, 0).status_code == 302
    assert client.post(f"/contracts/{contract_id}/end").status_code == 302
    # A week is paid, but the last one is still to be reviewed and charged: no review yet.
    assert Kind.REVIEW_REQUESTED not in kinds_for(db_session, owner.id)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert 'name="rating"' not in page

    time_machine.move_to(SECOND_CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    last = sheet_of(db_session, contract_id, SECOND_WEEK)
    assert last.status == TimesheetStatus.PAID
    assert Kind.REVIEW_REQUESTED in kinds_for(db_session, owner.id)
    assert Kind.REVIEW_REQUESTED in kinds_for(db_session, assistant.id)
    contract = db_session.get(Contract, contract_id)
    window = timedelta(days=app.config["REVIEW_WINDOW_DAYS"])
    assert closes_at(contract, window) == last.charged_at + window
    client.login_as(owner)  # three weeks on: the log-in of the first has expired
    assert 'name="rating"' in client.get(f"/contracts/{contract_id}").get_data(as_text=True)


def test_a_first_week_paid_after_the_end_opens_the_window_from_its_payment(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = week_worked(client, other_client, db_session, stripe_relay, time_machine)
    assert client.post(f"/contracts/{contract_id}/end").status_code == 302
    time_machine.move_to(CLOSED + timedelta(days=5), tick=False)
    run(app, db_session)
    sheet = sheet_of(db_session, contract_id, WEEK)
    contract = db_session.get(Contract, contract_id)
    window = timedelta(days=app.config["REVIEW_WINDOW_DAYS"])
    assert closes_at(contract, window) == sheet.charged_at + window > contract.ended_at + window
