"""Background jobs, dispatched only after the transaction that caused them commits.

``enqueue_after_commit(session, "matches.match_task", task.id)`` records the job on the
SQLAlchemy session; an ``after_commit`` hook hands it to a backend:

- ``rq`` (when ``REDIS_URL`` is set): a Redis queue read by ``flask worker``, with retries;
- ``thread`` (the default without Redis): a small thread pool in this process, so the web
  request answers at once and never waits on the matcher or on SMTP. The outbox rows are
  the record of every email: a job lost with its process (a restart) leaves its rows
  pending, and the periodic sender this pool also runs delivers them;
- ``inline``: right after the commit, in the committing thread (the unit tests, whose
  sessions share one connection that a thread must not touch).

A rollback discards the job, so a job never sees data that was not committed, and a job is
never queued for a change that did not happen.

Every job takes a fresh session as its first argument, flushes, and is committed by
``run_job``. Jobs must be idempotent (upserts keyed by unique constraints): RQ retries a
failed job, and the same trigger may fire twice.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from ..config import settings
from ..ops.logs import current_request_id, job_context
from ..ops.metrics import observe_job

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[..., Any]] = {}
# Where each job family lives ("matches.match_task" -> marketplace.matches.jobs). Only the
# module a job needs is imported: the email sender must not pull the matcher (numpy,
# scikit-learn) into every web process, where importing it stalls requests for seconds.
JOB_MODULES = {
    "matches": "marketplace.matches.jobs",
    "notifications": "marketplace.notifications.jobs",
    "planner": "marketplace.planner.jobs",
    "timesheets": "marketplace.timesheets.jobs",
    "reviews": "marketplace.reviews.jobs",
    "contracts": "marketplace.contracts.jobs",
    "storage": "marketplace.storage.jobs",
    "payments": "marketplace.payments.jobs",
}
_PENDING = "delegate_pending_jobs"
_COMMITTED = "delegate_committed_jobs"
_APP = "delegate_jobs_app"


def current_app_object() -> Flask:
    """The app itself, not the context-bound proxy: to keep it past this context."""
    # Flask types current_app as a Flask; it is werkzeug's LocalProxy, which says what it wraps.
    return cast("LocalProxy[Flask]", current_app)._get_current_object()


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
        session.info[_APP] = current_app_object()


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
        app = current_app_object()
    if app is None:
        # A script committing outside Flask: outbox rows stay pending for the next sender run.
        log.error("No Flask app to run jobs %r after commit; they were not run", pending)
        return
    for name, args in pending:
        dispatch(app, name, args)


def backend(app: Flask) -> str:
    """ "rq", "thread" or "inline". An app under test runs inline unless JOBS_BACKEND says
    otherwise, so a REDIS_URL in CI's environment does not send every test's jobs to a queue
    nobody reads, and no thread touches a test's shared connection."""
    chosen = settings(app).jobs_backend  # one of the three: Settings checks it
    if chosen:
        return chosen
    if app.testing:
        return "inline"
    return "rq" if settings(app).redis_url else "thread"


def dispatch(app: Flask, name: str, args: tuple) -> None:
    """Outside a web request (a CLI command, a script, a job already running in the pool) the
    thread backend runs the job right here: nobody is waiting for a response, and a command's
    process must not exit with its jobs still queued in threads."""
    chosen = backend(app)
    if chosen == "rq":
        from .queue import enqueue

        try:
            enqueue(app, name, args)
            return
        except Exception:
            # Redis is down: doing the work here beats dropping it.
            app.logger.exception("Could not queue job %s%r; running it here instead", name, args)
            chosen = "inline" if app.testing else "thread"
    if chosen == "thread" and has_request_context():
        pool(app).submit(name, args)
    else:
        run_inline(app, name, args)


