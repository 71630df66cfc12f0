"""The report queue: reported messages and people, oldest first, and what an operator does
about each (dismiss, remove the message, suspend the person), every action audited and the
reporter told it was handled, never what was done."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.messages.models import Message, MessageReport
from marketplace.notifications.emails import build_message
from marketplace.notifications.models import Kind, Notification
from marketplace.reports.models import ProfileReport, ReportOutcome
from tests.factories import PASSWORD, make_owner, make_task
from tests.messages import files
from tests.messages.attachment_helpers import send_files
from tests.messages.helpers import messages, open_as_owner, scene
from tests.operator.helpers import audit_rows, make_operator

NASTY = '<script>alert("pwned")</script> Pay me at <b>evil.example</b> & skip the fee'
REMOVED = "This message was removed by Delegate&#39;s support."


def reported_scene(client, other_client, db_session, time_machine):
    """Joy (assistant) sends Dana (owner) a message with a file; Dana reports it; later Sam,
    another owner, reports Joy's profile. Returns (owner, va, sam, conversation id, message)."""
    owner, task, va = scene(db_session)
    sam = make_owner(db_session, display_name="Sam Other", email="sam@other.example")
    make_task(db_session, sam)
    cid = open_as_owner(client, owner, task, va)
    other_client.login_as(va)
    assert send_files(other_client, cid, NASTY, (files.pdf(), "invoice.pdf")).status_code == 302
    (message,) = messages(db_session, cid)
    reported = client.post(f"/messages/report/{message.id}", {"reason": "Asks for <i>cash</i>"})
    assert reported.status_code == 302
    time_machine.move_to(utcnow() + timedelta(minutes=5), tick=True)
    client.login_as(sam)
    sent = client.post(f"/people/{va.id}/report", {"reason": "scam", "details": "Wants my card"})
    assert sent.status_code == 302
    return owner, va, sam, cid, message


def words_of(email) -> str:
    """What the reader reads: the subject and the text parts, without links (a link's random
    token can spell anything: "joy" once failed a run)."""
    html = email.get_body(("html",)).get_content()
    html = re.sub(r"<[^>]+>", " ", re.sub(r'href="[^"]*"', "", html))
    parts = [email["Subject"], email.get_body(("plain",)).get_content(), html]
    return re.sub(r"https?://\S+", "", " ".join(parts))


def message_report(session) -> MessageReport:
    session.expire_all()
    return session.scalars(select(MessageReport)).one()


def profile_reports(session) -> list[ProfileReport]:
    session.expire_all()
    return list(session.scalars(select(ProfileReport).order_by(ProfileReport.id)))


def handled_notices(session) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.kind == Kind.REPORT_HANDLED)
            .order_by(Notification.user_id)
        )
    )


def test_the_queue_shows_reports_oldest_first_with_what_was_reported_escaped(
    client, other_client, db_session, time_machine
):
    owner, va, sam, _cid, message = reported_scene(client, other_client, db_session, time_machine)
    client.login_as(make_operator(db_session))
    page = client.get("/operator/reports").get_data(as_text=True)

    # The sender's text and the reporter's words, as text: no tag of theirs reaches the page.
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;evil.example&lt;/b&gt; &amp; skip the fee" in page
    assert "<script>alert" not in page and "<b>evil" not in page
    assert "Asks for &lt;i&gt;cash&lt;/i&gt;" in page and "<i>cash" not in page
    assert "invoice.pdf" in page

    items = re.findall(r'id="(message|profile)-report-(\d+)"', page)
    assert [kind for kind, _ in items] == ["message", "profile"]  # oldest first
    message_item, profile_item = page.split('id="profile-report-')
    assert owner.email in message_item and "Joy Santos" in message_item
    assert "0 earlier reports against them" in message_item
    assert sam.email in profile_item and "Scam or fraud" in profile_item
    assert "Wants my card" in profile_item
    assert "1 earlier report against them" in profile_item  # Dana's report of the message
    assert f"/operator/message-reports/{message_report(db_session).id}/remove" in message_item
    assert "/remove" not in profile_item  # a person has no message to remove


def test_dismissing_closes_that_report_and_tells_the_reporter_only_that(
    app, client, other_client, db_session, time_machine
):
    owner, va, _sam, cid, message = reported_scene(client, other_client, db_session, time_machine)
    operator = make_operator(db_session)
    client.login_as(operator)
    report = message_report(db_session)
    url = f"/operator/message-reports/{report.id}/dismiss"

    refused = client.post(url, {"reason": "no"})
    assert refused.status_code == 422 and "Give a reason" in refused.get_data(as_text=True)
    assert message_report(db_session).resolved_at is None and audit_rows(db_session) == []

    done = client.post(url, {"reason": "Ticket 12: a joke between them"})
    assert done.status_code == 303 and done.location.endswith("/operator/reports")
    report = message_report(db_session)
    assert report.outcome == ReportOutcome.DISMISSED and report.resolved_by_id == operator.id
    (entry,) = audit_rows(db_session)
    assert (entry.action, entry.target_type, entry.target_id, entry.reason) == (
        "report.dismissed", "message_report", report.id, "Ticket 12: a joke between them"
    )  # fmt: skip
    assert entry.details["person_id"] == va.id and entry.details["closed"] == [
        f"message:{report.id}"
    ]
    # The profile report (another target) is still open; the message is untouched.
    assert [r.resolved_at for r in profile_reports(db_session)] == [None]
    assert db_session.get(Message, message.id).removed_at is None

    (notice,) = handled_notices(db_session)
    assert notice.user_id == owner.id and notice.payload == {"subject": "message"}
    with app.app_context():
        email = build_message(db_session, notice)
    text = email.get_body(("plain",)).get_content()
    assert "handled by Delegate's support" in email["Subject"] and "looked at it" in text
    assert "looked at it" in words_of(email)
    assert not re.search(r"\b(dismiss|suspend|remov|joy)", words_of(email), re.I)  # nothing of what
    client.login_as(owner)
    assert "handled your report of a message" in client.get("/notifications").get_data(True)

    # Handled is handled: a second action gets a clear refusal and changes nothing.
    client.login_as(operator)
    again = client.post(f"/operator/message-reports/{report.id}/remove", {"reason": "Second look"})
    assert again.status_code == 409 and "handled this report already" in again.get_data(True)
    assert len(audit_rows(db_session)) == 1
    assert db_session.get(Message, message.id).removed_at is None


