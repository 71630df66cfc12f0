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
CSRF token or a flash message. HTML with forms is kept without its tokens
(``render_without_tokens``) and gets this browser's token when shown (``with_token``).

A person's own writes must show at once, whichever worker serves their next page: a request
that changes something (POST and the like) and wrote to the database bumps a counter in a
cookie of its own (``writer_stamp``), and a cache of per-person data puts it in its keys. The
browser carries the new stamp to every worker, so none of them can answer from an entry made
before the write. Not in the signed session cookie: re-signing that on every write would
stamp it with the writing host's clock, and a host whose clock is a second behind reads a
signature from the future as expired (itsdangerous), which logs the person out. The stamp
needs no signature: it is only part of that person's own cache keys.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .config import settings

T = TypeVar("T")
MAX_ENTRIES = 512
_WROTE = "delegate_microcache_tables"  # session.info: tables this transaction wrote to
_ANY_TABLE = "*"  # a write whose table could not be told: empties every cache
_STAMP = "delegate_writes"  # the cookie counting this browser's writing requests
_REQUEST_WROTE = "microcache_request_wrote"  # flask.g: a transaction of this request wrote
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where a form's CSRF token goes in kept HTML: random per process, so no text a person
# wrote can contain it.
_TOKEN_SLOT = f"csrf-token-{secrets.token_hex(16)}"
_caches: list[Microcache] = []


def _monotonic() -> float:
    # An expiry is a duration, not business time: not the app's clock, which tests move by
    # days. A function of our own so a test can age the entries without sleeping.
    return time.monotonic()


class Microcache:
    def __init__(
        self,
        name: str,
        *,
        tables: Iterable[str],
        max_entries: int = MAX_ENTRIES,
        seconds: float | None = None,
    ):
        """``seconds``: keep entries this long instead of MICROCACHE_SECONDS (still none at
        all when that setting is 0), for what stays true until a write empties the cache."""
        self.name = name
        self.tables = frozenset(tables)
        self._max_entries = max_entries
        self._own_seconds = seconds
        # key -> (expiry, value). A plain dict, read without the lock (one lookup is atomic):
        # a page reads a score of these, and a TTLCache behind a lock cost ~20 calls a read.
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._seconds: float | None = None
        self._lock = threading.Lock()
        _caches.append(self)

    def _seconds_now(self) -> float:
        seconds = settings().microcache_seconds
        if seconds <= 0 or self._own_seconds is None:
            return seconds
        return self._own_seconds

    def get(self, key: Hashable):
        """The value kept for ``key``, or None (also when the cache is off)."""
        seconds = self._seconds_now()
        if seconds <= 0 or seconds != self._seconds:
            return None
        found = self._entries.get(key)
        if found is None or found[0] <= _monotonic():
            return None
        return found[1]

    def put(self, key: Hashable, value: T) -> T:
        seconds = self._seconds_now()
        if seconds > 0:
            with self._lock:
                if seconds != self._seconds:  # the setting changed (tests): start afresh
                    self._entries, self._seconds = {}, seconds
                now = _monotonic()
                if len(self._entries) >= self._max_entries and key not in self._entries:
                    self._make_room(now)
                self._entries[key] = (now + seconds, value)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        found = self.get(key)
        return found if found is not None else self.put(key, make())

    def clear(self) -> None:
        with self._lock:
            self._entries = {}

    def _make_room(self, now: float) -> None:
        # Expired entries first; if none, the oldest put (dicts keep insertion order).
        live = {k: v for k, v in self._entries.items() if v[0] > now}
        if len(live) >= self._max_entries:
            del live[next(iter(live))]
        self._entries = live


def writer_stamp() -> int:
    """How many writing requests this browser has made: part of the key of any per-person
    value, so that the person's own change shows on their next page in every worker."""
    if not has_request_context():
        return 0
    raw = request.cookies.get(_STAMP, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def render_without_tokens(template: str, **context) -> Markup:
    """A template rendered with a slot where each form's CSRF token goes: HTML to keep."""
    return Markup(render_template(template, csrf_token=lambda: _TOKEN_SLOT, **context))


def with_token(kept: Markup) -> Markup:
    """Kept HTML with this browser's CSRF token in every form."""
    return Markup(str(kept).replace(_TOKEN_SLOT, generate_csrf()))


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
    if has_request_context() and request.method not in _SAFE_METHODS:
        g.setdefault(_REQUEST_WROTE, True)
    for cache in _caches:
        if _ANY_TABLE in written or cache.tables & written:
            cache.clear()


def _stamp_a_writer(response):
    if g.pop(_REQUEST_WROTE, False):
        config = current_app.config
        response.set_cookie(
            _STAMP,
            str(writer_stamp() + 1),
            httponly=True,
            secure=config["SESSION_COOKIE_SECURE"],
            samesite=config["SESSION_COOKIE_SAMESITE"],
        )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_stamp_a_writer)
    if not event.contains(Session, "after_transaction_end", _after_transaction_end):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
