"""The console is invisible to everyone but operators, and only the command line makes one."""

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from tests.accounts.signup import SIGNUP, sign_up_and_confirm
from tests.factories import make_assistant, make_owner
from tests.operator.helpers import audit_rows, make_operator

IGNORED = {"HEAD", "OPTIONS"}


def operator_requests(app):
    """(method, url) for every registered /operator rule and method, ids filled in."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/operator"):
            continue
        url = adapter.build(rule.endpoint, {name: 1 for name in rule.arguments})
        found += [(method, url) for method in sorted(rule.methods - IGNORED)]
    return found


def test_the_console_has_pages_and_actions(app):
    methods = {m for m, _ in operator_requests(app)}
    assert methods == {"GET", "POST"}  # no PUT, PATCH or DELETE anywhere under /operator
    assert len(operator_requests(app)) >= 12


@pytest.mark.parametrize("who", ["visitor", "owner", "assistant"])
def test_every_operator_route_is_404_for_anyone_but_an_operator(app, client, db_session, who):
    if who != "visitor":
        client.login_as(make_owner(db_session) if who == "owner" else make_assistant(db_session))
    token = client.csrf_token()
    for method, url in [*operator_requests(app), ("GET", "/operator"), ("GET", "/operator/x")]:
        # With a valid CSRF token and without one: never "form expired", never 403 or 405.
        for data in ({"csrf_token": token, "reason": "because I can"}, {}):
            response = client.raw.open(url, method=method, data=data)
            assert response.status_code == 404, (who, method, url, response.status_code)
            assert "operator" not in response.get_data(as_text=True).lower()


def test_an_operator_sees_every_page(app, client, db_session):
    client.login_as(make_operator(db_session))
    pages = ["/", "/reports", "/users?q=example", "/tasks?q=book", "/contracts?q=1"]
    pages.append("/payments?q=pi_")
    for path in [f"/operator{page}" for page in pages] + ["/operator/audit"]:
        assert client.get(path).status_code == 200, path
    home = client.get("/operator/").get_data(as_text=True)
    assert "Reported messages and people" in home and "No open reports" in home
    assert 'href="/operator/"' in client.get("/dashboard").get_data(as_text=True)


def test_a_revoked_operator_gets_404_at_once(client, db_session):
    operator = make_operator(db_session)
    client.login_as(operator)
    assert client.get("/operator/").status_code == 200
    operator.is_operator = False
    db_session.commit()
    assert client.get("/operator/").status_code == 404


def test_the_cli_grants_and_revokes_the_role(app, db_session):
    owner = make_owner(db_session, email="Ops@Example.com")
    db_session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["operator", "grant", "ops@example.COM", "--reason", "New hire"])
    assert result.exit_code == 0, result.output
    assert "is now an operator" in result.output
    db_session.expire_all()
    assert db_session.get(User, owner.id).is_operator
    again = runner.invoke(args=["operator", "grant", "ops@example.com"])
    assert "already" in again.output

    result = runner.invoke(args=["operator", "revoke", "ops@example.com"])
    assert result.exit_code == 0 and "no longer" in result.output
    db_session.expire_all()
    assert not db_session.get(User, owner.id).is_operator

    grant, revoke = audit_rows(db_session)
    assert (grant.action, grant.operator_id, grant.target_id, grant.reason) == (
        "operator.grant", None, owner.id, "New hire"
    )  # fmt: skip
    assert grant.details == {"email": "Ops@Example.com", "via": "cli"}
    assert revoke.action == "operator.revoke"

    unknown = runner.invoke(args=["operator", "grant", "nobody@example.com"])
    assert unknown.exit_code != 0 and "No account" in unknown.output


def test_no_form_makes_an_operator(client, db_session, smtp_app, mailbox):
    sign_up_and_confirm(client, mailbox, is_operator="1", role="owner")
    user = db_session.scalar(select(User).where(User.email_key == "dana@bakery.example"))
    assert user is not None and not user.is_operator
    client.post("/settings/name", {"display_name": "Dana", "is_operator": "y"})
    db_session.expire_all()
    assert not db_session.get(User, user.id).is_operator
    assert SIGNUP["email"]  # the sign-up above used the real form
