"""The Redis + RQ side of background jobs: enqueueing with retries, and the worker command."""

from __future__ import annotations

import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from redis import Redis
from rq import Queue, Retry, SimpleWorker

# Periodic work the worker queues itself: the outbox sender (retries and anything queued
# while Redis was away) and the daily digest, which sends each person's digest once their
# local morning has come.
PERIODIC = (("notifications.send", 30), ("notifications.digest", 600))


def connection(app: Flask) -> Redis:
    conn = app.extensions.get("jobs_redis")
    if conn is None:
        conn = app.extensions["jobs_redis"] = Redis.from_url(app.config["REDIS_URL"])
    return conn


def queue(app: Flask) -> Queue:
    return Queue(app.config["JOBS_QUEUE"], connection=connection(app))


def enqueue(app: Flask, name: str, args: tuple) -> None:
    intervals = list(app.config["JOB_RETRY_INTERVALS"])
    queue(app).enqueue(
        "marketplace.jobs.perform",
        name,
        *args,
        retry=Retry(max=len(intervals), interval=intervals),
        job_timeout=app.config["JOB_TIMEOUT"],
        description=f"{name}{args!r}",
        # Failed jobs stay in RQ's FailedJobRegistry for a week: never silently dropped.
        failure_ttl=7 * 24 * 3600,
    )


def _tick(app: Flask, stop: threading.Event) -> None:
    last: dict[str, float] = {}
    while not stop.is_set():
        now = time.monotonic()
        for name, every in PERIODIC:
            if now - last.get(name, -every) >= every:
                last[name] = now
                try:
                    enqueue(app, name, ())
                except Exception:
                    app.logger.exception("Could not queue periodic job %s", name)
        stop.wait(5)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@with_appcontext
def worker_cmd(burst: bool) -> None:
    """Run background jobs from Redis (matching, email), with retries and periodic sends."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("Set REDIS_URL: without Redis, jobs run inline after commit.")
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_tick, args=(app, stop), daemon=True).start()
    # SimpleWorker runs jobs in this process: the matcher index stays warm between jobs
    # instead of being rebuilt in a fresh fork for every one.
    worker = SimpleWorker([queue(app)], connection=connection(app))
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
