"""Saving a profile emails nobody but the assistant who saved it, as their preferences allow,
and never about tasks that have been up for weeks; saving it unchanged ranks nothing."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.matches.models import Match
from marketplace.notifications.models import Frequency
from marketplace.notifications.services import save_preferences
from tests.factories import make_assistant, make_owner, profile_form, task_form

INBOX = dict(
    headline="Inbox and calendar manager for founders",
    bio="I triage Gmail inboxes and draft replies every morning.",
    skills=["Gmail", "inbox management", "Google Calendar"],
    timezone="America/Bogota",
)
INBOX_FORM = profile_form(
    headline=INBOX["headline"],
    bio=INBOX["bio"],
    skills=", ".join(INBOX["skills"]),
    hourly_rate="25.00",
    timezone=INBOX["timezone"],
    work_start="09:00",
    work_end="17:00",
    hours_per_week="20",
)


def post_task(client, owner, title):
    client.login_as(owner)
    response = client.post("/tasks/new", task_form(title=title))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def match_stamps(session):
    return {row.id: row.updated_at for row in session.scalars(select(Match))}


def ranked_for(session, assistant_id):
    return set(session.scalars(select(Match.task_id).where(Match.assistant_id == assistant_id)))


def test_profile_saves_email_only_the_saver_about_fresh_tasks_and_unchanged_saves_nothing(
    app, smtp_app, client, other_client, db_session, mailbox, time_machine
):
    now = utcnow()
    owners = [make_owner(db_session, email=f"owner{n}@shop.example") for n in range(3)]
    # Three weeks ago: a task posted before any assistant existed, then one with Bo around.
    time_machine.move_to(now - timedelta(days=21))
    unmatched = post_task(client, owners[0], "Inbox triage for our bakery")
    make_assistant(db_session, email="bo@va.example", **INBOX)
    matched = post_task(client, owners[1], "Gmail clean-up for a florist")
    time_machine.move_to(now)
    fresh = post_task(client, owners[2], "Daily inbox zero for a dentist")
    cy = make_assistant(db_session, email="cy@va.example", **INBOX)
    joy = make_assistant(db_session, email="joy@va.example", profile=False)
    save_preferences(db_session, joy, Frequency.INSTANT, 0.0)  # she wants every match
    mailbox.received.clear()

    # Joy's first profile: she hears of the fresh task she matches, not of the old ones.
    other_client.login_as(joy)
    assert other_client.post("/profile", INBOX_FORM).status_code == 302
    assert ranked_for(db_session, joy.id) == {unmatched, matched, fresh}
    (message,) = mailbox.messages
    assert message["To"].endswith("<joy@va.example>")
    assert message["Subject"].startswith("New job for you (")
    assert message["Subject"].endswith("match): Daily inbox zero for a dentist")

    # A rebuild puts Cy and Joy into every task's ranking without telling anyone: weeks-old
    # tasks whose owner never heard of a match, assistants never told of a job.
    result = app.test_cli_runner().invoke(args=["matches", "rebuild"])
    assert result.exit_code == 0, result.output
    assert ranked_for(db_session, cy.id) == {unmatched, matched, fresh}
    mailbox.received.clear()

    before = match_stamps(db_session)
    assert other_client.post("/profile", INBOX_FORM).status_code == 302  # unchanged
    assert match_stamps(db_session) == before  # not even re-ranked
    assert mailbox.messages == []

    changed = {**INBOX_FORM, "headline": "Inbox, calendar and travel manager for founders"}
    assert other_client.post("/profile", changed).status_code == 302
    assert match_stamps(db_session) != before  # re-ranked: hers and the tasks she is in
    # Nobody else did anything, Joy was told of the fresh task already, the rest are old.
    assert mailbox.messages == []


def test_editing_a_weeks_old_task_reranks_it_without_mail(
    smtp_app, client, db_session, mailbox, time_machine
):
    now = utcnow()
    owner = make_owner(db_session, email="old@shop.example")
    time_machine.move_to(now - timedelta(days=21))
    task_id = post_task(client, owner, "Inbox triage for our bakery")  # nobody to match yet
    time_machine.move_to(now)
    va = make_assistant(db_session, email="new@va.example", **INBOX)
    client.login_as(owner)  # three weeks on, the first log-in has expired
    edit = task_form(title="Inbox triage for our bakery, mornings")
    response = client.post(f"/tasks/{task_id}/edit", edit)
    assert response.status_code == 302 and response.location.endswith(f"/tasks/{task_id}")
    assert ranked_for(db_session, va.id) == {task_id}  # ranked and shown on the pages
    assert mailbox.messages == []
