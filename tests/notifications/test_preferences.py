"""Email preferences and RFC 8058 one-click unsubscribe, through the real email's link."""

import re

from marketplace.notifications.models import Frequency, NotificationPreference
from marketplace.notifications.services import preferences_of, unsubscribe_token
from tests.factories import make_assistant, make_owner
from tests.notifications.test_outbox import proposal_scene


def unsubscribe_path(message) -> str:
    url = re.search(r"<([^>]+)>", message["List-Unsubscribe"]).group(1)
    return url.removeprefix("http://localhost")


def test_one_click_unsubscribe_from_the_email_works_without_log_in(
    app, smtp_app, client, db_session, mailbox
):
    with app.app_context():
        owner, *_ = proposal_scene(db_session)
        db_session.commit()
    (message,) = mailbox.messages
    path = unsubscribe_path(message)
    assert path in message.get_body(("plain",)).get_content()  # also a visible link

    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "Unsubscribe from Delegate email?" in confirm.get_data(as_text=True)
    # GET changes nothing: link scanners fetch URLs in mail.
    assert preferences_of(db_session, owner.id).frequency == Frequency.INSTANT

    # What a mail client does (RFC 8058): a bare POST, no cookies, no CSRF token.
    done = client.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    prefs = preferences_of(db_session, owner.id)
    assert prefs.frequency == Frequency.OFF and prefs.unsubscribed_at is not None
    assert client.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False).status_code == 200


def test_tampered_or_foreign_tokens_are_rejected(app, client, db_session):
    owner = make_owner(db_session)
    token = unsubscribe_token(app.config["SECRET_KEY"], owner.id)
    forged = unsubscribe_token("another-secret", owner.id)
    flipped = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, flipped, "not-a-token", token.replace(".", "")):
        assert client.get(f"/unsubscribe/{bad}").status_code == 400
        response = client.post(f"/unsubscribe/{bad}", {"List-Unsubscribe": "One-Click"}, csrf=False)
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert db_session.get(NotificationPreference, owner.id) is None


def test_token_for_a_deleted_account_is_a_404_not_a_500(app, client):
    token = unsubscribe_token(app.config["SECRET_KEY"], 987654)
    assert client.post(f"/unsubscribe/{token}", csrf=False).status_code == 404


def test_preferences_page_saves_frequency_and_threshold(client, db_session):
    va = make_assistant(db_session)
    client.login_as(va)
    page = client.get("/settings/email").get_data(as_text=True)
    assert 'value="40"' in page  # the default minimum match, in percent
    response = client.post("/settings/email", {"frequency": "daily", "min_match_percent": "70"})
    assert response.status_code == 302
    prefs = preferences_of(db_session, va.id)
    assert prefs.frequency == Frequency.DAILY and prefs.min_match_score == 0.7


def test_bad_preferences_are_a_clear_4xx(client, db_session):
    client.login_as(make_assistant(db_session))
    bad = client.post("/settings/email", {"frequency": "hourly", "min_match_percent": "70"})
    assert bad.status_code == 422
    bad = client.post("/settings/email", {"frequency": "daily", "min_match_percent": "250"})
    assert bad.status_code == 422
    assert client.post("/settings/email", {"frequency": "off"}, csrf=False).status_code == 400


def test_preferences_need_log_in(client):
    assert client.get("/settings/email").status_code == 302


def test_choosing_a_frequency_again_resubscribes(app, client, db_session):
    owner = make_owner(db_session)
    token = unsubscribe_token(app.config["SECRET_KEY"], owner.id)
    client.post(f"/unsubscribe/{token}", csrf=False)
    client.login_as(owner)
    assert "You unsubscribed on" in client.get("/settings/email").get_data(as_text=True)
    client.post("/settings/email", {"frequency": "instant", "min_match_percent": "40"})
    prefs = preferences_of(db_session, owner.id)
    assert prefs.frequency == Frequency.INSTANT and prefs.unsubscribed_at is None