class JobPool:
    """A few threads running jobs after the response, plus the periodic jobs of this process.

    A job already waiting is not queued twice (64 posts in a burst need one sender run, not
    64): it is forgotten when it starts, so work committed after that start queues a new run.
    """

    def __init__(self, app: Flask, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delegate-job")
        self.waiting: set[tuple[str, tuple]] = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None

    def submit(self, name: str, args: tuple) -> None:
        with self.lock:  # shutdown takes it too: never submit to a stopped executor
            if (name, args) in self.waiting or self.stop.is_set():
                return
            self.waiting.add((name, args))
            try:
                self.executor.submit(self._run, name, args, current_request_id())
            except RuntimeError:  # the interpreter is exiting: the outbox keeps what is owed
                self.waiting.discard((name, args))
                log.info("Process exiting; job %s%r not started", name, args)

    def _run(self, name: str, args: tuple, request_id: str | None) -> None:
        with self.lock:
            self.waiting.discard((name, args))
        with job_context(name, request_id):
            run_inline(self.app, name, args)

    def start_periodic(self) -> None:
        """Send retries and leftovers, and write digests, from this process (no cron needed)."""
        from .schedule import parse_intervals, periodic_jobs, run_periodically

        jobs = periodic_jobs(parse_intervals(settings(self.app).jobs_periodic_intervals))
        with self.lock:
            if self.ticker is not None or self.stop.is_set():
                return
            self.ticker = threading.Thread(
                target=run_periodically,
                args=(
                    lambda name: self.submit(name, ()),
                    self.stop,
                    jobs,
                    settings(self.app).jobs_periodic_tick,
                ),
                name="delegate-periodic",
                daemon=True,
            )
        self.ticker.start()

    def shutdown(self, wait: bool = True) -> None:
        with self.lock:
            self.stop.set()
        self.executor.shutdown(wait=wait, cancel_futures=True)
        if self.ticker is not None:
            self.ticker.join(timeout=10)


_POOL = "jobs_pool"
_POOL_LOCK = threading.Lock()


def pool(app: Flask) -> JobPool:
    with _POOL_LOCK:
        found = app.extensions.get(_POOL)
        if found is None:
            found = app.extensions[_POOL] = JobPool(app, settings(app).jobs_threads)
    return found


def init_app(app: Flask) -> None:
    from .schedule import parse_intervals

    parse_intervals(settings(app).jobs_periodic_intervals)  # a typo fails at start-up

    # Started by the first request, not by create_app: after gunicorn forks, and never in a
    # process that only runs CLI commands.
    @app.before_request
    def _start_periodic_jobs() -> None:
        if backend(app) == "thread" and settings(app).jobs_periodic:
            pool(app).start_periodic()


def shutdown(app: Flask) -> None:
    """Stop this app's job threads (tests; a process exiting waits for running jobs itself)."""
    found = app.extensions.pop(_POOL, None)
    if found is not None:
        found.shutdown()


def run_inline(app: Flask, name: str, args: tuple) -> None:
    try:
        run_job(app, name, args)
    except Exception:
        # Loud, not fatal: the request that triggered it has already committed. Outbox rows
        # stay pending and the next sender run (or `flask notifications send`) delivers them.
        app.logger.exception("Job %s%r failed (inline; not retried automatically)", name, args)


def run_job(app: Flask, name: str, args: tuple, request_id: str | None = None) -> Any:
    """Run one job in an app context with its own session, committing when it returns. Its
    log lines carry `request_id` (else the id of the request running it inline, if any)."""
    func = lookup(name)
    with app.app_context(), job_context(name, request_id):
        session = app.extensions["db"].sessionmaker()
        started, failed = time.monotonic(), True
        try:
            result = func(session, *args)
            session.commit()
            failed = False
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            seconds = time.monotonic() - started
            observe_job(name, seconds, failed=failed)
            log.info("Job %s%r %s in %.3f s", name, args, "failed" if failed else "done", seconds)


def lookup(name: str) -> Callable[..., Any]:
    module = JOB_MODULES.get(name.partition(".")[0])
    if name not in JOBS and module is not None:
        importlib.import_module(module)
    try:
        return JOBS[name]
    except KeyError:
        raise LookupError(f"no job named {name!r}") from None


def perform(name: str, *args: Any) -> Any:
    """What an RQ worker executes: the worker command has pushed the app context."""
    from rq import get_current_job

    queued = get_current_job()
    request_id = queued.meta.get("request_id") if queued is not None else None
    return run_job(current_app_object(), name, args, request_id)
