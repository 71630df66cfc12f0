"""Security headers on every response; page templates free of inline script and style."""

import re
from pathlib import Path

import pytest

from marketplace.notifications.models import LocalEmail
from marketplace.security import content_security_policy
from tests.factories import make_owner, make_task

TEMPLATES = Path(__file__).resolve().parent.parent / "marketplace" / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def assert_protected(response) -> None:
    csp = policy(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_kind_of_response_carries_the_headers(client, db_session):
    anonymous = [
        client.get("/"),
        client.get("/login"),
        client.get("/static/delegate.css"),
        client.get("/no-such-page"),
        client.get("/tasks/1", headers={"Accept": "application/json"}),
        client.raw.post("/stripe/webhook", data=b"{}"),
        client.post("/login", {"email": "a@example.com", "password": "x"}),
    ]
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    client.login_as(owner)
    pages = [client.get("/dashboard"), client.get(f"/tasks/{task.id}")]
    assert [r.status_code for r in anonymous][:4] == [200, 200, 200, 404]
    for response in anonymous + pages:
        assert_protected(response)
        response.close()  # the stylesheet is a file stream


def test_forms_may_only_go_to_us_and_to_stripe():
    real = content_security_policy(None)
    assert "form-action 'self' https://checkout.stripe.com https://connect.stripe.com" in real
    assert content_security_policy("https://api.stripe.com") == real
    emulator = content_security_policy("http://127.0.0.1:12111")
    assert emulator.endswith("form-action 'self' http://127.0.0.1:12111")
    assert "stripe.com" not in emulator


def test_the_emulator_origin_comes_from_the_setting(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:45678/")
    assert policy(client.get("/login"))["form-action"] == ["'self'", "http://127.0.0.1:45678"]


def test_only_the_dev_outbox_email_page_allows_inline_styles(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_MODE", True)
    email = LocalEmail(
        recipient="a@example.com", subject="Hi", headers={}, text_body="Hi",
        html_body='<p style="color:red">Hi</p>',
    )  # fmt: skip
    db_session.add(email)
    db_session.flush()
    relaxed = client.get(f"/dev/outbox/{email.id}")
    assert relaxed.status_code == 200
    csp = policy(relaxed)
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["script-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert_protected(client.get("/dev/outbox"))


PAGE_TEMPLATES = sorted(
    path for path in TEMPLATES.rglob("*.html") if path.relative_to(TEMPLATES).parts[0] != "email"
)
INLINE = re.compile(r"\sstyle=|<style|<script(?![^>]*\ssrc=)|\son[a-z]+=|javascript:", re.I)


@pytest.mark.parametrize("path", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_page_templates_hold_no_inline_script_or_style(path):
    """The policy blocks them; emails (templates/email) are not pages and keep theirs."""
    found = INLINE.findall(path.read_text())
    assert not found, f"{path.name}: move {found} to marketplace/static"
