"""Background jobs, dispatched only after the transaction that caused them commits.

``enqueue_after_commit(session, "matches.match_task", task.id)`` records the job on the
SQLAlchemy session; an ``after_commit`` hook hands it to RQ (when ``REDIS_URL`` is set) or runs
it inline in its own session. A rollback discards it, so a job never sees data that was not
committed, and a job is never queued for a change that did not happen.

Every job takes a fresh session as its first argument, flushes, and is committed by
``run_job``. Jobs must be idempotent (upserts keyed by unique constraints): RQ retries a
failed job, and the same trigger may fire twice.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[..., Any]] = {}
# Modules whose @job functions are looked up by name; imported lazily so the web app does
# not load the matcher (numpy, scikit-learn) until a job actually runs.
JOB_MODULES = ("marketplace.matches.jobs", "marketplace.notifications.jobs")
_PENDING = "delegate_pending_jobs"
_COMMITTED = "delegate_committed_jobs"
_APP = "delegate_jobs_app"


def job(name: str) -> Callable:
    def register(func: Callable) -> Callable:
        JOBS[name] = func
        return func

    return register


def enqueue_after_commit(session: Session, name: str, *args: Any) -> None:
    """Run job `name(*args)` once this session's transaction commits (never if it rolls back)."""
    if not session.in_transaction():
        session.begin()  # so that a rollback before any SQL still discards the job
    pending = session.info.setdefault(_PENDING, [])
    if (name, args) not in pending:  # the same trigger twice in one transaction runs once
        pending.append((name, args))
    if has_app_context():
        session.info[_APP] = current_app._get_current_object()


@event.listens_for(Session, "after_commit")
def _commit_pending(session: Session) -> None:
    if _PENDING in session.info:
        session.info[_COMMITTED] = session.info.pop(_PENDING)


@event.listens_for(Session, "after_transaction_end")
def _dispatch_committed(session: Session, transaction) -> None:
    # Dispatch once the committed transaction has fully ended and released its connection,
    # not inside after_commit: an inline job opens its own session and commits too.
    if transaction.parent is not None:
        return
    session.info.pop(_PENDING, None)  # ended without a commit: rolled back or closed
    pending = session.info.pop(_COMMITTED, None)
    if not pending:
        return
    app = session.info.pop(_APP, None)
    if app is None and has_app_context():
        app = current_app._get_current_object()
    if app is None:
        # A script committing outside Flask: outbox rows stay pending for the next sender run.
        log.error("No Flask app to run jobs %r after commit; they were not run", pending)
        return
    for name, args in pending:
        dispatch(app, name, args)


def backend(app: Flask) -> str:
    """ "rq" or "inline". An app under test runs inline unless JOBS_BACKEND says otherwise, so
    a REDIS_URL in CI's environment does not send every test's jobs to a queue nobody reads."""
    chosen = app.config.get("JOBS_BACKEND")
    if chosen:
        return chosen
    return "rq" if app.config.get("REDIS_URL") and not app.testing else "inline"


def dispatch(app: Flask, name: str, args: tuple) -> None:
    if backend(app) == "rq":
        from .queue import enqueue

        try:
            enqueue(app, name, args)
            return
        except Exception:
            # Redis is down: doing the work now beats dropping it.
            app.logger.exception("Could not queue job %s%r; running it inline instead", name, args)
    run_inline(app, name, args)


def run_inline(app: Flask, name: str, args: tuple) -> None:
    try:
        run_job(app, name, args)
    except Exception:
        # Loud, not fatal: the request that triggered it has already committed. Outbox rows
        # stay pending and the next sender run (or `flask notifications send`) delivers them.
        app.logger.exception("Job %s%r failed (inline; not retried automatically)", name, args)


def run_job(app: Flask, name: str, args: tuple) -> Any:
    """Run one job in an app context with its own session, committing when it returns."""
    func = lookup(name)
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        try:
            result = func(session, *args)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def lookup(name: str) -> Callable[..., Any]:
    if name not in JOBS:
        for module in JOB_MODULES:
            importlib.import_module(module)
    try:
        return JOBS[name]
    except KeyError:
        raise LookupError(f"no job named {name!r}") from None


def perform(name: str, *args: Any) -> Any:
    """What an RQ worker executes: the worker command has pushed the app context."""
    return run_job(current_app._get_current_object(), name, args)
