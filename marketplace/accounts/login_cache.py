"""Each worker's copy of the log-in sessions it served lately, evicted through Redis.

Every logged-in request looked up its session and user in the database: one round trip that
cost as much as a whole cached page. A worker now keeps, per cookie token, a detached copy of
the two rows for ``LOGIN_CACHE_SECONDS`` and merges it into the request's session
(``merge(load=False)``: no SELECT), so views get ordinary persistent objects.

Revocation must stay immediate, so a copy may only be kept while the worker hears about
changes. Any commit that changed a ``users`` or ``login_sessions`` row (an ORM change names
the user; a bulk UPDATE or DELETE on either table evicts everything) drops this worker's
copies at once and publishes the same eviction on a Redis channel that every other worker
subscribes to. A worker whose subscription is not confirmed, or has dropped, keeps nothing
and reads the database on every request; it empties its copies when the subscription drops,
and starts keeping again only after it resubscribed. Without ``REDIS_URL`` nothing is kept.

What this cannot hear: a change made outside the app's sessions (``psql``), or lost between
a commit and its publish (Redis failing in that instant while every subscriber stays
connected). The lifetime bounds both.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass

from flask import Flask
from redis import Redis
from sqlalchemy import event, inspect, make_url
from sqlalchemy.orm import Session, make_transient_to_detached

from ..config import settings
from .models import LoginSession, User

log = logging.getLogger(__name__)

_EVERYONE = "*"
_TABLES = frozenset({User.__tablename__, LoginSession.__tablename__})
_PENDING = "login_cache_evict"  # Session.info: user ids (or _EVERYONE) changed, not committed


@dataclass(frozen=True)
class _Copy:
    login_session: LoginSession  # detached: never attached to any session itself
    user: User
    kept_at: float  # time.monotonic()


def _detached_copy(obj):
    """A new detached instance carrying ``obj``'s loaded column values (none of its state)."""
    mapper = inspect(type(obj))
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        setattr(copy, attr.key, getattr(obj, attr.key))
    make_transient_to_detached(copy)
    return copy