def test_removing_a_message_hides_its_text_and_files_from_both_parties(
    client, other_client, db_session, time_machine
):
    owner, va, _sam, cid, message = reported_scene(client, other_client, db_session, time_machine)
    client.login_as(owner)
    link = re.search(r'href="(/messages/files/\d+)"', client.get(f"/messages/{cid}").get_data(True))
    assert client.get(link.group(1), buffered=True).status_code == 200
    operator = make_operator(db_session)
    client.login_as(operator)
    report = message_report(db_session)
    done = client.post(
        f"/operator/message-reports/{report.id}/remove", {"reason": "Off-platform payment ask"}
    )
    assert done.status_code == 303

    assert message_report(db_session).outcome == ReportOutcome.REMOVED
    assert db_session.get(Message, message.id).removed_at is not None
    (entry,) = audit_rows(db_session)
    assert entry.action == "report.removed" and entry.details["message_id"] == message.id
    for who, party in ((owner, client), (va, other_client)):
        party.login_as(who)
        page = party.get(f"/messages/{cid}").get_data(as_text=True)
        assert REMOVED in page
        assert "evil.example" not in page and "invoice.pdf" not in page
        assert f"/messages/report/{message.id}" not in page
        assert party.get(link.group(1)).status_code == 404  # the file is gone for both
        assert REMOVED in party.get("/messages").get_data(as_text=True)  # the inbox preview
    assert [n.user_id for n in handled_notices(db_session)] == [owner.id]
    assert [r.resolved_at for r in profile_reports(db_session)] == [None]


def test_suspending_from_a_report_closes_every_report_against_the_person(
    client, other_client, db_session, time_machine
):
    owner, va, sam, _cid, _message = reported_scene(client, other_client, db_session, time_machine)
    operator = make_operator(db_session)
    client.login_as(operator)
    (profile_report,) = profile_reports(db_session)
    done = client.post(
        f"/operator/profile-reports/{profile_report.id}/suspend",
        {"reason": "Card fraud, confirmed by two owners"},
    )
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(User, va.id).suspended_at is not None
    assert message_report(db_session).outcome == ReportOutcome.SUSPENDED
    assert [r.outcome for r in profile_reports(db_session)] == [ReportOutcome.SUSPENDED]
    suspended, closed = audit_rows(db_session)
    assert (suspended.action, suspended.target_id) == ("user.suspend", va.id)
    assert closed.action == "report.suspended" and sorted(closed.details["closed"]) == [
        f"message:{message_report(db_session).id}",
        f"profile:{profile_report.id}",
    ]
    assert [n.user_id for n in handled_notices(db_session)] == sorted([owner.id, sam.id])
    assert "No open reports" in client.get("/operator/reports").get_data(as_text=True)

    # Closed, a person can be reported again by the same reporter: a new report, not the old.
    client.login_as(sam)
    assert client.post(f"/people/{va.id}/report", {"reason": "other"}).status_code == 302
    assert [r.resolved_at is None for r in profile_reports(db_session)] == [False, True]


def test_an_operator_cannot_suspend_themselves_from_a_report(
    client, other_client, db_session, time_machine
):
    operator = make_operator(db_session, display_name="Olive Operator")
    make_task(db_session, operator)
    reporter = make_owner(db_session)
    client.login_as(reporter)
    assert client.post(f"/people/{operator.id}/report", {"reason": "fake"}).status_code == 302
    client.login_as(operator)
    (report,) = profile_reports(db_session)
    refused = client.post(
        f"/operator/profile-reports/{report.id}/suspend", {"reason": "Testing me"}
    )
    assert refused.status_code == 409 and "your own account" in refused.get_data(as_text=True)
    assert profile_reports(db_session)[0].resolved_at is None and audit_rows(db_session) == []


def test_a_reporter_who_deletes_their_account_leaves_the_report_but_not_their_words(
    client, other_client, db_session, time_machine
):
    owner, va, sam, _cid, _message = reported_scene(client, other_client, db_session, time_machine)
    for reporter in (owner, sam):
        client.login_as(reporter)
        gone = client.post("/settings/delete", {"password": PASSWORD, "confirm": "DELETE"})
        assert gone.status_code == 302, gone.get_data(as_text=True)

    client.login_as(make_operator(db_session))
    page = client.get("/operator/reports").get_data(as_text=True)
    # Both reports still wait for an operator, against Joy, with the reason from the list...
    assert len(re.findall(r'id="(?:message|profile)-report-\d+"', page)) == 2
    assert "Joy Santos" in page and "Scam or fraud" in page
    # ...but nothing the deleted reporters wrote, nor who they were.
    assert "cash" not in page and "Wants my card" not in page
    assert owner.email not in page and "sam@other.example" not in page
    assert "The reporter deleted their account" in page  # the message report's own words
    assert page.count("Deleted account") >= 2  # each reporter, as shown everywhere else
    assert message_report(db_session).reason.startswith("(The reporter deleted")
    assert [r.details for r in profile_reports(db_session)] == [None]
