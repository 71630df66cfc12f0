"""Who opens a conversation, and who may read or write in it: the two parties only."""

from marketplace.messages.models import Conversation
from tests.factories import make_assistant
from tests.messages.helpers import (
    conversation_id,
    conversations,
    messages,
    open_as_owner,
    scene,
    send,
    start,
    stranger_client,
)

NOTE = "I have kept the books for three bakeries in QuickBooks for five years."


def test_a_proposal_opens_the_conversation_and_both_find_it(client, other_client, db_session):
    owner, task, va = scene(db_session)
    client.login_as(va)
    applied = client.post(f"/tasks/{task.id}/apply", {"cover_note": NOTE, "proposed_rate": "25"})
    assert applied.status_code == 302
    (conversation,) = conversations(db_session)
    assert (conversation.task_id, conversation.owner_id, conversation.assistant_id) == (
        task.id,
        owner.id,
        va.id,
    )
    # The assistant writes from the task page's button; the owner from the proposal list's.
    task_page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Message Dana Baker" in task_page
    assert conversation_id(start(client, task.id, va.id)) == conversation.id
    other_client.login_as(owner)
    proposals = other_client.get(f"/tasks/{task.id}/proposals").get_data(as_text=True)
    assert "Message Joy Santos" in proposals
    assert conversation_id(start(other_client, task.id, va.id)) == conversation.id
    assert len(conversations(db_session)) == 1  # one per (task, assistant), however opened
    inbox = other_client.get("/messages").get_data(as_text=True)
    assert "Joy Santos" in inbox and "Reconcile our QuickBooks" in inbox


def test_an_invitation_opens_the_conversation(client, other_client, db_session):
    owner, task, va = scene(db_session)
    client.login_as(owner)
    invited = client.post(f"/tasks/{task.id}/invite/{va.id}", {"rate_cents": "2500"})
    assert invited.status_code == 302
    (conversation,) = conversations(db_session)
    assert (conversation.task_id, conversation.assistant_id) == (task.id, va.id)
    other_client.login_as(va)
    assert "Joy Santos" not in other_client.get("/messages").get_data(as_text=True)
    inbox = other_client.get("/messages").get_data(as_text=True)
    assert "Dana Baker" in inbox and "Reconcile our QuickBooks" in inbox
    assert other_client.get(f"/messages/{conversation.id}").status_code == 200


def test_the_owner_messages_from_a_profile_and_the_conversation_runs_both_ways(
    client, other_client, db_session
):
    owner, task, va = scene(db_session)
    client.login_as(owner)
    profile = client.get(f"/assistants/{va.id}").get_data(as_text=True)
    assert "Message about this task" in profile
    cid = conversation_id(start(client, task.id, va.id))
    assert send(client, cid, "Hello Joy, can you start Monday?").status_code == 302
    other_client.login_as(va)
    assert send(other_client, cid, "Yes, Monday works.").status_code == 302
    page = client.get(f"/messages/{cid}").get_data(as_text=True)
    assert "Hello Joy, can you start Monday?" in page and "Yes, Monday works." in page
    assert [m.sender_id for m in messages(db_session, cid)] == [owner.id, va.id]


def test_strangers_get_404_and_visitors_are_sent_to_log_in(app, client, db_session):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    assert send(client, cid, "For the two of us only").status_code == 302
    (message,) = messages(db_session, cid)

    stranger = stranger_client(app, db_session)
    for url in (f"/messages/{cid}", f"/messages/{cid}/poll?after=0"):
        response = stranger.get(url)
        assert response.status_code == 404
        assert "For the two of us only" not in response.get_data(as_text=True)
    assert send(stranger, cid, "let me in").status_code == 404
    assert stranger.post(f"/messages/report/{message.id}", {"reason": "x"}).status_code == 404
    assert start(stranger, task.id, va.id).status_code == 404  # not their task
    assert "Dana Baker" not in stranger.get("/messages").get_data(as_text=True)
    assert len(messages(db_session, cid)) == 1

    client.logout()
    for url in (f"/messages/{cid}", f"/messages/{cid}/poll?after=0", "/messages"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert send(client, cid, "anonymous").status_code == 302
    assert len(messages(db_session, cid)) == 1


def test_an_assistant_cannot_start_a_conversation_about_a_task_they_have_no_part_in(
    client, db_session
):
    owner, task, va = scene(db_session)
    client.login_as(va)
    assert start(client, task.id, va.id).status_code == 404
    other = make_assistant(db_session)
    assert start(client, task.id, other.id).status_code == 404
    assert db_session.query(Conversation).count() == 0


def test_message_form_errors_are_clear_and_store_nothing(client, db_session):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    empty = send(client, cid, "   \n ")
    assert empty.status_code == 422
    assert "Write a message or attach a file before sending it." in empty.get_data(as_text=True)
    long = send(client, cid, "x" * 5001)
    assert long.status_code == 422
    assert "at most 5,000 characters" in long.get_data(as_text=True)
    assert messages(db_session, cid) == []
    assert send(client, cid, "x" * 5000).status_code == 302


def test_posting_is_rate_limited_per_sender_with_the_text_kept(
    app, client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "MESSAGE_POST_LIMITS", "2 per minute")
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    assert send(client, cid, "one").status_code == 302
    assert send(client, cid, "two").status_code == 302
    third = send(client, cid, "three, kept for later")
    assert third.status_code == 429
    page = third.get_data(as_text=True)
    assert "You have sent 2 messages in a short time" in page
    assert "three, kept for later" in page  # in the form, to send later
    assert [m.body for m in messages(db_session, cid)] == ["one", "two"]