class LoginCache:
    """One per app (one per worker under gunicorn: a fork starts its own listener)."""

    def __init__(self, redis_url: str, seconds: float, channel: str):
        self.redis_url, self.seconds, self.channel = redis_url, seconds, channel
        self._copies: dict[str, _Copy] = {}
        # Raised by every eviction: a copy read before an eviction is never kept after it
        # (the read may predate the commit the eviction was about).
        self.generation = 0
        self._listening = False
        self._pid: int | None = None
        self._lock = threading.RLock()  # guards _copies and generation; _start_listening too
        self._publisher: Redis | None = None
        self.client_name = f"delegate-login-cache-{os.getpid()}-{id(self)}"

    # Reading -------------------------------------------------------------------------
    def get(self, session: Session, digest: str) -> tuple[LoginSession, User] | None:
        """The copy for ``digest`` merged into ``session``, or None (none, too old, or
        this worker is not hearing evictions)."""
        self._start_listening()
        if not self._listening:
            return None
        kept = self._copies.get(digest)
        if kept is None:
            return None
        if time.monotonic() - kept.kept_at >= self.seconds:
            self._copies.pop(digest, None)
            return None
        return (
            session.merge(kept.login_session, load=False),
            session.merge(kept.user, load=False),
        )

    def keep(self, digest: str, login_session: LoginSession, user: User, generation: int) -> None:
        """Keep a copy of two rows just read, ``generation`` being what it was before
        reading them (call before anything changed them)."""
        if not self._listening:
            return
        copy = _Copy(_detached_copy(login_session), _detached_copy(user), time.monotonic())
        with self._lock:  # no eviction between the check and the store
            if generation == self.generation:
                self._copies[digest] = copy

    # Evicting ------------------------------------------------------------------------
    def evict(self, user_ids) -> None:
        """Drop this worker's copies of these users (or every copy, for _EVERYONE)."""
        with self._lock:
            self.generation += 1
            if _EVERYONE in user_ids:
                self._copies.clear()
                return
            for digest, kept in list(self._copies.items()):
                if kept.user.id in user_ids:
                    del self._copies[digest]

    def publish(self, user_ids) -> None:
        """Evict here, then tell every other worker. Called after a commit."""
        self.evict(user_ids)
        message = _EVERYONE if _EVERYONE in user_ids else ",".join(map(str, sorted(user_ids)))
        try:
            if self._publisher is None:
                self._publisher = Redis.from_url(self.redis_url, socket_timeout=2)
            self._publisher.publish(self.channel, message)
        except Exception:
            # The other workers' subscriptions fail the same way and empty their copies;
            # if only this publish failed, the lifetime bounds what they keep.
            log.exception("Could not publish a log-in session eviction")

    def _on_message(self, data: bytes) -> None:
        text = data.decode()
        self.evict({_EVERYONE} if text == _EVERYONE else {int(v) for v in text.split(",") if v})

    def stop(self) -> None:
        """End the listener (within a second) and keep nothing more: for tests' apps."""
        self._pid, self._listening = -1, False
        self.evict({_EVERYONE})

    # Listening -----------------------------------------------------------------------
    def _start_listening(self) -> None:
        if self._pid in (os.getpid(), -1):
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked worker inherits neither the thread nor anything it heard.
            self._pid, self._listening, self._publisher = os.getpid(), False, None
            self.evict({_EVERYONE})
            threading.Thread(target=self._listen, name="login-cache", daemon=True).start()

    def _listen(self) -> None:
        pid = os.getpid()
        while self._pid == pid:
            try:
                client = Redis.from_url(
                    self.redis_url,
                    socket_timeout=5,
                    health_check_interval=2,
                    client_name=self.client_name,
                )
                with client.pubsub() as pubsub:
                    pubsub.subscribe(self.channel)
                    while self._pid == pid:
                        message = pubsub.get_message(timeout=1.0)
                        if message is None:
                            continue
                        if message["type"] == "subscribe":
                            # Also after redis-py reconnected on its own: what was published
                            # in between is lost, so nothing kept before may stay.
                            self.evict({_EVERYONE})
                            self._listening = True
                        elif message["type"] == "message":
                            self._on_message(message["data"])
            except Exception:
                log.warning("Log-in cache stopped hearing evictions; reading the database")
            self._listening = False
            self.evict({_EVERYONE})
            time.sleep(1)


def cache_of(app: Flask) -> LoginCache | None:
    return app.extensions.get("login_cache")


# Hearing commits -------------------------------------------------------------------------
def _mark(session: Session, user_ids) -> None:
    session.info.setdefault(_PENDING, set()).update(user_ids)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    changed = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User) and obj.id is not None:
            changed.add(obj.id)
        elif isinstance(obj, LoginSession) and obj.user_id is not None:
            changed.add(obj.user_id)
    if changed:
        _mark(session, changed)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _TABLES:
        _mark(state.session, {_EVERYONE})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    # Found by the database committed to, not the app in context: a commit made outside
    # one (a script, a thread) must be heard all the same.
    try:
        caches = _CACHES.get(_database_of(session.get_bind().engine.url), ())
    except Exception:  # an unbound session: it committed nothing to our databases
        return
    for cache in list(caches):
        cache.evict(pending)
    if caches:
        next(iter(caches)).publish(pending)


_CACHES: dict[str, weakref.WeakSet[LoginCache]] = {}


def _database_of(url) -> str:
    return make_url(url).render_as_string(hide_password=True)


def init_app(app: Flask) -> None:
    config = settings(app)
    if not config.redis_url or config.login_cache_seconds <= 0:
        return
    database = _database_of(app.extensions["db"].engine.url)
    # Redis's channels are shared by all its numbered databases: one channel per app database.
    scope = hashlib.sha256(database.encode()).hexdigest()[:16]
    cache = LoginCache(
        config.redis_url, config.login_cache_seconds, f"delegate:login-evict:{scope}"
    )
    app.extensions["login_cache"] = cache
    _CACHES.setdefault(database, weakref.WeakSet()).add(cache)
