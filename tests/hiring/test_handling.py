"""Proposals, handled: the owner's list shows each proposal's match and lets them shortlist,
decline (the assistant is told) and message; the assistant edits until answered and sends a
withdrawn proposal again once. Strangers find nothing."""

import html
import re

from sqlalchemy import select

from marketplace.hiring.models import Proposal, ProposalStatus
from marketplace.matches import events as match_events
from marketplace.matches.explain import percent
from marketplace.matches.models import EventKind, Match, MatchEvent
from marketplace.notifications.models import Kind, Notification
from marketplace.tasks.services import close_task
from tests.factories import make_assistant, make_owner
from tests.matches.test_matches import INBOX_VA, post_task
from tests.notifications.mailbox import body_html, body_text, wait_for
from tests.payments.helpers import hire, proposal_scene, quoted_total

NOTE = "I triage inboxes for three founders and draft replies before 9am."
REASON = "We chose someone who can also do our bookkeeping."


def card(page: str, proposal_id: int) -> str:
    """One proposal's card on a list page: up to the next card, or the end of the list."""
    start = page.index(f'id="proposal-{proposal_id}"')
    end = page.find('<li class="card', start)
    return page[start : end if end != -1 else page.index("</main>", start)]


def apply(client, task_id: int, note: str = NOTE, rate: str = "25") -> None:
    response = client.post(f"/tasks/{task_id}/apply", {"cover_note": note, "proposed_rate": rate})
    assert response.status_code == 302, response.get_data(as_text=True)


def proposal_of(session, task_id: int, assistant_id: int) -> Proposal:
    session.expire_all()
    return session.scalar(
        select(Proposal).where(Proposal.task_id == task_id, Proposal.assistant_id == assistant_id)
    )


def events(session, kind: EventKind) -> list[MatchEvent]:
    return list(session.scalars(select(MatchEvent).where(MatchEvent.kind == kind)))


def test_the_list_shows_each_proposals_match_score_and_reasons(client, other_client, db_session):
    joy = make_assistant(db_session, display_name="Joy Santos", email="joy@va.example", **INBOX_VA)
    owner = make_owner(db_session)
    client.login_as(owner)
    task_id = post_task(client)  # the match job ranks Joy (inline in tests)
    late = make_assistant(db_session, display_name="Lee Late", email="lee@va.example")
    for va in (joy, late):
        other_client.login_as(va)
        apply(other_client, task_id)
    match = db_session.scalar(
        select(Match).where(Match.task_id == task_id, Match.assistant_id == joy.id)
    )

    page = client.get(f"/tasks/{task_id}/proposals").get_data(as_text=True)
    joys = html.unescape(card(page, proposal_of(db_session, task_id, joy.id).id))
    assert f"{percent(match.score)}% match" in joys
    assert "Skills you asked for: has Gmail, inbox management" in joys
    assert "Availability: Available 20 h a week" in joys
    # Lee signed up after the ranking: no stored match, so no made-up score either
    lees = card(page, proposal_of(db_session, task_id, late.id).id)
    assert "% match" not in lees and "no match score" in lees
    assert "Message Joy Santos" in joys and "Message Lee Late" in lees


