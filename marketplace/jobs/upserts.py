"""INSERT ... ON CONFLICT for SQLite and PostgreSQL alike, so idempotent writes stay one
statement instead of a savepoint and a caught IntegrityError."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import Base


def _insert(session: Session, model: type[Base]):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"no upsert for {dialect}")


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """Insert one row unless a unique constraint already holds it; True when inserted."""
    # RETURNING, not rowcount: psycopg reports -1 for some INSERTs; a returned row is certain.
    primary_key = inspect(model).primary_key[0]
    stmt = _insert(session, model).values(**values).on_conflict_do_nothing()
    return session.execute(stmt.returning(primary_key)).first() is not None


def upsert(
    session: Session,
    model: type[Base],
    rows: list[dict[str, Any]],
    keys: list[str],
    update: list[str],
) -> None:
    """Insert rows, or update the `update` columns of rows whose `keys` already exist."""
    if not rows:
        return
    stmt = _insert(session, model).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={name: stmt.excluded[name] for name in update}
    )
    session.execute(stmt)


def insert_many_ignoring_duplicates(
    session: Session, model: type[Base], rows: list[dict[str, Any]]
) -> None:
    """Insert rows in one statement, leaving out those a unique constraint already holds."""
    if rows:
        session.execute(_insert(session, model).values(rows).on_conflict_do_nothing())
