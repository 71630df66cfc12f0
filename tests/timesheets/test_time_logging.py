"""Logging time on an hourly contract: the weekly limit, closed weeks, who may log."""

from datetime import UTC, date, datetime

from marketplace.contracts.models import ContractKind, ContractStatus
from marketplace.payments.models import BillingProfile
from marketplace.timesheets.models import TimesheetStatus
from marketplace.timesheets.services import close_due_weeks
from tests.factories import make_assistant
from tests.payments.helpers import contract
from tests.timesheets.helpers import hire_hourly, hourly_scene, log, sheet_of

# Wednesday 9 Dec 2026, 10:00 in Manila (02:00 UTC): Tuesday evening in Los Angeles.
WEDNESDAY = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
WEEK = date(2026, 12, 7)


def with_card(session, owner):
    session.add(
        BillingProfile(
            user_id=owner.id,
            stripe_customer_id=f"cus_test_{owner.id}",
            payment_method_id=f"pm_test_{owner.id}",
            card_brand="visa",
            card_last4="4242",
            card_exp_month=12,
            card_exp_year=2030,
        )
    )
    session.flush()


def started(client, other_client, session, time_machine, card=True):
    time_machine.move_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), tick=False)
    owner, assistant, proposal = hourly_scene(session)
    client.login_as(owner)
    contract_id = hire_hourly(client, proposal)
    if card:
        with_card(session, owner)
    other_client.login_as(assistant)
    time_machine.move_to(WEDNESDAY, tick=False)
    return owner, assistant, contract_id


def test_recurring_work_is_hired_by_the_hour_and_starts_active(
    client, other_client, db_session, time_machine
):
    owner, assistant, contract_id = started(client, other_client, db_session, time_machine)
    c = contract(db_session, contract_id)
    assert (c.kind, c.status, c.hours, c.rate_cents) == (
        ContractKind.HOURLY,
        ContractStatus.ACTIVE,
        10,
        2500,
    )
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "$25/h, up to 10 h a week" in page
    task_page = client.get(f"/tasks/{c.task_id}").get_data(as_text=True)
    assert "Working on it" in task_page
    assert f"{assistant.display_name}</a>: hourly, $25/h up to 10 h a week" in task_page


def test_the_weekly_limit_is_enforced_with_a_clear_message(
    client, other_client, db_session, time_machine
):
    _, _, contract_id = started(client, other_client, db_session, time_machine)
    assert log(other_client, contract_id, "2026-12-07", 6).status_code == 302
    assert log(other_client, contract_id, "2026-12-08", 3, 30).status_code == 302
    refused = log(other_client, contract_id, "2026-12-09", 1)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "This week has 9 h 30 min logged of the 10 h weekly limit" in page
    assert "at most 30 min can be added" in page
    assert sheet_of(db_session, contract_id, WEEK).logged_minutes == 570
    assert log(other_client, contract_id, "2026-12-09", 0, 30).status_code == 302
    full = log(other_client, contract_id, "2026-12-09", 0, 1).get_data(as_text=True)
    assert "reached the 10 h weekly limit" in full


def test_future_days_and_days_before_the_contract_are_refused(
    client, other_client, db_session, time_machine
):
    _, _, contract_id = started(client, other_client, db_session, time_machine)
    tomorrow = log(other_client, contract_id, "2026-12-10", 2)
    assert tomorrow.status_code == 422
    assert "not a day still to come" in tomorrow.get_data(as_text=True)
    before = log(other_client, contract_id, "2026-12-01", 2)
    assert "log time from that day on" in before.get_data(as_text=True)


def test_the_assistants_monday_lands_in_the_new_week_while_the_owner_is_still_in_sunday(
    client, other_client, db_session, time_machine
):
    _, _, contract_id = started(client, other_client, db_session, time_machine)
    time_machine.move_to(datetime(2026, 12, 13, 2, 0, tzinfo=UTC), tick=False)  # Sunday
    assert log(other_client, contract_id, "2026-12-13", 2).status_code == 302
    # Monday 14 Dec, 09:00 in Manila = Sunday 13 Dec, 17:00 in Los Angeles.
    time_machine.move_to(datetime(2026, 12, 14, 1, 0, tzinfo=UTC), tick=False)
    assert log(other_client, contract_id, "2026-12-14", 3).status_code == 302
    assert sheet_of(db_session, contract_id, date(2026, 12, 14)).logged_minutes == 180
    # The first week is still open (the owner's Sunday has not ended): Sunday can be fixed.
    assert log(other_client, contract_id, "2026-12-13", 1).status_code == 302
    assert sheet_of(db_session, contract_id, WEEK).logged_minutes == 180


def test_once_the_week_closes_its_time_cannot_change(
    app, client, other_client, db_session, time_machine
):
    _, _, contract_id = started(client, other_client, db_session, time_machine)
    assert log(other_client, contract_id, "2026-12-08", 4).status_code == 302
    [entry] = sheet_of(db_session, contract_id, WEEK).entries
    # Monday 14 Dec 00:00 in Los Angeles = 08:00 UTC: the week has closed.
    time_machine.move_to(datetime(2026, 12, 14, 8, 0, tzinfo=UTC), tick=False)
    late = log(other_client, contract_id, "2026-12-12", 1)
    assert late.status_code == 422
    assert "has closed; time for it can no longer be logged" in late.get_data(as_text=True)
    edit = other_client.post(
        f"/time-entries/{entry.id}/edit",
        {
            "contract_id": contract_id,
            "work_date": "2026-12-08",
            "hours": "8",
            "minutes": "0",
            "memo": "more",
        },
    )
    assert "can no longer be changed" in edit.get_data(as_text=True)
    assert other_client.post(f"/time-entries/{entry.id}/delete").status_code == 409
    assert close_due_weeks(db_session, 5) == 1
    sheet = sheet_of(db_session, contract_id, WEEK)
    assert sheet.status == TimesheetStatus.IN_REVIEW and sheet.logged_minutes == 240
    assert close_due_weeks(db_session, 5) == 0  # a second run changes nothing


