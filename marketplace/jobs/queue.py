"""The Redis + RQ side of background jobs: enqueueing with retries, and the worker command."""

from __future__ import annotations

import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from redis import Redis
from rq import Queue, Retry, SimpleWorker

from .schedule import run_periodically


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


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@with_appcontext
def worker_cmd(burst: bool) -> None:
    """Run background jobs from Redis (matching, email), with retries and periodic sends."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException(
            "Set REDIS_URL: without Redis, jobs run in a thread pool of each web process."
        )
    stop = threading.Event()
    if not burst:
        # The worker queues the periodic jobs itself (the web processes do not, with RQ).
        threading.Thread(
            target=run_periodically,
            args=(lambda name: enqueue(app, name, ()), stop),
            daemon=True,
        ).start()
    # SimpleWorker runs jobs in this process: the matcher index stays warm between jobs
    # instead of being rebuilt in a fresh fork for every one.
    worker = SimpleWorker([queue(app)], connection=connection(app))
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
