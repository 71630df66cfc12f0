"""Matches as rows: ranked by a job after commit, read by pages, gone when a task closes."""

import re

from sqlalchemy import func, select

from marketplace.matches.models import Invitation, Match
from marketplace.notifications.models import Frequency, Kind, Notification
from marketplace.notifications.services import save_preferences
from tests.factories import make_assistant, make_owner, make_task, profile_form, task_form

INBOX_VA = dict(
    headline="Inbox and calendar manager for founders",
    bio="I triage Gmail inboxes and draft replies every morning.",
    skills=["Gmail", "inbox management", "Google Calendar"],
    timezone="America/Bogota",
)


def post_task(client, **kw):
    response = client.post("/tasks/new", task_form(**kw))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def scene(client, db_session):
    joy = make_assistant(db_session, display_name="Joy Santos", email="joy@va.example", **INBOX_VA)
    other = make_assistant(db_session, display_name="Bo Books", email="bo@va.example")
    owner = make_owner(db_session, display_name="Dana Baker", email="dana@bakery.example")
    client.login_as(owner)
    task_id = post_task(client)
    return owner, joy, other, task_id


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_posting_a_task_stores_ranked_matches_the_owner_sees_with_reasons(client, db_session):
    owner, joy, other, task_id = scene(client, db_session)
    matches = list(
        db_session.scalars(
            select(Match).where(Match.task_id == task_id).order_by(Match.score.desc())
        )
    )
    assert matches[0].assistant_id == joy.id
    assert matches[0].matcher_version and 0 < matches[0].score <= 1
    # what Joy lists, in her words: she has both skills the task names
    assert {e["asked"]: (e["kind"], e["has"]) for e in matches[0].explanation["skills"]} == {
        "Gmail": ("exact", ["Gmail"]),
        "inbox management": ("exact", ["inbox management"]),
    }

    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Recommended assistants" in page
    section = page[page.index("Recommended assistants") :]
    if "Bo Books" in section:
        assert section.index("Joy Santos") < section.index("Bo Books")
    assert "% match" in section
    assert "Skills you asked for: has Gmail, inbox management" in section
    assert "Rate: $25/h; about 6 h comes to $150 of your $180 budget" in section
    # Shared hours in both zones: the owner's office day in New York, Joy's in Bogotá.
    # Labels name the city and the offset in force (New York's depends on the date).
    assert re.search(r"\d\d:\d\d–\d\d:\d\d New York \(UTC-[45]\) = ", section)
    assert "Bogota (UTC-5)" in section
    assert "Availability: Available 20 h a week" in section
    assert "Reputation: new on Delegate, no reviews yet" in section
    assert f'action="/tasks/{task_id}/invite/{joy.id}"' in section


def test_jobs_for_you_lists_the_task_with_the_assistants_own_reasons(
    client, other_client, db_session
):
    owner, joy, other, task_id = scene(client, db_session)
    other_client.login_as(joy)
    page = other_client.get("/jobs/for-you").get_data(as_text=True)
    assert "Weekly inbox clean-up" in page and "% match" in page
    assert "Your skills the task asks for" in page
    assert "Budget: $180 fixed for about 6 h; at your $25/h that is $150" in page
    assert "Bogota (UTC-5) = " in page  # her zone first
    assert "Bo Books" not in page  # never another assistant's data


def test_saving_a_profile_ranks_open_tasks_for_that_assistant(client, other_client, db_session):
    owner = make_owner(db_session)
    task = make_task(
        db_session,
        owner,
        title="Sort my Gmail inbox",
        skills=["Gmail"],
        description="Triage my Gmail inbox every morning.",
    )
    va = make_assistant(db_session, profile=False)
    other_client.login_as(va)
    assert "Fill in" in other_client.get("/jobs/for-you").get_data(as_text=True)
    assert other_client.post("/profile", profile_form()).status_code == 302
    assert count(db_session, Match, Match.assistant_id == va.id, Match.task_id == task.id) == 1
    assert "Sort my Gmail inbox" in other_client.get("/jobs/for-you").get_data(as_text=True)


def test_a_closed_task_drops_out_of_every_feed_at_once(client, other_client, db_session):
    owner, joy, other, task_id = scene(client, db_session)
    other_client.login_as(joy)
    assert "Weekly inbox clean-up" in other_client.get("/jobs/for-you").get_data(as_text=True)
    assert client.post(f"/tasks/{task_id}/close").status_code == 302
    assert "Weekly inbox clean-up" not in other_client.get("/jobs/for-you").get_data(as_text=True)
    assert "Recommended assistants" not in client.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_only_the_owner_sees_recommendations_or_invites(client, other_client, db_session):
    owner, joy, other, task_id = scene(client, db_session)
    other_client.login_as(make_owner(db_session))
    page = other_client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Recommended assistants" not in page
    assert other_client.post(f"/tasks/{task_id}/invite/{joy.id}").status_code == 403
    other_client.login_as(other)
    page = other_client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Recommended assistants" not in page and "Joy Santos" not in page
    assert other_client.post(f"/tasks/{task_id}/invite/{joy.id}").status_code == 403
    assert count(db_session, Invitation) == 0


