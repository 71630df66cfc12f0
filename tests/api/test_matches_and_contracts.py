"""Reading matches and contracts through the API: each side sees its own, strangers nothing,
and the API's limit per token answers 429 with when to try again."""

from __future__ import annotations

from marketplace.contracts.services import hire, quote
from marketplace.hiring.services import apply_to_task
from tests.api.support import bearer, task_json, token_for
from tests.factories import make_assistant, make_owner, make_task
from tests.rate_limit_support import rate_limits

NOTE = "Ten years of QuickBooks for shops like yours; I can start this week."


def test_a_posted_task_is_matched_and_both_sides_read_the_match(client, app, db_session):
    assistant = make_assistant(db_session, skills=["QuickBooks", "bookkeeping"])
    owner = make_owner(db_session)
    owner_token, assistant_token = token_for(db_session, owner), token_for(db_session, assistant)
    task = task_json(
        title="Monthly bookkeeping in QuickBooks",
        description="Reconcile the bank account and categorise transactions in QuickBooks.",
        skills=["QuickBooks", "bookkeeping"],
        category="bookkeeping",
        overlap_hours=0,  # the assistant works Manila hours
    )
    with app.app_context():  # the match job runs inline after the commit
        posted = client.raw.post("/api/v1/tasks", json=task, headers=bearer(owner_token))
    task_id = posted.get_json()["id"]

    ranked = client.get(f"/api/v1/tasks/{task_id}/recommendations", headers=bearer(owner_token))
    assert ranked.status_code == 200
    [first] = [r for r in ranked.get_json()["items"] if r["assistant_id"] == assistant.id]
    assert 0 < first["score"] <= 1 and first["reasons"]
    assert sorted(first["assistant"]["skills"]) == ["QuickBooks", "bookkeeping"]

    jobs = client.get("/api/v1/me/jobs", headers=bearer(assistant_token)).get_json()
    assert task_id in [job["task"]["id"] for job in jobs["items"]]
    # Owners have no jobs ranked for them; assistants no recommendations for others' tasks.
    assert client.get("/api/v1/me/jobs", headers=bearer(owner_token)).status_code == 403
    theirs = client.get(f"/api/v1/tasks/{task_id}/recommendations", headers=bearer(assistant_token))
    assert theirs.status_code == 404


def test_a_contract_is_read_by_its_two_parties_only(client, db_session):
    owner, assistant, stranger = (
        make_owner(db_session),
        make_assistant(db_session),
        make_owner(db_session),
    )
    task = make_task(db_session, owner)
    proposal = apply_to_task(
        db_session, assistant, task.id, cover_note=NOTE, proposed_rate_cents=2500
    )
    price = quote(proposal, 10, 1000)
    contract = hire(db_session, owner, proposal.id, 10, 1000, price.total_cents)
    db_session.commit()
    for party in (owner, assistant):
        secret = token_for(db_session, party)
        listed = client.get("/api/v1/contracts", headers=bearer(secret)).get_json()["items"]
        assert [c["id"] for c in listed] == [contract.id]
        one = client.get(f"/api/v1/contracts/{contract.id}", headers=bearer(secret)).get_json()
        assert one["total_cents"] == price.total_cents == 25000
        assert one["status"] == "awaiting_funding"
    outsider = token_for(db_session, stranger)
    assert (
        client.get(f"/api/v1/contracts/{contract.id}", headers=bearer(outsider)).status_code == 404
    )
    assert client.get("/api/v1/contracts", headers=bearer(outsider)).get_json()["items"] == []


def test_past_the_limit_a_token_gets_a_429_problem_while_another_token_goes_on(
    client, app, db_session
):
    owner = make_owner(db_session)
    busy, other = token_for(db_session, owner), token_for(db_session, owner)
    with rate_limits(app, API_RATE_LIMIT="3 per minute"):
        for _ in range(3):
            assert client.get("/api/v1/me", headers=bearer(busy)).status_code == 200
        limited = client.get("/api/v1/me", headers=bearer(busy))
        assert limited.status_code == 429
        assert limited.mimetype == "application/problem+json"
        body = limited.get_json()
        assert body["reason"] == "Too many API requests with this token"
        assert 1 <= body["retry_after"] <= 60
        assert limited.headers["Retry-After"] == str(body["retry_after"])
        assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_an_owner_invites_at_the_rate_shown_and_a_changed_rate_is_refused(client, db_session):
    owner, assistant = make_owner(db_session), make_assistant(db_session, hourly_rate_cents=2500)
    task = make_task(db_session, owner)
    secret = token_for(db_session, owner)
    url = f"/api/v1/tasks/{task.id}/invitations"
    stale = client.raw.post(
        url, json={"assistant_id": assistant.id, "rate_cents": 2000}, headers=bearer(secret)
    )
    assert stale.status_code == 409 and "rate is now" in stale.get_json()["detail"]
    sent = client.raw.post(
        url, json={"assistant_id": assistant.id, "rate_cents": 2500}, headers=bearer(secret)
    )
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["rate_cents"] == 2500 and sent.get_json()["hours"] == 10
    again = client.raw.post(
        url, json={"assistant_id": assistant.id, "rate_cents": 2500}, headers=bearer(secret)
    )
    assert again.status_code == 409
    stranger = token_for(db_session, make_owner(db_session))
    theirs = client.raw.post(
        url, json={"assistant_id": assistant.id, "rate_cents": 2500}, headers=bearer(stranger)
    )
    assert theirs.status_code == 404


def test_the_sites_proposal_limit_per_account_holds_on_the_api(client, app, db_session):
    owner = make_owner(db_session)
    tasks = [make_task(db_session, owner, title=f"Books for shop {n}") for n in range(3)]
    assistant = make_assistant(db_session)
    first, second = token_for(db_session, assistant), token_for(db_session, assistant)
    with rate_limits(app, PROPOSAL_RATE_LIMIT="2 per hour"):
        for task, secret in zip(tasks, (first, second, first), strict=True):
            sent = client.raw.post(
                "/api/v1/proposals",
                json={"task_id": task.id, "cover_note": NOTE, "proposed_rate_cents": 2500},
                headers=bearer(secret),
            )
        # Two tokens of one person share the person's count, as two browsers would.
        assert sent.status_code == 429
        assert sent.get_json()["reason"] == "You have sent too many proposals"
