"""Reporting a person: from an assistant's profile and from a task page (its owner)."""

from sqlalchemy import select

from marketplace.reports.models import ProfileReport
from tests.factories import make_owner
from tests.messages.helpers import messages, open_as_owner, scene, send
from tests.rate_limit_support import rate_limits


def reports(session) -> list[ProfileReport]:
    session.expire_all()
    return list(session.scalars(select(ProfileReport).order_by(ProfileReport.id)))


def report(client, user_id: int, reason="scam", details="", **extra):
    return client.post(f"/people/{user_id}/report", {"reason": reason, "details": details, **extra})


def test_an_owner_reports_an_assistant_from_their_profile(client, db_session):
    owner, _task, va = scene(db_session)
    client.login_as(owner)
    page = client.get(f"/assistants/{va.id}").get_data(as_text=True)
    assert f'action="/people/{va.id}/report"' in page and "Report Joy Santos" in page
    assert "Asks to be paid or to talk outside Delegate" in page  # the short list of reasons

    sent = report(client, va.id, "off_platform", "  Wants to be paid by wire  ")
    assert sent.status_code == 302 and sent.location.endswith(f"/assistants/{va.id}")
    assert "your report is sent" in client.get(sent.location).get_data(as_text=True)
    (row,) = reports(db_session)
    assert (row.user_id, row.reporter_id, row.reason, row.details) == (
        va.id, owner.id, "off_platform", "Wants to be paid by wire"
    )  # fmt: skip
    assert row.resolved_at is None

    # One open report per reporter and person: again is recorded once, and said so.
    again = report(client, va.id, "scam")
    assert "reported this person already" in client.get(again.location).get_data(as_text=True)
    assert len(reports(db_session)) == 1


def test_an_assistant_reports_a_task_owner_from_the_task_page(client, db_session):
    owner, task, va = scene(db_session)
    client.login_as(va)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f'action="/people/{owner.id}/report"' in page and "Report Dana Baker" in page
    sent = report(client, owner.id, "fake", task_id=str(task.id))
    assert sent.status_code == 302 and sent.location.endswith(f"/tasks/{task.id}")
    (row,) = reports(db_session)
    assert (row.user_id, row.reporter_id, row.reason, row.details) == (
        owner.id,
        va.id,
        "fake",
        None,
    )

    client.login_as(owner)
    own_task = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "/report" not in own_task  # nobody is offered to report themselves
    assert report(client, owner.id).status_code == 409


def test_a_report_needs_a_reason_from_the_list_and_somebody_shown_somewhere(client, db_session):
    owner, _task, va = scene(db_session)
    hidden = make_owner(db_session, display_name="No Tasks Yet")  # shown nowhere
    client.login_as(owner)
    for reason in ("", "because"):
        refused = report(client, va.id, reason)
        assert refused.status_code == 422
        assert "Choose what is wrong from the list" in refused.get_data(as_text=True)
    too_long = report(client, va.id, "other", "x" * 1001)
    assert too_long.status_code == 422 and "under 1,000 characters" in too_long.get_data(True)
    assert report(client, hidden.id).status_code == 404
    assert report(client, 999_999).status_code == 404
    assert reports(db_session) == []
    client.logout()
    assert report(client, va.id).status_code in (302, 401)  # to the log-in page
    assert reports(db_session) == []


def test_reports_of_messages_and_people_share_one_rate_limit(app, client, db_session):
    owner, task, va = scene(db_session)
    other = make_owner(db_session, display_name="Sam Other")
    from tests.factories import make_task

    make_task(db_session, other)
    cid = open_as_owner(client, owner, task, va)
    client.login_as(va)
    send(client, cid, "Hello")
    (message,) = messages(db_session, cid)
    client.login_as(owner)
    with rate_limits(app, REPORT_RATE_LIMIT="2 per hour"):
        assert client.post(f"/messages/report/{message.id}", {"reason": "Rude"}).status_code == 302
        assert report(client, va.id).status_code == 302
        limited = report(client, other.id)
        assert limited.status_code == 429
        assert "too many reports" in limited.get_data(as_text=True)
        assert limited.headers["Retry-After"]
    assert [r.user_id for r in reports(db_session)] == [va.id]
