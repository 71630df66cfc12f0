"""An owner's tasks through the API: edit some fields, close, and find open ones by search."""

from __future__ import annotations

from tests.api.support import bearer, task_json, token_for
from tests.factories import make_owner, make_task


def test_a_patch_changes_only_what_it_names_and_a_bad_one_changes_nothing(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    secret = token_for(db_session, owner)
    url = f"/api/v1/tasks/{task.id}"
    changed = client.raw.patch(
        url, json={"title": "Quarterly VAT return", "budget_cents": 45000}, headers=bearer(secret)
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["title"] == "Quarterly VAT return" and body["budget_cents"] == 45000
    assert body["skills"] == ["bookkeeping", "QuickBooks"] and body["estimated_hours"] == 10
    refused = client.raw.patch(url, json={"engagement": "recurring"}, headers=bearer(secret))
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "hours_per_week"
    again = client.get(url, headers=bearer(secret)).get_json()
    assert again["engagement"] == "one_off" and again["title"] == "Quarterly VAT return"


def test_a_closed_task_leaves_the_search_and_cannot_be_closed_twice(client, db_session):
    owner = make_owner(db_session)
    kept = make_task(db_session, owner, title="Reconcile the shop's bank account")
    closed = make_task(db_session, owner, title="Reconcile the cafe's bank account")
    secret = token_for(db_session, owner)
    found = client.get(
        "/api/v1/jobs", query_string={"q": "reconcile", "limit": 1}, headers=bearer(secret)
    ).get_json()
    assert found["total"] == 2 and len(found["items"]) == 1 and found["next_cursor"]
    second = client.get(
        "/api/v1/jobs",
        query_string={"q": "reconcile", "limit": 1, "cursor": found["next_cursor"]},
        headers=bearer(secret),
    ).get_json()
    assert {found["items"][0]["id"], second["items"][0]["id"]} == {kept.id, closed.id}
    assert second["next_cursor"] is None

    shut = client.raw.post(f"/api/v1/tasks/{closed.id}/close", headers=bearer(secret))
    assert shut.status_code == 200 and shut.get_json()["status"] == "closed"
    twice = client.raw.post(f"/api/v1/tasks/{closed.id}/close", headers=bearer(secret))
    assert twice.status_code == 409 and "already closed" in twice.get_json()["detail"]
    after = client.get("/api/v1/jobs", query_string={"q": "reconcile"}, headers=bearer(secret))
    assert [t["id"] for t in after.get_json()["items"]] == [kept.id]


def test_the_number_of_assistants_wanted_goes_in_and_out(client, db_session):
    owner = make_owner(db_session)
    secret = token_for(db_session, owner)
    posted = client.raw.post("/api/v1/tasks", json=task_json(openings=2), headers=bearer(secret))
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["openings"] == 2
    url = f"/api/v1/tasks/{posted.get_json()['id']}"
    refused = client.raw.patch(url, json={"openings": 0}, headers=bearer(secret))
    assert refused.status_code == 422 and refused.get_json()["field"] == "openings"
    assert client.get(url, headers=bearer(secret)).get_json()["openings"] == 2
    one = client.raw.post("/api/v1/tasks", json=task_json(), headers=bearer(secret))
    assert one.get_json()["openings"] == 1
