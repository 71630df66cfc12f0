"""Logged-out visitors see the marketplace: open jobs and public assistant profiles, nothing
private; applying and inviting need an account and come back to the page after log-in. One
visibility rule decides who reads a task, on its page and on its apply form alike."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.hiring.services import apply_to_task
from marketplace.tasks.models import TaskStatus
from marketplace.tasks.services import close_task
from tests.factories import PASSWORD, make_assistant, make_owner, make_task

COVER_NOTE = "Private cover note: I charge less for bakeries."


@pytest.fixture
def market(db_session):
    owner = make_owner(db_session, display_name="Dana Baker", email="dana@bakery.example")
    va = make_assistant(
        db_session, display_name="Joy Santos", email="joy@va.example",
        headline="Night-shift bookkeeper", skills=["QuickBooks", "bank reconciliation"],
    )  # fmt: skip
    open_task = make_task(db_session, owner, title="Reconcile our QuickBooks", budget_cents=31500)
    apply_to_task(db_session, va, open_task.id, cover_note=COVER_NOTE, proposed_rate_cents=2750)
    closed = make_task(db_session, owner, title="Old payroll clean-up", budget_cents=47700)
    close_task(db_session, owner, closed.id)
    return owner, va, open_task, closed


def private_bits_absent(page: str) -> None:
    for private in ("dana@bakery.example", "joy@va.example", COVER_NOTE, "$27.50"):
        assert private not in page


def test_the_home_page_leads_visitors_to_open_jobs_and_assistants(client, market):
    owner, va, open_task, closed = market
    page = client.get("/").get_data(as_text=True)
    assert f'href="/tasks/{open_task.id}">Reconcile our QuickBooks</a>' in page
    assert "Old payroll clean-up" not in page
    assert 'href="/jobs">Browse and search all 1 open job</a>' in page
    assert f'href="/assistants/{va.id}">Joy Santos</a>' in page
    assert "Night-shift bookkeeper" in page
    assert 'href="/assistants">See all 1 assistant</a>' in page
    private_bits_absent(page)


def test_visitors_browse_search_and_read_open_jobs(client, market):
    owner, va, open_task, closed = market
    listing = client.get("/jobs?q=reconciliation quickbooks")
    assert listing.status_code == 200
    assert "Reconcile our QuickBooks" in listing.get_data(as_text=True)
    job = client.get(f"/tasks/{open_task.id}")
    assert job.status_code == 200
    page = job.get_data(as_text=True)
    assert "Reconcile our QuickBooks" in page and "$315 fixed" in page
    assert "Recommended assistants" not in page
    private_bits_absent(page)
    # Applying needs an account: log in, then straight back to the apply form.
    link = f"/login?next=/tasks/{open_task.id}/apply"
    assert f'href="{link}">Log in to apply</a>' in page
    assert client.get(f"/tasks/{closed.id}").status_code == 404


def test_visitors_read_public_profiles_only(client, market):
    owner, va, open_task, closed = market
    directory = client.get("/assistants").get_data(as_text=True)
    assert f'href="/assistants/{va.id}">Joy Santos</a>' in directory
    response = client.get(f"/assistants/{va.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Night-shift bookkeeper" in page and "$25/h" in page and "bank reconciliation" in page
    assert "09:00–17:00 Manila (UTC+8)" in page  # her working hours, in her zone, labelled
    private_bits_absent(page)
    assert "Reconcile our QuickBooks" not in page  # nothing from her proposals
    assert f'href="/login?next=/assistants/{va.id}">Log in to invite Joy Santos</a>' in page
    assert client.get(f"/assistants/{owner.id}").status_code == 404  # owners have no profile


def test_log_in_from_a_job_page_returns_to_apply(client, db_session, market):
    owner, va, open_task, closed = market
    other = make_assistant(db_session, email="kim@va.example")
    response = client.get(f"/tasks/{open_task.id}/apply")
    assert response.status_code == 302
    target = parse_qs(urlsplit(response.location).query)["next"][0]
    assert target == f"/tasks/{open_task.id}/apply"
    response = client.post(
        f"/login?next={target}", {"email": "kim@va.example", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == target
    form = client.get(target)
    assert form.status_code == 200 and "Send proposal" in form.get_data(as_text=True)
    assert other.id  # a different assistant from the one who applied


def test_an_owner_invites_from_a_profile(client, db_session, market):
    owner, va, open_task, closed = market
    client.login_as(owner)
    page = client.get(f"/assistants/{va.id}").get_data(as_text=True)
    action = f'action="/tasks/{open_task.id}/invite/{va.id}"'
    assert action in page
    assert f"/tasks/{closed.id}/invite" not in page  # only open tasks
    rate = re.search(r'name="rate_cents" value="(\d+)"', page).group(1)
    assert int(rate) == va_profile_rate(db_session, va)  # the rate the profile shows
    invited = client.post(f"/tasks/{open_task.id}/invite/{va.id}", {"rate_cents": rate})
    assert invited.status_code == 302
    page = client.get(f"/assistants/{va.id}").get_data(as_text=True)
    assert action not in page and "Invited" in page


@pytest.mark.parametrize("status", [TaskStatus.CLOSED, TaskStatus.HIRED, TaskStatus.COMPLETED])
def test_the_apply_form_hides_what_the_task_page_hides(client, db_session, status):
    owner = make_owner(db_session)
    task = make_task(
        db_session, owner, title="Secret migration to Xero", budget_cents=98700, estimated_hours=33
    )
    task.status = status
    db_session.flush()
    stranger = make_assistant(db_session)
    client.login_as(stranger)
    for url in (f"/tasks/{task.id}", f"/tasks/{task.id}/apply"):
        response = client.get(url)
        assert response.status_code == 404, url
        page = response.get_data(as_text=True)
        assert "Secret migration" not in page and "$987" not in page and "33 h" not in page, url
    # Posting to it reveals no more than reading it.
    response = client.post(f"/tasks/{task.id}/apply", {"cover_note": "Hi", "proposed_rate": "25"})
    assert response.status_code == 404
    assert client.get("/tasks/999999/apply").status_code == 404


def test_parties_still_read_a_task_that_is_no_longer_open(client, db_session, market):
    owner, va, open_task, closed = market
    open_task.status = TaskStatus.HIRED
    db_session.flush()
    client.login_as(va)  # she applied
    assert client.get(f"/tasks/{open_task.id}").status_code == 200
    apply = client.get(f"/tasks/{open_task.id}/apply")
    assert apply.status_code == 302 and apply.location.endswith(f"/tasks/{open_task.id}")
    client.login_as(owner)
    assert client.get(f"/tasks/{closed.id}").status_code == 200
    client.logout()
    assert client.get(f"/tasks/{open_task.id}").status_code == 404


def va_profile_rate(session, va) -> int:
    from marketplace.profiles.models import AssistantProfile

    return session.get(AssistantProfile, va.id).hourly_rate_cents
