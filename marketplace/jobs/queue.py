"""The Redis + RQ side of background jobs: enqueueing with retries, and the worker command."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask
from flask.cli import with_appcontext
from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry, SimpleWorker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers

from ..config import settings
from ..ops.logs import current_request_id, job_context
from . import current_app_object
from .schedule import PeriodClaims, parse_intervals, periodic_jobs, run_claimed_periodically

log = logging.getLogger(__name__)


def connection(app: Flask) -> Redis:
    conn = app.extensions.get("jobs_redis")
    if conn is None:
        url = settings(app).redis_url
        assert url, "JOBS_BACKEND=rq needs REDIS_URL"
        conn = app.extensions["jobs_redis"] = Redis.from_url(url)
    return conn


def queue(app: Flask) -> Queue:
    return Queue(settings(app).jobs_queue, connection=connection(app))


def enqueue(
    app: Flask, name: str, args: tuple, *, pipeline: Pipeline | None = None, **meta
) -> None:
    """Queue job `name(*args)`; its meta carries the request id that caused it (its log lines
    say it too) and what else is given (a periodic job's period)."""
    intervals = list(settings(app).job_retry_intervals)
    request_id = current_request_id()
    queue(app).enqueue(
        "marketplace.jobs.perform",
        name,
        *args,
        retry=Retry(max=len(intervals), interval=intervals),
        job_timeout=settings(app).job_timeout,
        description=f"{name}{args!r}",
        # Failed jobs stay in RQ's FailedJobRegistry for a week: never silently dropped.
        failure_ttl=7 * 24 * 3600,
        meta={**meta, **({"request_id": request_id} if request_id else {})},
        pipeline=pipeline,
    )


def start_periodic(app: Flask, stop: threading.Event) -> threading.Thread:
    """This worker's share of the one schedule (see schedule.PeriodClaims)."""
    claims = PeriodClaims(connection(app), f"delegate:periodic:{settings(app).jobs_queue}")

    def enqueue_period(name: str, first: int, period: int, pipe: Pipeline) -> None:
        enqueue(app, name, (), pipeline=pipe, periodic=name, periods=[first, period])

    jobs = periodic_jobs(parse_intervals(settings(app).jobs_periodic_intervals))
    thread = threading.Thread(
        target=run_claimed_periodically,
        args=(claims, enqueue_period, stop, jobs, settings(app).jobs_periodic_tick),
        name="delegate-periodic",
        daemon=True,
    )
    thread.start()
    return thread


class Worker(SimpleWorker):
    """RQ's in-process worker, but a failed job is logged once, as one JSON line with its
    traceback and the request id that queued it (RQ's own line has neither field)."""

    def handle_exception(self, job: Job, *exc_info) -> None:
        name = job.args[0] if job.args else job.func_name
        with job_context(str(name), job.meta.get("request_id")):
            log.error(
                "Job %s failed (%s retries left)", job.description, job.retries_left,
                exc_info=exc_info,
            )  # fmt: skip
        call_exception_handlers(self._exc_handlers, job, *exc_info)


def make_worker(app: Flask) -> Worker:
    """The worker of `flask worker`. Its clean-up also hands back the jobs of workers that
    died mid-job (killed, their host lost): each is retried as after a failure (enqueue gives
    every job retries), so it runs again on a live worker instead of staying "started"."""
    return Worker(
        [queue(app)],
        connection=connection(app),
        maintenance_interval=settings(app).jobs_maintenance_interval,
    )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@with_appcontext
def worker_cmd(burst: bool) -> None:
    """Run background jobs from Redis (matching, email), with retries and periodic jobs."""
    app = current_app_object()
    if not settings(app).redis_url:
        raise click.ClickException(
            "Set REDIS_URL: without Redis, jobs run in a thread pool of each web process."
        )
    stop = threading.Event()
    if not burst and settings(app).jobs_periodic:
        # Every worker runs the timer; a Redis lease lets one queue each period. The web
        # processes queue none with RQ.
        start_periodic(app, stop)
    # SimpleWorker runs jobs in this process: the matcher index stays warm between jobs
    # instead of being rebuilt in a fresh fork for every one.
    worker = make_worker(app)
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
