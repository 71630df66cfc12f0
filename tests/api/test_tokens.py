"""Personal access tokens, as a person uses them: made on the settings page, shown once,
sent as a bearer header, limited by scope, revoked; and what the API answers without one."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from marketplace.api.models import ApiToken, TokenScope
from marketplace.db import utcnow
from marketplace.tasks.models import Task
from tests.accounts.test_settings import logged_in_owner
from tests.api.support import bearer, task_json, token_for
from tests.factories import make_assistant, make_owner, make_task

SECRET = re.compile(r'data-testid="new-token-secret">(dlg_[A-Za-z0-9_-]+)<')
PROBLEM = "application/problem+json"


def _create_on_settings_page(client, **form) -> str:
    page = client.post(
        "/settings/tokens", {"name": "Zapier", "scope": "read_write", "expires_in": "90", **form}
    )
    assert page.status_code == 201, page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    found = SECRET.search(page.get_data(as_text=True))
    assert found, "the new token's secret is not on the page"
    return found.group(1)


def test_a_token_made_on_the_settings_page_posts_a_task_until_it_is_revoked(client, db_session):
    owner = logged_in_owner(db_session, client)
    secret = _create_on_settings_page(client)

    # Shown once: the settings page afterwards lists it by its prefix, never the secret.
    listing = client.get("/settings").get_data(as_text=True)
    assert secret not in listing
    assert f"{secret[:12]}…" in listing and "Zapier" in listing
    stored = db_session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    assert secret not in (stored.secret_hash, stored.prefix)

    client.logout()  # the API needs no browser session: the token alone
    posted = client.raw.post("/api/v1/tasks", json=task_json(), headers=bearer(secret))
    assert posted.status_code == 201, posted.get_json()
    task_id = posted.get_json()["id"]
    read = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(secret)).get_json()
    assert read["title"] == "Weekly inbox clean-up"
    assert read["budget_cents"] == 18000 and read["skills"] == ["Gmail", "inbox management"]
    mine = client.get("/api/v1/tasks", headers=bearer(secret)).get_json()
    assert [row["task"]["id"] for row in mine["items"]] == [task_id]

    client.login_as(owner)
    assert "last used" in client.get("/settings").get_data(as_text=True)
    assert "never used" in listing  # before the API saw it
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.user_id == owner.id))
    revoked = client.post(f"/settings/tokens/{token_id}/revoke", follow_redirects=True)
    assert "The token is revoked" in revoked.get_data(as_text=True)
    assert "You have no API tokens." in client.get("/settings").get_data(as_text=True)

    refused = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.mimetype == PROBLEM
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert "revoked" in refused.get_json()["detail"]


def test_the_settings_form_says_what_is_wrong_with_a_token_and_makes_none(client, db_session):
    owner = logged_in_owner(db_session, client)
    page = client.post(
        "/settings/tokens",
        {"name": "Sheet", "scope": "read", "expires_in": "date", "expires_on": "2001-01-01"},
    )
    assert page.status_code == 422
    assert "The expiry date must be in the future." in page.get_data(as_text=True)
    nameless = client.post("/settings/tokens", {"name": " ", "scope": "read", "expires_in": "30"})
    assert nameless.status_code == 422
    assert "Name the token" in nameless.get_data(as_text=True)
    count = select(func.count()).select_from(ApiToken).where(ApiToken.user_id == owner.id)
    assert db_session.scalar(count) == 0


def test_a_read_token_reads_but_cannot_write(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    secret = token_for(db_session, owner, TokenScope.READ)
    assert client.get(f"/api/v1/tasks/{task.id}", headers=bearer(secret)).status_code == 200
    refused = client.raw.post("/api/v1/tasks", json=task_json(), headers=bearer(secret))
    assert refused.status_code == 403
    assert refused.mimetype == PROBLEM
    assert "can only read" in refused.get_json()["detail"]
    closing = client.post(f"/api/v1/tasks/{task.id}/close", csrf=False, headers=bearer(secret))
    assert closing.status_code == 403
    assert db_session.scalar(select(func.count()).select_from(Task)) == 1


def test_a_strangers_task_is_not_found_and_stays_as_it_was(client, db_session):
    owner, stranger = make_owner(db_session), make_owner(db_session)
    task = make_task(db_session, owner)
    secret = token_for(db_session, stranger)
    for response in (
        client.raw.patch(
            f"/api/v1/tasks/{task.id}", json={"title": "Mine"}, headers=bearer(secret)
        ),
        client.raw.post(f"/api/v1/tasks/{task.id}/close", headers=bearer(secret)),
        client.get(f"/api/v1/tasks/{task.id}/proposals", headers=bearer(secret)),
        client.get(f"/api/v1/tasks/{task.id}/recommendations", headers=bearer(secret)),
    ):
        assert response.status_code == 404, response.get_json()
        assert response.get_json()["type"] == "/api/v1/problems/not-found"
    db_session.refresh(task)
    assert task.title == "Monthly bookkeeping in QuickBooks" and task.is_open


def test_a_browser_session_does_not_authenticate_the_api(client, db_session):
    owner = logged_in_owner(db_session, client)
    assert client.get("/dashboard").status_code == 200  # logged in on the site
    response = client.raw.post("/api/v1/tasks", json=task_json())
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.get_json()["detail"]
    count = select(func.count()).select_from(Task).where(Task.owner_id == owner.id)
    assert db_session.scalar(count) == 0


def test_tokens_stop_when_they_expire_or_their_account_is_suspended(client, db_session):
    owner = make_owner(db_session)
    short = token_for(db_session, owner, days=1)
    lasting = token_for(db_session, owner, days=30)
    assert client.get("/api/v1/me", headers=bearer(short)).get_json()["id"] == owner.id
    with time_machine.travel(utcnow() + timedelta(days=2)):
        assert client.get("/api/v1/me", headers=bearer(short)).status_code == 401
        assert client.get("/api/v1/me", headers=bearer(lasting)).status_code == 200
    owner.suspended_at = utcnow()
    db_session.commit()
    assert client.get("/api/v1/me", headers=bearer(lasting)).status_code == 401


def test_a_mistyped_or_missing_token_is_a_401_problem(client, db_session):
    for headers in ({}, bearer("dlg_not-a-token"), {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        body = response.get_json()
        assert body["status"] == 401 and body["title"] and body["detail"]


def test_bad_fields_are_a_422_naming_each_field_and_nothing_is_saved(client, db_session):
    owner = make_owner(db_session)
    secret = token_for(db_session, owner)
    bad = task_json(title="", budget_cents=1, timezone="Mars/Olympus")
    response = client.raw.post("/api/v1/tasks", json=bad, headers=bearer(secret))
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    reasons = {e["field"]: e["detail"] for e in response.get_json()["errors"]}
    assert reasons["title"] == "Give the task a title."
    assert reasons["budget_cents"] == "The amount must be at least 5.00."
    assert "time zone" in reasons["timezone"]
    wrong_type = client.raw.post(
        "/api/v1/tasks", json=task_json(estimated_hours="six"), headers=bearer(secret)
    )
    assert wrong_type.status_code == 422
    assert wrong_type.get_json()["field"] == "estimated_hours"
    assert db_session.scalar(select(func.count()).select_from(Task)) == 0


def test_an_assistant_applies_lists_and_withdraws_a_proposal(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    assistant = make_assistant(db_session)
    secret = token_for(db_session, assistant)
    note = "I have reconciled books for twenty shops like yours."
    sent = client.raw.post(
        "/api/v1/proposals",
        json={"task_id": task.id, "cover_note": note, "proposed_rate_cents": 2600},
        headers=bearer(secret),
    )
    assert sent.status_code == 201, sent.get_json()
    proposal = sent.get_json()
    assert proposal["status"] == "submitted" and proposal["proposed_rate_cents"] == 2600
    owners = client.get(
        f"/api/v1/tasks/{task.id}/proposals", headers=bearer(token_for(db_session, owner))
    )
    assert [p["id"] for p in owners.get_json()["items"]] == [proposal["id"]]
    withdrawn = client.raw.post(
        f"/api/v1/proposals/{proposal['id']}/withdraw", headers=bearer(secret)
    )
    assert withdrawn.get_json()["status"] == "withdrawn"
    mine = client.get("/api/v1/proposals", headers=bearer(secret)).get_json()["items"]
    assert [p["status"] for p in mine] == ["withdrawn"]


def test_lists_are_paged_by_an_opaque_cursor(client, db_session):
    owner = make_owner(db_session)
    made = [make_task(db_session, owner, title=f"Task number {n}").id for n in range(5)]
    secret = token_for(db_session, owner)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tasks", query_string=query, headers=bearer(secret)).get_json()
        seen += [row["task"]["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 5
    forged = client.get("/api/v1/tasks", query_string={"cursor": "!!"}, headers=bearer(secret))
    assert forged.status_code == 422 and forged.get_json()["field"] == "cursor"


def test_a_method_the_api_does_not_have_is_a_405_problem_saying_which_it_has(client, db_session):
    secret = token_for(db_session, make_owner(db_session))
    response = client.raw.delete("/api/v1/tasks", headers=bearer(secret))
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