def test_invite_once_per_assistant_per_task_and_the_assistant_gets_an_email(
    smtp_app, client, db_session, mailbox
):
    owner, joy, other, task_id = scene(client, db_session)
    response = client.post(f"/tasks/{task_id}/invite/{joy.id}", {"rate_cents": "2500"})
    assert response.status_code == 302
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Invitation sent" in page and "Invited" in page
    again = client.post(
        f"/tasks/{task_id}/invite/{joy.id}", {"rate_cents": "2500"}, follow_redirects=True
    )
    assert "already invited" in again.get_data(as_text=True)
    assert count(db_session, Invitation) == 1

    invitations = [m for m in mailbox.to("joy@va.example") if "invites you" in m["Subject"]]
    assert len(invitations) == 1
    (message,) = invitations
    assert message["Subject"] == "Dana Baker invites you to apply: Weekly inbox clean-up"
    text = message.get_body(("plain",)).get_content()
    assert "Why you match:" in text and "Your skills the task asks for" in text
    assert f"http://localhost/tasks/{task_id}/apply" in text


def test_bad_invites_are_clear_4xx(client, db_session):
    owner, joy, other, task_id = scene(client, db_session)
    assert client.post(f"/tasks/{task_id}/invite/999999").status_code == 404
    assert client.post(f"/tasks/999999/invite/{joy.id}").status_code == 404
    assert client.post(f"/tasks/{task_id}/invite/{owner.id}").status_code == 404
    assert client.post(f"/tasks/{task_id}/invite/{joy.id}", csrf=False).status_code == 400
    client.post(f"/tasks/{task_id}/close")
    assert client.post(f"/tasks/{task_id}/invite/{joy.id}").status_code == 409


def test_duplicate_triggers_send_one_email(smtp_app, app, client, db_session, mailbox):
    owner, joy, other, task_id = scene(client, db_session)
    stored = count(db_session, Match, Match.task_id == task_id)
    edit = task_form(description="Triage my Gmail inbox every morning; draft routine replies.")
    assert client.post(f"/tasks/{task_id}/edit", edit).status_code == 302
    assert client.post(f"/tasks/{task_id}/edit", edit).status_code == 302
    from marketplace.jobs import run_job

    run_job(app, "matches.match_task", (task_id,))  # the job run twice more, by hand
    run_job(app, "matches.match_task", (task_id,))
    new_match = [m for m in mailbox.to("joy@va.example") if m["Subject"].startswith("New job")]
    assert len(new_match) == 1
    assert len(mailbox.to("dana@bakery.example")) == 1  # one "recommended assistants" email
    assert count(db_session, Notification, Notification.user_id == joy.id) == 1
    assert count(db_session, Match, Match.task_id == task_id) == stored  # same rows, not more


def test_match_email_respects_the_assistants_minimum_score(smtp_app, client, db_session, mailbox):
    picky = make_assistant(db_session, email="picky@va.example", **INBOX_VA)
    save_preferences(db_session, picky, Frequency.INSTANT, 0.99)
    keen = make_assistant(db_session, email="keen@va.example", **INBOX_VA)
    client.login_as(make_owner(db_session))
    task_id = post_task(client)
    assert count(db_session, Match, Match.task_id == task_id) == 2
    assert mailbox.to("picky@va.example") == []
    (message,) = mailbox.to("keen@va.example")
    assert message["Subject"].startswith("New job for you (")
    html = message.get_body(("html",)).get_content()
    assert "Why you match" in html and f"http://localhost/tasks/{task_id}" in html
    kinds = set(
        db_session.scalars(select(Notification.kind).where(Notification.user_id == keen.id))
    )
    assert kinds == {Kind.NEW_MATCH}


def test_rebuild_command_ranks_everything_without_mail(app, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Gmail triage", skills=["Gmail"])
    va = make_assistant(db_session, **INBOX_VA)
    result = app.test_cli_runner().invoke(args=["matches", "rebuild"])
    assert "Ranked 1 open tasks and 1 assistants" in result.output, result.output
    assert count(db_session, Match, Match.task_id == task.id, Match.assistant_id == va.id) == 1
    assert count(db_session, Notification) == 0
