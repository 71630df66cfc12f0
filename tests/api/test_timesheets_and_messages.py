"""An hourly week through the API (time logged, edited and deleted by the assistant, the
contract paused and resumed, the week disputed in part and approved by the owner), and a
conversation read and written through it. Strangers get 404, the wrong side 403, bad
input 422 with nothing stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from marketplace.messages.models import Message
from marketplace.messages.services import open_conversation
from marketplace.timesheets.models import TimeEntry, TimesheetStatus
from tests.api.support import bearer, token_for
from tests.factories import make_assistant, make_owner, make_task
from tests.timesheets.helpers import hire_hourly, hourly_scene
from tests.timesheets.test_weekly_billing import CLOSED, run, save_card

MONDAY = date(2026, 12, 7)


def entries(session) -> int:
    return session.scalar(select(func.count()).select_from(TimeEntry))


def test_a_week_is_logged_paused_and_reviewed_through_the_api(
    app, client, db_session, stripe_relay, time_machine
):
    time_machine.move_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), tick=False)
    owner, assistant, proposal = hourly_scene(db_session)
    client.login_as(owner)
    contract_id = hire_hourly(client, proposal)
    save_card(client, stripe_relay)
    mine, theirs = bearer(token_for(db_session, owner)), bearer(token_for(db_session, assistant))
    stranger = bearer(token_for(db_session, make_assistant(db_session)))
    time_machine.move_to(datetime(2026, 12, 9, 12, 0, tzinfo=UTC), tick=False)
    log_url = f"/api/v1/contracts/{contract_id}/time-entries"

    def log(day: str, hours: int, minutes: int = 0, headers=theirs):
        body = {"work_date": day, "hours": hours, "minutes": minutes, "memo": "Inbox to zero"}
        return client.raw.post(log_url, json=body, headers=headers)

    first = log("2026-12-07", 3)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["minutes"] == 180
    second = log("2026-12-08", 2, 30).get_json()
    too_long = log("2026-12-08", 25)
    assert too_long.status_code == 422 and too_long.get_json()["errors"][0]["field"] == "hours"
    assert log("2026-12-08", 1, headers=mine).status_code == 403
    assert log("2026-12-08", 1, headers=stranger).status_code == 404
    assert entries(db_session) == 2

    entry_url = f"/api/v1/time-entries/{second['id']}"
    edited = client.raw.put(
        entry_url, json={"work_date": "2026-12-08", "hours": 1, "memo": "Calendar"}, headers=theirs
    )
    assert edited.status_code == 200 and edited.get_json()["minutes"] == 60
    assert client.raw.delete(entry_url, headers=mine).status_code == 404
    assert client.raw.delete(entry_url, headers=theirs).status_code == 204
    assert entries(db_session) == 1

    base = f"/api/v1/contracts/{contract_id}"
    assert client.raw.post(f"{base}/pause", headers=theirs).status_code == 403
    assert client.raw.post(f"{base}/pause", headers=mine).get_json()["status"] == "paused"
    assert log("2026-12-09", 1).status_code == 409
    assert client.raw.post(f"{base}/resume", headers=mine).get_json()["status"] == "active"
    kept = log("2026-12-09", 1, 15).get_json()

    weeks = client.get(f"{base}/timesheets", headers=mine).get_json()["items"]
    assert [(w["week_start"], w["status"], w["logged_minutes"]) for w in weeks] == [
        (MONDAY.isoformat(), "open", 255)
    ]
    assert client.get(f"{base}/timesheets", headers=stranger).status_code == 404

    time_machine.move_to(CLOSED, tick=False)
    run(app, db_session)
    sheet_url = f"/api/v1/timesheets/{weeks[0]['id']}"
    week = client.get(sheet_url, headers=theirs).get_json()
    assert week["status"] == "in_review" and len(week["entries"]) == 2
    assert client.get(sheet_url, headers=stranger).status_code == 404

    review = f"{sheet_url}/review"
    no_reason = client.raw.post(
        review, json={"disputes": [{"entry_id": kept["id"], "reason": " "}]}, headers=mine
    )
    assert no_reason.status_code == 422
    assert no_reason.get_json()["field"] == "disputes.0.reason"  # not the web page's field name
    assert client.get(sheet_url, headers=mine).get_json()["status"] == "in_review"
    assert client.raw.post(review, json={}, headers=theirs).status_code == 403
    with app.app_context():  # the charge runs as a job after the commit
        reviewed = client.raw.post(
            review,
            json={"disputes": [{"entry_id": kept["id"], "reason": "Not agreed."}]},
            headers=mine,
        )
    assert reviewed.status_code == 200, reviewed.get_json()
    body = reviewed.get_json()
    assert body["approved_minutes"] == 180 and body["amount_cents"] == 7500
    disputed = {e["id"]: e["dispute_reason"] for e in body["entries"]}
    assert disputed[kept["id"]] == "Not agreed."
    again = client.get(sheet_url, headers=mine).get_json()["status"]
    assert again in (TimesheetStatus.CHARGED, TimesheetStatus.PAID)  # the job charged the card
    assert client.raw.post(f"{base}/end", headers=theirs).get_json()["status"] == "ended"


def test_a_conversation_is_read_and_written_by_its_two_parties_only(app, client, db_session):
    owner, assistant = make_owner(db_session), make_assistant(db_session)
    conversation = open_conversation(db_session, make_task(db_session, owner), assistant.id)
    db_session.commit()
    mine, theirs = bearer(token_for(db_session, owner)), bearer(token_for(db_session, assistant))
    stranger = bearer(token_for(db_session, make_owner(db_session)))
    url = f"/api/v1/conversations/{conversation.id}/messages"

    with app.app_context():  # the other party's email is scheduled after the commit
        for text in ("Hello!", "Can you start Monday?", "The books are in the shared folder."):
            sent = client.raw.post(url, json={"body": text}, headers=mine)
            assert sent.status_code == 201, sent.get_json()
    assert client.raw.post(url, json={"body": "  "}, headers=mine).status_code == 422
    assert client.raw.post(url, json={"body": "Hi"}, headers=stranger).status_code == 404
    assert client.get(url, headers=stranger).status_code == 404
    assert db_session.scalar(select(func.count()).select_from(Message)) == 3

    [row] = client.get("/api/v1/conversations", headers=theirs).get_json()["items"]
    assert row["id"] == conversation.id and row["unread"] == 3
    assert row["other"]["id"] == owner.id
    page = client.get(url, query_string={"limit": 2}, headers=theirs).get_json()
    assert [m["body"] for m in page["items"]] == ["Hello!", "Can you start Monday?"]
    rest = client.get(
        url, query_string={"limit": 2, "cursor": page["next_cursor"]}, headers=theirs
    ).get_json()
    assert [m["body"] for m in rest["items"]] == ["The books are in the shared folder."]
    assert rest["next_cursor"] is None
    [row] = client.get("/api/v1/conversations", headers=theirs).get_json()["items"]
    assert row["unread"] == 0
    assert client.get("/api/v1/conversations", headers=stranger).get_json()["items"] == []
