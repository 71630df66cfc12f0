"""Double-blind reviews: hidden from the other party until both have written or the window
closes (by the app's clock), one per side, only by the two parties of an ended contract."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.errors import PermissionDenied
from marketplace.notifications.models import Kind, Notification
from marketplace.reviews import services as reviews
from marketplace.reviews.jobs import reveal_due_reviews
from tests.factories import make_assistant, make_owner
from tests.reviews.helpers import funded, hired, page, paid_scene, review, reviews_section, rows

OWNER_WORDS = "Joy reconciled three months of books in a week. Careful and quick."
ASSISTANT_WORDS = "Clear instructions from Dana, and paid on time."


@pytest.fixture
def scene(db_session):
    owner = make_owner(db_session, display_name="Dana Baker")
    assistant = make_assistant(db_session, display_name="Joy Santos")
    return paid_scene(db_session, owner, assistant)


def received(session, user_id: int) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification).where(
                Notification.user_id == user_id, Notification.kind == Kind.REVIEW_RECEIVED
            )
        )
    )


def test_both_write_then_each_reads_the_other(client, other_client, db_session, scene):
    cid = scene.contract.id
    client.login_as(scene.owner)
    other_client.login_as(scene.assistant)

    form = reviews_section(page(client, cid))
    assert 'name="rating" required type="radio" value="5"' in form and 'name="body"' in form
    response = review(client, cid, 5, OWNER_WORDS)
    assert response.status_code == 302
    owner_view = reviews_section(page(client, cid))
    assert OWNER_WORDS in owner_view
    assert (
        "Your review is hidden until" in owner_view and "until Joy Santos reviews you" in owner_view
    )

    # Joy cannot read it; she is told it exists, to write hers.
    assistant_view = reviews_section(page(other_client, cid))
    assert OWNER_WORDS not in assistant_view
    assert "Dana Baker has written their review of you" in assistant_view
    assert received(db_session, scene.assistant.id) == []

    assert review(other_client, cid, 4, ASSISTANT_WORDS).status_code == 302
    assistant_view = reviews_section(page(other_client, cid))
    owner_view = reviews_section(page(client, cid))
    for view in (assistant_view, owner_view):
        assert OWNER_WORDS in view and ASSISTANT_WORDS in view
        assert "is hidden until" not in view
    # Each hears that a review of them is out, once.
    assert [n.payload["review_id"] for n in received(db_session, scene.assistant.id)] == [
        rows(db_session, cid)[0].id
    ]
    assert len(received(db_session, scene.owner.id)) == 1


def test_one_writes_and_the_window_closing_shows_it(
    app, client, other_client, db_session, scene, monkeypatch
):
    monkeypatch.setitem(app.config, "REVIEW_WINDOW_DAYS", 3)
    cid = scene.contract.id
    client.login_as(scene.owner)
    other_client.login_as(scene.assistant)
    assert review(client, cid, 2, "Missed the deadline twice.").status_code == 302

    with time_machine.travel(utcnow() + timedelta(days=3) - timedelta(minutes=1), tick=False):
        assert "Missed the deadline twice." not in page(other_client, cid)
    with time_machine.travel(utcnow() + timedelta(days=3, minutes=1), tick=False):
        view = reviews_section(page(other_client, cid))
        assert "Missed the deadline twice." in view
        assert "The time to review this contract ended on" in view
        assert "Publish review" not in view
        # Too late for Joy's own review.
        response = review(other_client, cid, 5, "Late")
        assert response.status_code == 409
        assert "The time to review this contract ended on" in response.get_data(as_text=True)
        assert len(rows(db_session, cid)) == 1

        # The periodic job acts on it once: Joy is told, her rating counts it.
        assert reveal_due_reviews(db_session) == 1
        assert reveal_due_reviews(db_session) == 0
        db_session.commit()
        assert len(received(db_session, scene.assistant.id)) == 1
        db_session.refresh(scene.assistant)
        profile_page = client.get(f"/assistants/{scene.assistant.id}").get_data(as_text=True)
        assert "2.0 ★ from 1 review" in profile_page
        assert "Missed the deadline twice." in profile_page


def test_a_hidden_review_is_nowhere_the_other_party_or_the_public_can_look(
    client, other_client, db_session, scene
):
    cid = scene.contract.id
    client.login_as(scene.owner)
    assert review(client, cid, 1, "Secret verdict").status_code == 302
    other_client.login_as(scene.assistant)
    for url in (
        f"/contracts/{cid}",
        f"/contracts/{cid}/review",
        f"/assistants/{scene.assistant.id}",
        "/notifications",
        "/settings/export",
    ):
        body = other_client.get(url).get_data(as_text=True)
        assert "Secret verdict" not in body, url
    visitor = client.raw.application.test_client()
    assert "Secret verdict" not in visitor.get(f"/assistants/{scene.assistant.id}").get_data(
        as_text=True
    )
    # Not in the rating the matcher reads either, until it is revealed.
    db_session.expire_all()
    assert (scene.assistant.id, None, 0) == (
        scene.assistant.id,
        *_rating(db_session, scene.assistant.id),
    )


def _rating(session, assistant_id):
    from marketplace.profiles.models import AssistantProfile

    profile = session.get(AssistantProfile, assistant_id)
    return profile.rating, profile.review_count


def test_a_third_party_gets_404(client, db_session, scene):
    cid = scene.contract.id
    client.login_as(make_owner(db_session))
    assert client.get(f"/contracts/{cid}/review").status_code == 404
    assert review(client, cid, 5, "I was never there").status_code == 404
    client.login_as(make_assistant(db_session))
    assert review(client, cid, 5, "Nor was I").status_code == 404
    client.logout()
    assert review(client, cid, 5, "Visitor").status_code in (302, 401)
    assert rows(db_session, cid) == []


def test_a_second_review_by_the_same_side_is_refused(client, db_session, scene):
    cid = scene.contract.id
    client.login_as(scene.owner)
    assert review(client, cid, 5, "First").status_code == 302
    again = review(client, cid, 1, "Changed my mind")
    assert again.status_code == 409
    assert "You have already reviewed this contract" in again.get_data(as_text=True)
    assert [(r.rating, r.body) for r in rows(db_session, cid)] == [(5, "First")]
    assert "Publish review" not in page(client, cid)


def test_a_contract_that_has_not_ended_cannot_be_reviewed(client, db_session):
    contract = funded(db_session, hired(db_session))
    db_session.commit()
    client.login_as(contract.owner)
    assert "Reviews" not in page(client, contract.id)
    form_page = client.get(f"/contracts/{contract.id}/review").get_data(as_text=True)
    assert "once it has ended and been paid out" in form_page
    response = review(client, contract.id, 5, "Too early")
    assert response.status_code == 409
    assert "once it has ended and been paid out" in response.get_data(as_text=True)
    assert rows(db_session, contract.id) == []


def test_bad_input_gets_a_message_on_its_field(client, db_session, scene):
    cid = scene.contract.id
    client.login_as(scene.owner)
    for data, message in (
        ({"rating": "7"}, "Choose a rating from 1 to 5 stars."),
        ({"rating": ""}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "five"}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "4", "body": "x" * 2001}, "Keep your review under 2,000 characters."),
    ):
        response = client.post(f"/contracts/{cid}/review", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert rows(db_session, cid) == []


def test_a_suspended_party_cannot_review(db_session, scene):
    scene.owner.suspended_at = utcnow()
    db_session.flush()
    with pytest.raises(PermissionDenied, match="suspended"):
        reviews.write_review(db_session, scene.owner, scene.contract.id, 5, "", timedelta(days=14))
    state = reviews.state_for(db_session, scene.owner, scene.contract, timedelta(days=14))
    assert not state.can_write