def test_owner_shortlists_and_takes_off_with_a_shortlisted_tab(client, db_session):
    owner, assistant, proposal = proposal_scene(db_session)
    other = make_assistant(db_session, display_name="Bo Other", email="bo@va.example")
    client.login_as(other)
    apply(client, proposal.task_id)
    client.login_as(owner)
    url = f"/tasks/{proposal.task_id}/proposals"
    assert "Nobody is on your short list yet" in client.get(f"{url}?show=shortlisted").get_data(
        as_text=True
    )

    response = client.post(f"/proposals/{proposal.id}/shortlist", {"on": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    short = client.get(f"{url}?show=shortlisted").get_data(as_text=True)
    assert assistant.display_name in short and "Bo Other" not in short
    assert "Shortlisted (1)" in short and "All (2)" in short
    assert "Remove from short list" in card(short, proposal.id)
    everyone = client.get(url).get_data(as_text=True)
    assert "Bo Other" in everyone and "shortlisted" in card(everyone, proposal.id)

    # Taken off from the tab, back to the tab; on again records no second event.
    off = client.post(f"/proposals/{proposal.id}/shortlist", {"on": "0", "show": "shortlisted"})
    assert off.headers["Location"].endswith(f"{url}?show=shortlisted")
    tab = client.get(f"{url}?show=shortlisted").get_data(as_text=True)
    assert "Nobody is on your short list yet" in tab and "Shortlisted (0)" in tab
    client.post(f"/proposals/{proposal.id}/shortlist", {"on": "1"})
    assert [e.assistant_id for e in events(db_session, EventKind.SHORTLIST)] == [assistant.id]

    # The short list is the owner's: the assistant's own data export does not reveal it.
    client.login_as(assistant)
    (exported,) = client.get("/settings/export").get_json()["proposals"]
    assert exported["id"] == proposal.id and "shortlisted_at" not in exported


def test_decline_with_a_reason_tells_the_assistant_by_email_and_on_their_proposals(
    client, other_client, db_session, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    form = client.get(f"/proposals/{proposal.id}/decline").get_data(as_text=True)
    assert "Reason (optional)" in form
    response = client.post(f"/proposals/{proposal.id}/decline", {"reason": REASON})
    assert response.status_code == 302

    after = client.get(f"/tasks/{proposal.task_id}/proposals").get_data(as_text=True)
    mine = html.unescape(card(after, proposal.id))
    assert "declined" in mine and REASON in mine
    assert "Hire " not in mine and "Shortlist" not in mine  # answered: nothing more to do

    wait_for(lambda: mailbox.to(assistant.email), what="the decline email")
    (email,) = mailbox.to(assistant.email)
    assert email["Subject"].strip() == (
        f'{owner.display_name} declined your proposal for "{proposal.task.title}"'
    )
    assert REASON in body_text(email) and html.escape(REASON) in body_html(email)
    assert "/proposals" in body_text(email)

    other_client.login_as(assistant)
    theirs = html.unescape(card(other_client.get("/proposals").get_data(as_text=True), proposal.id))
    assert f"Their reason: “{REASON}”" in theirs
    assert "Edit" not in theirs and "Withdraw" not in theirs
    bell = other_client.get("/notifications").get_data(as_text=True)
    assert f"Proposal declined: {proposal.task.title}" in html.unescape(bell)
    assert [e.assistant_id for e in events(db_session, EventKind.DECLINE)] == [assistant.id]
    # ...which the matcher's learner reads like any other event
    learned = [e.kind for e in match_events.training_events(db_session)]
    assert learned == ["proposal", "decline"]

    # Declining twice: a clear refusal, no second email.
    again = client.post(f"/proposals/{proposal.id}/decline", {"reason": ""})
    assert again.status_code == 409 and "declined this proposal already" in again.get_data(
        as_text=True
    )
    told = db_session.scalars(
        select(Notification).where(Notification.kind == Kind.PROPOSAL_DECLINED)
    ).all()
    assert len(told) == 1


def test_decline_without_a_reason_and_a_reason_too_long(client, other_client, db_session):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    long = client.post(f"/proposals/{proposal.id}/decline", {"reason": "x" * 1001})
    assert long.status_code == 422 and "under 1,000 characters" in long.get_data(as_text=True)
    assert proposal_of(db_session, proposal.task_id, assistant.id).status == (
        ProposalStatus.SUBMITTED
    )

    assert client.post(f"/proposals/{proposal.id}/decline", {"reason": "  "}).status_code == 302
    declined = proposal_of(db_session, proposal.task_id, assistant.id)
    assert (declined.status, declined.decline_reason) == (ProposalStatus.DECLINED, None)
    other_client.login_as(assistant)
    mine = other_client.get("/proposals").get_data(as_text=True)
    assert "without giving a reason" in card(mine, proposal.id)


def test_a_declined_proposal_cannot_be_hired(client, db_session):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    quoted = quoted_total(client, proposal.id, 4)
    client.post(f"/proposals/{proposal.id}/decline", {"reason": ""})
    response = client.post(
        f"/proposals/{proposal.id}/hire",
        {"hours": "4", "quoted_total_cents": quoted, "action": "hire"},
    )
    assert response.status_code == 409
    assert "You have declined this proposal" in response.get_data(as_text=True)


def test_the_assistant_edits_until_answered_and_the_owner_sees_when(
    client, other_client, db_session
):
    owner, assistant, proposal = proposal_scene(db_session)
    other_client.login_as(assistant)
    form = other_client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert "I have done exactly this for five bakeries." in form and 'value="25"' in form
    edited = other_client.post(
        f"/proposals/{proposal.id}/edit",
        {"cover_note": "Now with payroll too: I run it for two shops.", "proposed_rate": "27.50"},
    )
    assert edited.status_code == 302

    client.login_as(owner)
    page = card(
        client.get(f"/tasks/{proposal.task_id}/proposals").get_data(as_text=True), proposal.id
    )
    assert "Now with payroll too" in page and "$27.50/h" in page
    assert re.search(r'class="edited">edited \w', page)
    # The owner's hire page quotes the new rate: the price shown is the price charged.
    contract_id = hire(client, proposal, hours=4)
    from marketplace.contracts.models import Contract

    assert db_session.get(Contract, contract_id).rate_cents == 2750

    # Answered (hired): the edit form is gone and a late edit is refused, changing nothing.
    mine = card(other_client.get("/proposals").get_data(as_text=True), proposal.id)
    assert "Edit" not in mine
    late = other_client.post(
        f"/proposals/{proposal.id}/edit",
        {"cover_note": "One more change after the hire.", "proposed_rate": "40"},
    )
    assert late.status_code == 409 and "just hired you" in late.get_data(as_text=True)
    assert proposal_of(db_session, proposal.task_id, assistant.id).proposed_rate_cents == 2750


def test_bad_edits_get_their_message_and_a_closed_task_stops_edits(
    client, other_client, db_session
):
    owner, assistant, proposal = proposal_scene(db_session)
    other_client.login_as(assistant)
    short = other_client.post(
        f"/proposals/{proposal.id}/edit", {"cover_note": "too short", "proposed_rate": "25"}
    )
    assert short.status_code == 422 and "Between 20 and 5,000" in short.get_data(as_text=True)
    close_task(db_session, owner, proposal.task_id)
    db_session.commit()
    closed = other_client.post(
        f"/proposals/{proposal.id}/edit",
        {"cover_note": "A perfectly fine new cover note.", "proposed_rate": "25"},
    )
    assert closed.status_code == 409 and "no longer open" in closed.get_data(as_text=True)
    kept = proposal_of(db_session, proposal.task_id, assistant.id)
    assert (kept.cover_note, kept.edited_at) == (
        "I have done exactly this for five bakeries.",
        None,
    )


def test_strangers_get_404_on_every_action(client, db_session):
    owner, assistant, proposal = proposal_scene(db_session)
    stranger_owner = make_owner(db_session, email="stranger@owner.example")
    stranger_va = make_assistant(db_session, email="stranger@va.example")
    client.login_as(stranger_owner)
    assert client.post(f"/proposals/{proposal.id}/shortlist", {"on": "1"}).status_code == 404
    assert client.get(f"/proposals/{proposal.id}/decline").status_code == 404
    assert client.post(f"/proposals/{proposal.id}/decline", {"reason": "no"}).status_code == 404
    client.login_as(stranger_va)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 404
    edit = {"cover_note": "Someone else's proposal, changed.", "proposed_rate": "5"}
    assert client.post(f"/proposals/{proposal.id}/edit", edit).status_code == 404
    assert client.post("/proposals/999999/shortlist", {"on": "1"}).status_code == 403  # a VA
    client.login_as(owner)
    assert client.post("/proposals/999999/shortlist", {"on": "1"}).status_code == 404
    # the assistant's own actions are not the owner's, and the other way round
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403
    kept = proposal_of(db_session, proposal.task_id, assistant.id)
    assert (kept.status, kept.shortlisted_at, kept.proposed_rate_cents) == (
        ProposalStatus.SUBMITTED,
        None,
        2500,
    )


def test_a_withdrawn_proposal_is_sent_again_once_then_withdrawing_is_final(client, db_session):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(assistant)
    first = client.post(f"/proposals/{proposal.id}/withdraw", follow_redirects=True)
    assert "You can send it again once" in first.get_data(as_text=True)
    form = client.get(f"/tasks/{proposal.task_id}/apply").get_data(as_text=True)
    assert "only once: if you withdraw it again, that is final" in form
    apply(client, proposal.task_id, note="Back again with the same offer and hours.")
    mine = card(client.get("/proposals").get_data(as_text=True), proposal.id)
    assert "withdrawing it now is final" in mine and "Withdraw for good" in mine

    final = client.post(f"/proposals/{proposal.id}/withdraw", follow_redirects=True)
    assert "withdrawn for good" in final.get_data(as_text=True)
    mine = card(client.get("/proposals").get_data(as_text=True), proposal.id)
    assert "Withdrawn for good" in mine and "Apply again" not in mine
    page = client.get(f"/tasks/{proposal.task_id}/apply", follow_redirects=True)
    assert "cannot be sent a third time" in page.get_data(as_text=True)
    third = client.post(
        f"/tasks/{proposal.task_id}/apply",
        {"cover_note": "A third time, please, I promise.", "proposed_rate": "25"},
    )
    assert third.status_code == 409 and "third time" in third.get_data(as_text=True)
    kept = proposal_of(db_session, proposal.task_id, assistant.id)
    assert (kept.status, kept.revision) == (ProposalStatus.WITHDRAWN, 2)
