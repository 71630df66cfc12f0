"""Reporting a message: a row for the operators, who read them with ``open_reports``."""

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.messages.models import MessageReport
from marketplace.messages.services import open_reports
from tests.messages.helpers import messages, open_as_owner, scene, send


def test_a_report_records_who_which_message_why_and_when(client, other_client, db_session):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    send(client, cid, "Pay me outside Delegate, it is cheaper")
    (message,) = messages(db_session, cid)

    other_client.login_as(va)
    page = other_client.get(f"/messages/{cid}").get_data(as_text=True)
    assert f'action="/messages/report/{message.id}"' in page
    reason = "Asks to pay outside the platform"
    response = other_client.post(f"/messages/report/{message.id}", {"reason": reason})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/messages/{cid}")
    assert "the message is reported" in other_client.get(f"/messages/{cid}").get_data(as_text=True)

    (report,) = open_reports(db_session)
    assert (report.message_id, report.reporter_id, report.reason) == (message.id, va.id, reason)
    assert report.created_at is not None and report.resolved_at is None
    assert report.message.body == "Pay me outside Delegate, it is cheaper"

    # Twice is recorded once; a resolved report is no longer open.
    assert (
        other_client.post(f"/messages/report/{message.id}", {"reason": "again"}).status_code == 302
    )
    assert len(list(db_session.scalars(select(MessageReport)))) == 1
    report.resolved_at = utcnow()
    db_session.flush()
    assert open_reports(db_session) == []


def test_reports_need_a_reason_and_nobody_reports_their_own_message(client, db_session):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    send(client, cid, "Mine")
    (message,) = messages(db_session, cid)
    page = client.get(f"/messages/{cid}").get_data(as_text=True)
    assert "/messages/report/" not in page  # no button on one's own messages
    assert client.post(f"/messages/report/{message.id}", {"reason": "x"}).status_code == 409
    client.login_as(va)
    empty = client.post(f"/messages/report/{message.id}", {"reason": "  "})
    assert empty.status_code == 422
    assert "Say in a few words what is wrong" in empty.get_data(as_text=True)
    assert open_reports(db_session) == []
