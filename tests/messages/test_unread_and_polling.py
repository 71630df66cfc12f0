"""Unread counts in the inbox and the nav, and the polling endpoint of an open page."""

import re

from tests.messages.helpers import open_as_owner, scene, send, stranger_client


def nav_count(client) -> int:
    page = client.get("/messages").get_data(as_text=True)
    badge = re.search(
        r'class="nav-messages">Messages(?: <span class="badge"[^>]*>(\d+)</span>)?', page
    )
    assert badge, "no Messages link in the nav"
    return int(badge.group(1) or 0)


def test_unread_counts_rise_for_the_recipient_and_clear_when_opened(
    client, other_client, db_session
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    other_client.login_as(va)
    assert nav_count(other_client) == 0
    for text in ("First", "Second", "Third"):
        assert send(client, cid, text).status_code == 302
    assert nav_count(other_client) == 3
    inbox = other_client.get("/messages").get_data(as_text=True)
    assert "3 unread" in inbox and "Third" in inbox  # the last message's preview
    assert nav_count(client) == 0  # the sender has read what they wrote

    assert other_client.get(f"/messages/{cid}").status_code == 200
    assert nav_count(other_client) == 0
    assert "unread" not in other_client.get("/messages").get_data(as_text=True).split("<main>")[1]

    assert send(other_client, cid, "Got them all").status_code == 302
    assert nav_count(client) == 1
    assert "You: Got them all" in other_client.get("/messages").get_data(as_text=True)


def test_polling_returns_only_newer_messages_and_only_to_participants(
    app, client, other_client, db_session
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    other_client.login_as(va)
    page = other_client.get(f"/messages/{cid}").get_data(as_text=True)
    assert f'data-poll-url="/messages/{cid}/poll"' in page
    assert re.search(r'<script src="[^"]*/messages\.js" defer></script>', page)
    assert other_client.get(f"/messages/{cid}/poll?after=0").get_json() == {"messages": []}

    send(client, cid, "one")
    send(client, cid, "two")
    first = other_client.get(f"/messages/{cid}/poll?after=0&seen=0").get_json()["messages"]
    assert ["one" in m["html"] for m in first] == [True, False]
    newer = other_client.get(f"/messages/{cid}/poll?after={first[0]['id']}").get_json()
    assert [m["id"] for m in newer["messages"]] == [first[1]["id"]]
    assert "two" in newer["messages"][0]["html"]
    assert other_client.get(f"/messages/{cid}/poll?after={first[1]['id']}").get_json() == {
        "messages": []
    }
    # A page in a background tab does not mark them read; one in front does.
    assert nav_count(other_client) == 2
    other_client.get(f"/messages/{cid}/poll?after=0&seen=1")
    assert nav_count(other_client) == 0

    stranger = stranger_client(app, db_session)
    assert stranger.get(f"/messages/{cid}/poll?after=0").status_code == 404


def test_the_nav_count_is_remembered_between_pages_until_a_message_changes_it(
    app, client, other_client, db_session
):
    from sqlalchemy import event

    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    other_client.login_as(va)
    assert send(client, cid, "Hello").status_code == 302
    counts: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        if statement.lstrip().startswith("SELECT count(messages.id)"):  # the nav's count
            counts.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert nav_count(other_client) == 1
        assert nav_count(other_client) == 1
        assert len(counts) == 1, "the second page reused the count"
        assert send(client, cid, "Are you there?").status_code == 302
        assert nav_count(other_client) == 2  # a message sent through this worker shows at once
    finally:
        event.remove(engine, "before_cursor_execute", record)
