"""Database wiring: the declarative base, one session per request, and the ``flask db`` commands.

Services receive a session and only ``add``/``flush``; the view, CLI command or job that owns
the unit of work commits once. Sessions live on ``flask.g`` and are closed at teardown.

On SQLite only transactions that write take the write lock (see
``_make_sqlite_transactional``): reads never wait behind a writer, and writers queue.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import (
    CursorResult,
    DateTime,
    Engine,
    Executable,
    MetaData,
    create_engine,
    event,
    exc,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .config import settings

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
    """The app's one clock: every "now" in services, jobs, the sender and the digest.

    Nothing else in ``marketplace/`` reads the wall clock (ruff bans ``datetime.now`` and
    ``date.today`` there), so tests move all of it at once with time-machine.
    """
    return datetime.now(UTC)  # noqa: TID251 -- the one permitted call


def today_in(zone: str) -> date:
    """Today's date where `zone` is, by the one clock."""
    return utcnow().astimezone(ZoneInfo(zone)).date()


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed: a compare-and-set's answer
    (0: another request moved the row first)."""
    return cast(CursorResult, session.execute(statement)).rowcount


def add_once(session: Session, row: Base) -> bool:
    """Insert ``row`` unless a unique key says it is there already (a double click, a webhook
    delivered twice, a racing request): False then, with the session still usable (the
    insert ran in a savepoint). The caller says what that means: refuse, or read the winner.
    The ORM-object twin of ``jobs.upserts.insert_ignoring_duplicates``."""
    try:
        with session.begin_nested():
            session.add(row)
    except exc.IntegrityError:
        return False
    return True


def make_engine(url: str, *, sqlite_begin: str = "deferred") -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactional(engine, sqlite_begin)
    else:
        engine = create_engine(url)
    _ping_after_idle(engine)
    return engine


# A connection used this recently is alive; SQLAlchemy's pool_pre_ping would spend a round
# trip on it anyway, on every request (about a tenth of a busy page's time).
PING_AFTER_IDLE_SECONDS = 10.0
_LAST_USED = "delegate_last_used"


def _monotonic() -> float:
    # Idle time is a duration, not business time: not the app's clock (tests move that by
    # days). A function of our own so a test can age the pool without sleeping.
    return time.monotonic()


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle: that is when a database
    restart or a proxy's idle timeout has closed it. A failed ping makes the pool retry with a
    new connection (DisconnectionError). A connection that dies while busy fails that one
    request, and SQLAlchemy then drops the rest of the pool, as it does with pre-ping."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection, record) -> None:
        record.info[_LAST_USED] = _monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        if _monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option: "IMMEDIATE" makes the transaction a writer from its BEGIN.
SQLITE_BEGIN = "delegate_sqlite_begin"
_STATE = "delegate_sqlite_txn"  # per DBAPI connection: ("reader", total_changes) or "writer"


def _make_sqlite_transactional(engine: Engine, begin: str) -> None:
    """pysqlite's implicit transactions break SAVEPOINT and lazily start writes; take control.

    SQLAlchemy's documented recipe, plus: only a transaction that writes takes SQLite's write
    lock. A transaction begins DEFERRED (readers take no lock and never wait behind a writer)
    and becomes a writer just before its first write, SELECT ... FOR UPDATE or SAVEPOINT: the
    read-only part is committed and the rest runs under BEGIN IMMEDIATE. So racing writers
    queue behind each other (SQLite's stand-in for PostgreSQL's row locks) instead of failing
    with "database is locked", which is what SQLite does when a reader that has seen an older
    snapshot tries to write. What was read before that point may have changed since, as on
    PostgreSQL under READ COMMITTED: state changes are compare-and-sets, never "read, then
    write blindly". A web request that writes (POST ...) is a writer from its first statement,
    so a request is one serialised unit, as it was. ``begin="immediate"`` (SQLITE_BEGIN=
    immediate) makes every transaction a writer from its BEGIN: the old behaviour.
    """
    if begin.lower() not in ("deferred", "immediate"):
        raise ValueError(f"SQLITE_BEGIN must be deferred or immediate, not {begin!r}")
    everything_writes = begin.lower() == "immediate"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.info[_STATE] = "writer"  # until it has begun: BEGIN itself is no write to promote
        if everything_writes or conn.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN DEFERRED")
            conn.info[_STATE] = ("reader", conn.connection.driver_connection.total_changes)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, cursor, statement, parameters, context, executemany):
        if conn.info.get(_STATE, "writer") != "writer" and _writes(statement, context):
            _promote(conn)

    @event.listens_for(engine, "savepoint")
    def _before_savepoint(conn, name):
        _promote(conn)


def _writes(statement: str, context) -> bool:
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        compiled = getattr(context, "compiled", None)
        return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None
    if head.startswith("WITH") and context is not None:
        return bool(context.isinsert or context.isupdate or context.isdelete)
    return True  # INSERT, UPDATE, DELETE, REPLACE, DDL, PRAGMA: assume the worst


def _promote(conn) -> None:
    """Turn the connection's reading transaction into a writing one (see above)."""
    state = conn.info.get(_STATE, "writer")
    if state == "writer":
        return
    raw = conn.connection.driver_connection
    if raw.in_transaction and raw.total_changes == state[1]:
        raw.execute("COMMIT")  # nothing was written: only the reads' snapshot ends here
        raw.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for the writer ahead of us
    # else SQLite already made it a writer (a write we did not recognise): keep it whole.
    conn.info[_STATE] = "writer"


def lock_for_writing(session: Session) -> None:
    """Make the session's transaction a writer now (SQLite: BEGIN IMMEDIATE), so everything
    it reads from here on stays true until it commits; other databases ignore it."""
    connection = session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    if connection.dialect.name == "sqlite":
        _promote(connection)


class Database:
    def __init__(self, url: str, *, sqlite_begin: str = "deferred"):
        self.url = url
        self.engine = make_engine(url, sqlite_begin=sqlite_begin)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL reads outside a transaction: no BEGIN and no ROLLBACK round trips. Under
        # READ COMMITTED each statement has its own snapshot either way, so a page reads
        # nothing different. SQLite's BEGIN costs no round trip; it keeps its transactions.
        self._read_engine = (
            None
            if self.engine.dialect.name == "sqlite"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    def session_for_reads(self) -> Session:
        """A session for a request that should not write (GET, HEAD). What it does write
        (a log-in session's last_seen_at) is one statement that commits on its own."""
        if self._read_engine is None or self.sessionmaker.kw.get("bind") is not self.engine:
            return self.sessionmaker()  # SQLite, or a test that bound sessions to a connection
        return self.sessionmaker(bind=self._read_engine)


def init_app(app: Flask) -> None:
    app.extensions["db"] = Database(
        settings(app).database_url, sqlite_begin=settings(app).sqlite_begin
    )
    app.teardown_appcontext(_close_session)


def get_db() -> Database:
    return current_app.extensions["db"]


def get_session() -> Session:
    """The request's (or CLI command's) session. A request that may write (POST, PUT, PATCH,
    DELETE) holds SQLite's write lock from its first statement; others take it when they
    first write (see ``_make_sqlite_transactional``) and, on PostgreSQL, read outside a
    transaction (``Database.session_for_reads``)."""
    if "db_session" not in g:
        if has_request_context() and request.method in SAFE_METHODS:
            g.db_session = get_db().session_for_reads()
        else:
            g.db_session = get_db().sessionmaker()
            if has_request_context():
                lock_for_writing(g.db_session)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
