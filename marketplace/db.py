"""Database wiring: the declarative base, one session per request, and the ``flask db`` commands.

Services receive a session and only ``add``/``flush``; the view, CLI command or job that owns
the unit of work commits once. Sessions live on ``flask.g`` and are closed at teardown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite has no time zones of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_transactional(engine: Engine) -> None:
    """pysqlite's implicit transactions break SAVEPOINT and lazily start writes; take control.

    This is SQLAlchemy's documented recipe, with BEGIN IMMEDIATE: a transaction takes the
    write lock up front, so two requests racing on the same row queue behind each other
    (SQLite's stand-in for PostgreSQL's row locks) instead of failing with "database is
    locked" when a reader tries to become a writer. It also turns on foreign keys.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)


def init_app(app: Flask) -> None:
    app.extensions["db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_db() -> Database:
    return current_app.extensions["db"]


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
