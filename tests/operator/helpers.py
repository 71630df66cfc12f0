"""An operator, and reading back what the console wrote."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.operator.models import AuditEntry
from tests.factories import make_owner


def make_operator(session, **kw):
    operator = make_owner(session, **kw)
    operator.is_operator = True
    session.flush()
    return operator


def audit_rows(session, action: str | None = None) -> list[AuditEntry]:
    session.expire_all()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(session.scalars(stmt))
