"""With no answer within AUTO_RELEASE_DAYS of a submission, the work is approved and paid out
automatically, by the same payout as the owner's approval; reminders go 3 days and 1 day
before, once each. The clock is moved, never slept."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.contracts.models import ContractStatus, SubmissionAnswer
from marketplace.contracts.runner import release_due
from marketplace.notifications.emails import build_message
from marketplace.notifications.models import Kind, Notification
from marketplace.payments.models import EntryKind
from marketplace.reviews.models import Review
from tests.contracts.helpers import (
    START,
    approve,
    kinds_for,
    request_changes,
    submissions_of,
    submit,
    submitted_scene,
)
from tests.notifications.mailbox import body_html, body_text
from tests.payments.helpers import (
    connect_payouts,
    contract,
    funded_contract,
    ledger,
    proposal_scene,
)

WINDOW = timedelta(days=14)


def run(app, session):
    with app.app_context():
        return release_due(session)


def reminders(session, owner_id: int) -> list[str]:
    session.expire_all()
    return [
        n.object_key.rsplit(":", 1)[1]
        for n in session.scalars(
            select(Notification)
            .where(Notification.user_id == owner_id, Notification.kind == Kind.RELEASE_REMINDER)
            .order_by(Notification.id)
        )
    ]


def email_text(app, session, user_id: int, kind: Kind) -> str:
    session.expire_all()
    n = session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    ).one()
    with app.app_context():
        msg = build_message(session, n)
    assert msg is not None, kind
    return f"{msg['Subject']}\n{msg.get_body(('plain',)).get_content()}"


def test_unanswered_work_is_released_and_paid_out_once_after_the_window(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(START + WINDOW - timedelta(minutes=1), tick=False)
    assert run(app, db_session).released == 0
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED

    time_machine.move_to(START + WINDOW, tick=False)
    report = run(app, db_session)
    assert (report.released, report.paid_out) == (1, 1)
    again = run(app, db_session)  # a second run, or one that comes late, changes nothing
    assert (again.released, again.paid_out) == (0, 0)
    time_machine.move_to(START + WINDOW + timedelta(days=3), tick=False)
    assert run(app, db_session).released == 0

    paid = contract(db_session, contract_id)
    assert paid.status == ContractStatus.PAID
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.TRANSFER) == 1
    assert (EntryKind.TRANSFER, 22500) in ledger(db_session, contract_id)
    assert len(stripe_relay.transfers(contract_id)) == 1
    [submission] = submissions_of(db_session, contract_id)
    assert (submission.answer, submission.auto_released) == (SubmissionAnswer.APPROVED, True)
    assert submission.answered_at == START + WINDOW
    # The same path as the owner's approval: the assistant is told they were paid, and both
    # are asked for a review of the ended contract.
    assert kinds_for(db_session, assistant.id).count(Kind.PAYMENT_SENT) == 1
    for user in (owner, assistant):
        assert kinds_for(db_session, user.id).count(Kind.WORK_RELEASED) == 1
        assert Kind.REVIEW_REQUESTED in kinds_for(db_session, user.id)
    client.login_as(owner)  # log-ins last 14 days
    assert "Publish review" in client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert db_session.scalars(select(Review).where(Review.contract_id == contract_id)).all() == []
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Approved automatically" in page and "Paid out" in page


def test_reminders_go_three_days_and_one_day_before_once_each(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    for at in (timedelta(days=1), WINDOW - timedelta(days=3, minutes=1)):
        time_machine.move_to(START + at, tick=False)
        run(app, db_session)
    assert reminders(db_session, owner.id) == []
    time_machine.move_to(START + WINDOW - timedelta(days=3), tick=False)
    assert run(app, db_session).reminded == 1
    assert run(app, db_session).reminded == 0
    assert reminders(db_session, owner.id) == ["3d"]
    time_machine.move_to(START + WINDOW - timedelta(days=1, minutes=1), tick=False)
    run(app, db_session)
    assert reminders(db_session, owner.id) == ["3d"]
    time_machine.move_to(START + WINDOW - timedelta(days=1), tick=False)
    run(app, db_session)
    time_machine.move_to(START + WINDOW - timedelta(hours=2), tick=False)
    run(app, db_session)
    assert reminders(db_session, owner.id) == ["3d", "1d"]
    time_machine.move_to(START + WINDOW, tick=False)
    run(app, db_session)
    assert reminders(db_session, owner.id) == ["3d", "1d"]
    assert contract(db_session, contract_id).status == ContractStatus.PAID


def test_an_answer_stops_the_clock_and_a_new_submission_starts_its_own(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    owner, assistant, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(START + timedelta(days=12), tick=False)  # past the first reminder
    run(app, db_session)
    assert reminders(db_session, owner.id) == ["3d"]
    assert request_changes(client, contract_id, 1, "Add the receipts.").status_code == 302
    time_machine.move_to(START + WINDOW + timedelta(days=1), tick=False)
    assert run(app, db_session).released == 0  # changes requested: nothing to release
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED
    assert reminders(db_session, owner.id) == ["3d"]

    resubmitted = START + WINDOW + timedelta(days=1)
    client.login_as(owner)  # log-ins last 14 days; this is day 15
    other_client.login_as(assistant)
    assert submit(other_client, contract_id, "Receipts added.").status_code == 302
    # A run that comes late (none ran between 3 days and 1 day before) sends only the
    # nearest reminder, not both at once.
    time_machine.move_to(resubmitted + WINDOW - timedelta(hours=12), tick=False)
    run(app, db_session)
    assert reminders(db_session, owner.id) == ["3d", "1d"]
    assert approve(client, contract_id, 2).status_code == 302
    time_machine.move_to(resubmitted + WINDOW, tick=False)
    assert run(app, db_session).released == 0
    assert [s.auto_released for s in submissions_of(db_session, contract_id)] == [False, False]
    assert contract(db_session, contract_id).status == ContractStatus.PAID


def test_a_release_before_the_assistant_can_be_paid_waits_for_their_stripe_account(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    time_machine.move_to(START, tick=False)
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    other_client.login_as(assistant)
    assert submit(other_client, contract_id).status_code == 302
    time_machine.move_to(START + WINDOW, tick=False)
    report = run(app, db_session)
    assert (report.released, report.paid_out) == (1, 0)
    assert contract(db_session, contract_id).status == ContractStatus.APPROVED
    told = email_text(app, db_session, assistant.id, Kind.WORK_RELEASED)
    assert "connect your Stripe account on Delegate to receive it" in told
    assert run(app, db_session).released == 0
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert len(stripe_relay.transfers(contract_id)) == 1


def test_a_frozen_contract_is_not_released(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    from marketplace.db import utcnow

    owner, assistant, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    owner.suspended_at = utcnow()
    db_session.commit()
    time_machine.move_to(START + WINDOW + timedelta(days=1), tick=False)
    report = run(app, db_session)
    assert (report.reminded, report.released) == (0, 0)
    assert contract(db_session, contract_id).status == ContractStatus.SUBMITTED
    assert stripe_relay.transfers(contract_id) == []


def test_the_release_emails_say_it_is_automatic_and_when_in_the_owners_zone(
    app, client, other_client, db_session, stripe_relay, smtp_app, mailbox, time_machine
):
    owner, assistant, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    assert request_changes(client, contract_id, 1, "Add the receipts, please.").status_code == 302
    asked = email_text(app, db_session, assistant.id, Kind.CHANGES_REQUESTED)
    assert "asked for changes" in asked and "Add the receipts, please." in asked
    assert "then has 14 days to approve it or ask for more changes" in asked
    assert "with no answer by then, it is approved automatically and you are paid" in asked

    time_machine.move_to(START + timedelta(days=1), tick=False)
    assert submit(other_client, contract_id, "Receipts added.").status_code == 302
    # Submitted Wed 2 Dec, 09:00 in Los Angeles: released Wed 16 Dec, 09:00 there.
    time_machine.move_to(START + timedelta(days=1) + WINDOW - timedelta(days=3), tick=False)
    run(app, db_session)
    [reminder] = [m for m in mailbox.to(owner.email) if "unless you answer" in m["Subject"]]
    assert "Approved automatically on Wed 16 Dec unless you answer" in reminder["Subject"]
    for body in (body_text(reminder), body_html(reminder)):
        assert "If you have not answered by Wed 16 Dec 2026, 09:00 Los Angeles (UTC-8)" in body
        assert "$225" in body and "approved automatically" in body

    time_machine.move_to(START + timedelta(days=1) + WINDOW, tick=False)
    run(app, db_session)
    released = email_text(app, db_session, owner.id, Kind.WORK_RELEASED)
    assert released.startswith("Approved automatically:")
    assert "by Wed 16 Dec 2026, 09:00 Los Angeles (UTC-8), so it was approved automatically" in (
        released
    )
    assert "$225 of your $250 is released" in released
    told = email_text(app, db_session, assistant.id, Kind.WORK_RELEASED)
    assert "was approved automatically" in told and "$225 is released to you" in told
    paid = email_text(app, db_session, assistant.id, Kind.PAYMENT_SENT)
    assert "was approved automatically" in paid and "We sent $225" in paid


def test_the_cli_command_releases_what_is_due(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, _, contract_id = submitted_scene(
        client, other_client, db_session, stripe_relay, time_machine
    )
    time_machine.move_to(START + WINDOW, tick=False)
    result = app.test_cli_runner().invoke(args=["contracts", "release-due"])
    assert result.exit_code == 0, result.output
    assert "released 1, paid out 1" in result.output
    again = app.test_cli_runner().invoke(args=["contracts", "release-due"])
    assert "released 0, paid out 0" in again.output
    assert contract(db_session, contract_id).status == ContractStatus.PAID


def test_the_release_job_is_scheduled_every_five_minutes():
    from marketplace.jobs import JOB_MODULES
    from marketplace.jobs.schedule import PERIODIC

    assert ("contracts.release_due", 300) in PERIODIC
    assert JOB_MODULES["contracts"] == "marketplace.contracts.jobs"
