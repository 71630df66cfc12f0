"""Download my data: the person's own records as JSON, nobody else's, and no secrets."""

from __future__ import annotations

import json

from marketplace.hiring.services import apply_to_task
from tests.factories import make_assistant, make_owner, make_task
from tests.messages import files
from tests.messages.attachment_helpers import send_files
from tests.messages.helpers import open_as_owner, send


def test_the_export_holds_my_data_and_nobody_elses(client, other_client, db_session):
    owner = make_owner(db_session, email="maria@example.com", display_name="Maria Lopez")
    task = make_task(db_session, owner, title="Monthly bookkeeping for a bakery")
    stranger = make_owner(db_session, email="stranger@example.com", display_name="Sam Stranger")
    make_task(db_session, stranger, title="A stranger's secret project")
    va = make_assistant(db_session, email="joy@example.com", display_name="Joy Nguyen")
    apply_to_task(
        db_session, va, task.id, cover_note="Joy's own cover note", proposed_rate_cents=2500
    )
    db_session.commit()
    cid = open_as_owner(client, owner, task, va)
    assert send(client, cid, "Maria's question about the ledger").status_code == 302
    send_files(client, cid, "The ledger", (files.csv(), "ledger.csv"))
    other_client.login_as(va)
    assert send(other_client, cid, "Joy's private answer").status_code == 302

    response = client.get("/settings/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "maria@example.com"
    assert [t["title"] for t in data["tasks"]] == ["Monthly bookkeeping for a bakery"]
    assert [m["body"] for m in data["messages_written"]] == [
        "Maria's question about the ledger",
        "The ledger",
    ]
    assert data["conversations"][0]["with"] == "Joy Nguyen"
    assert [(f["filename"], f["content_type"]) for f in data["files_sent"]] == [
        ("ledger.csv", "text/csv; charset=utf-8")
    ]
    assert data["log_in_sessions"], "this browser's log-in is listed"
    text = response.get_data(as_text=True)
    for not_hers in ("stranger@example.com", "secret project", "Joy's private answer",
                     "Joy's own cover note", "joy@example.com"):  # fmt: skip
        assert not_hers not in text, not_hers
    for secret in ("password_hash", "token_hash", "argon2", "email_key", "storage_key"):
        assert secret not in text, secret


def test_an_assistant_exports_their_profile_and_proposals(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Inbox triage")
    va = make_assistant(db_session, skills=["Gmail", "Zendesk"])
    apply_to_task(
        db_session, va, task.id, cover_note="I triage 300 emails a day.", proposed_rate_cents=2200
    )
    db_session.commit()
    client.login_as(va)

    data = client.get("/settings/export").get_json()

    assert sorted(data["profile"]["skills"]) == ["Gmail", "Zendesk"]
    assert [(p["cover_note"], p["proposed_rate_cents"]) for p in data["proposals"]] == [
        ("I triage 300 emails a day.", 2200)
    ]
    assert data["tasks"] == [] and data["contracts"] == []


def test_the_settings_page_links_the_download_and_visitors_are_sent_to_log_in(client, db_session):
    assert client.get("/settings/export").status_code == 302
    client.login_as(make_owner(db_session))
    assert 'href="/settings/export"' in client.get("/settings").get_data(as_text=True)
