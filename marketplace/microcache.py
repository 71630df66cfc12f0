"""A few seconds' memory, per worker process, of what every visitor of a page sees alike.

The job search is the page people load most, and its results for the same query string are
the same for everybody: without this, each visit repeats the full-text query and renders
twenty job cards. What is kept here is short-lived (``MICROCACHE_SECONDS``, 10 by default;
0 turns it off) and bounded in size. Each cache names the tables its values are read from,
and a transaction in this process that wrote to one of them empties it when it ends, so a
worker never shows stale results after its own writes (a posted, edited or closed task),
while writes elsewhere (a message read, a session touched) leave it alone. Other workers'
writes show within the expiry.

A value may go in only if it is the same for everybody its key could be asked by: the
search results for a query string, one person's unread count keyed by their id; never a
CSRF token or a flash message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from cachetools import TTLCache
from flask import Flask, current_app
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_ENTRIES = 512
_WROTE = "delegate_microcache_tables"  # session.info: tables this transaction wrote to
_ANY_TABLE = "*"  # a write whose table could not be told: empties every cache
_caches: list[Microcache] = []


def _monotonic() -> float:
    # An expiry is a duration, not business time: not the app's clock, which tests move by
    # days. A function of our own so a test can age the entries without sleeping.
    return time.monotonic()


class Microcache:
    def __init__(self, name: str, *, tables: Iterable[str], max_entries: int = MAX_ENTRIES):
        self.name = name
        self.tables = frozenset(tables)
        self._max_entries = max_entries
        self._entries: TTLCache | None = None
        self._seconds: float | None = None
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, key: Hashable):
        """The value kept for ``key``, or None (also when the cache is off)."""
        seconds = float(current_app.config["MICROCACHE_SECONDS"])
        if seconds <= 0:
            return None
        with self._lock:
            return self._entries_for(seconds).get(key)

    def put(self, key: Hashable, value: T) -> T:
        seconds = float(current_app.config["MICROCACHE_SECONDS"])
        if seconds > 0:
            with self._lock:
                self._entries_for(seconds)[key] = value
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        found = self.get(key)
        return found if found is not None else self.put(key, make())

    def clear(self) -> None:
        with self._lock:
            if self._entries is not None:
                self._entries.clear()

    def _entries_for(self, seconds: float) -> TTLCache:
        if self._entries is None or self._seconds != seconds:
            self._entries = TTLCache(self._max_entries, seconds, timer=lambda: _monotonic())
            self._seconds = seconds
        return self._entries


def clear_all() -> None:
    for cache in _caches:
        cache.clear()


def _written(session: Session) -> set[str]:
    return session.info.setdefault(_WROTE, set())


def _note_flush(session: Session, _context) -> None:
    # After the flush the session still lists what it flushed as new, dirty and deleted.
    written = _written(session)
    for instance in (*session.new, *session.dirty, *session.deleted):
        written.update(table.name for table in inspect(instance).mapper.tables)


def _note_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _written(state.session).add(getattr(table, "name", None) or _ANY_TABLE)


def _after_transaction_end(session: Session, transaction) -> None:
    # The outermost transaction only: a savepoint's release is not yet visible to anybody.
    # Emptied after a rollback too: rarer than a commit, and harmless.
    if transaction.parent is not None:
        return
    written = session.info.pop(_WROTE, None)
    if not written:
        return
    for cache in _caches:
        if _ANY_TABLE in written or cache.tables & written:
            cache.clear()


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_transaction_end", _after_transaction_end):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