def test_entries_of_the_open_week_can_be_edited_and_deleted(
    client, other_client, db_session, time_machine
):
    _, _, contract_id = started(client, other_client, db_session, time_machine)
    log(other_client, contract_id, "2026-12-08", 4)
    [entry] = sheet_of(db_session, contract_id, WEEK).entries
    edited = other_client.post(
        f"/time-entries/{entry.id}/edit",
        {
            "contract_id": contract_id,
            "work_date": "2026-12-09",
            "hours": "2",
            "minutes": "15",
            "memo": "Calendar for next week",
        },
    )
    assert edited.status_code == 302
    [entry] = sheet_of(db_session, contract_id, WEEK).entries
    assert (entry.work_date, entry.minutes, entry.memo) == (
        date(2026, 12, 9),
        135,
        "Calendar for next week",
    )
    assert other_client.post(f"/time-entries/{entry.id}/delete").status_code == 302
    assert sheet_of(db_session, contract_id, WEEK).entries == []


def test_no_time_without_the_owners_card_while_paused_or_after_the_end(
    client, other_client, db_session, time_machine
):
    owner, _, contract_id = started(client, other_client, db_session, time_machine, card=False)
    page = other_client.get(f"/contracts/{contract_id}/time").get_data(as_text=True)
    assert "The owner has not saved a card yet" in page
    assert log(other_client, contract_id, "2026-12-08", 1).status_code == 409
    with_card(db_session, owner)
    assert log(other_client, contract_id, "2026-12-08", 1).status_code == 302
    assert client.post(f"/contracts/{contract_id}/pause").status_code == 302
    paused = log(other_client, contract_id, "2026-12-09", 1)
    assert "The owner has paused this contract" in paused.get_data(as_text=True)
    assert client.post(f"/contracts/{contract_id}/resume").status_code == 302
    assert log(other_client, contract_id, "2026-12-09", 1).status_code == 302
    assert other_client.post(f"/contracts/{contract_id}/end").status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.ENDED
    ended = log(other_client, contract_id, "2026-12-09", 1)
    assert "no more time can be logged" in ended.get_data(as_text=True)
    # Time already logged is kept for review and billing.
    assert sheet_of(db_session, contract_id, WEEK).logged_minutes == 120


def test_only_the_contracts_assistant_logs_time_and_others_see_nothing(
    client, other_client, db_session, time_machine
):
    owner, _, contract_id = started(client, other_client, db_session, time_machine)
    owner_try = log(client, contract_id, "2026-12-08", 1)
    assert owner_try.status_code == 403
    stranger = make_assistant(db_session, email="stranger@example.com")
    other_client.login_as(stranger)
    assert log(other_client, contract_id, "2026-12-08", 1).status_code == 404
    assert other_client.get(f"/contracts/{contract_id}/time").status_code == 404


def test_a_contract_with_an_end_date_takes_no_time_after_it_and_ends_by_itself(
    app, client, other_client, db_session, time_machine
):
    from marketplace.notifications.models import Kind, Notification
    from marketplace.timesheets.runner import run_due

    time_machine.move_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), tick=False)
    owner, assistant, proposal = hourly_scene(db_session)
    client.login_as(owner)
    form = {"kind": "hourly", "hours": "10", "action": "hire"}
    past = client.post(
        f"/proposals/{proposal.id}/hire",
        {**form, "ends_on": "2026-12-01", "quoted_total_cents": "25000"},
    )
    assert past.status_code == 422
    assert "The end date has passed" in past.get_data(as_text=True)
    response = client.post(
        f"/proposals/{proposal.id}/hire",
        {**form, "ends_on": "2026-12-09", "quoted_total_cents": "25000"},
    )
    contract_id = int(response.location.rsplit("/", 1)[1])
    with_card(db_session, owner)
    other_client.login_as(assistant)
    time_machine.move_to(datetime(2026, 12, 10, 4, 0, tzinfo=UTC), tick=False)  # Thu in Manila
    late = log(other_client, contract_id, "2026-12-10", 1)
    assert "The contract ended on Wed 09 Dec 2026" in late.get_data(as_text=True)
    assert log(other_client, contract_id, "2026-12-09", 2).status_code == 302
    # Thursday 10 Dec has begun in Los Angeles (08:00 UTC): the weekly clock ends it.
    time_machine.move_to(datetime(2026, 12, 10, 8, 30, tzinfo=UTC), tick=False)
    with app.app_context():
        assert run_due(db_session).ended == 1
    assert contract(db_session, contract_id).status == ContractStatus.ENDED
    db_session.expire_all()
    told = db_session.scalars(
        db_session.query(Notification.user_id)
        .filter(Notification.kind == Kind.CONTRACT_ENDED)
        .statement
    ).all()
    assert sorted(told) == sorted([owner.id, assistant.id])
    assert sheet_of(db_session, contract_id, WEEK).logged_minutes == 120
