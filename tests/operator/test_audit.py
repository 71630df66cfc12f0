"""The audit log: written with every action, shown in the console, never changed."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marketplace.accounts.models import User
from marketplace.operator.models import AuditLogIsAppendOnly
from tests.factories import make_owner
from tests.operator.helpers import audit_rows, make_operator


def test_an_action_without_a_reason_does_nothing(client, db_session):
    operator, owner = make_operator(db_session), make_owner(db_session)
    client.login_as(operator)
    for reason in ("", "   ", "no"):
        response = client.post(f"/operator/users/{owner.id}/suspend", {"reason": reason})
        assert response.status_code == 422
        assert "reason" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, owner.id).suspended_at is None
    assert audit_rows(db_session) == []


def test_audit_rows_cannot_be_updated_or_deleted(client, db_session):
    operator, owner = make_operator(db_session), make_owner(db_session)
    client.login_as(operator)
    client.post(f"/operator/users/{owner.id}/suspend", {"reason": "Chargeback fraud"})
    (entry,) = audit_rows(db_session)
    assert (entry.operator_id, entry.action, entry.target_type, entry.target_id) == (
        operator.id, "user.suspend", "user", owner.id
    )  # fmt: skip
    assert entry.reason == "Chargeback fraud" and entry.created_at is not None

    entry.reason = "nothing to see"
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    (entry,) = audit_rows(db_session)
    db_session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.flush()
    db_session.rollback()

    if db_session.get_bind().dialect.name == "postgresql":
        # Past the ORM too: the database itself refuses (trigger from 0012_operator).
        for sql in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
                db_session.execute(text(sql))
    (entry,) = audit_rows(db_session)
    assert entry.reason == "Chargeback fraud"


def test_the_console_shows_the_log(client, db_session):
    operator, owner = make_operator(db_session), make_owner(db_session)
    client.login_as(operator)
    client.post(f"/operator/users/{owner.id}/suspend", {"reason": "Chargeback fraud"})
    client.post(f"/operator/users/{owner.id}/reinstate", {"reason": "Bank confirmed it"})
    page = client.get("/operator/audit").get_data(as_text=True)
    assert page.index("user.reinstate") < page.index("user.suspend")  # newest first
    assert "Chargeback fraud" in page and "Bank confirmed it" in page and operator.email in page
    assert "Chargeback fraud" in client.get(f"/operator/users/{owner.id}").get_data(as_text=True)
