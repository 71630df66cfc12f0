"""Prometheus metrics, served at /metrics to whoever holds METRICS_TOKEN (a bearer token).

Counted as things happen: request latency by route (the URL rule, so /tasks/<int:task_id>
is one series, not one per task), job duration by job (the matcher's jobs among them),
webhook lag (when we received an event minus Stripe's ``created``). Read at each scrape:
queue depth, and the outbox's backlog and the age of its oldest unsent email.

Under gunicorn every worker counts on its own; with PROMETHEUS_MULTIPROC_DIR set (an empty
folder, shared by the web processes and the RQ workers of one host) prometheus_client keeps
the counts in files there and /metrics adds up every process's, jobs included.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from ..config import settings
from ..db import utcnow

log = logging.getLogger(__name__)
# A "_created" timestamp beside every series doubles the output and no dashboard reads it.
disable_created_metrics()

REQUEST_LATENCY = Histogram(
    "delegate_request_duration_seconds",
    "Time to answer a request, by route (the URL rule), method and status.",
    ["route", "method", "status"],
)
JOB_DURATION = Histogram(
    "delegate_job_duration_seconds",
    "Time a background job ran, by job and outcome (ok, failed).",
    ["job", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
WEBHOOK_LAG = Histogram(
    "delegate_webhook_lag_seconds",
    "When a Stripe event reached us minus the event's own created time, by event type.",
    ["type"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 6 * 3600, 24 * 3600, 3 * 24 * 3600),
)
UNMATCHED = "<unmatched>"  # a 404 for an address no route has: one series for all of them


def observe_job(job: str, seconds: float, *, failed: bool) -> None:
    JOB_DURATION.labels(job=job, outcome="failed" if failed else "ok").observe(seconds)


def observe_webhook(event: dict) -> None:
    created = event.get("created")
    if isinstance(created, int | float):
        lag = max(0.0, utcnow().timestamp() - created)  # a clock ahead of Stripe's: no lag
        WEBHOOK_LAG.labels(type=str(event.get("type", "unknown"))).observe(lag)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe_request(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        REQUEST_LATENCY.labels(
            route=route, method=request.method, status=str(response.status_code)
        ).observe(time.perf_counter() - started)
    return response


class StateCollector:
    """What is waiting, read at scrape time: nothing to keep in step between processes."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        yield from self._outbox()
        yield from self._queue()

    def _outbox(self) -> Iterator[Metric]:
        from ..notifications.models import Channel, Notification, Status

        session = self.app.extensions["db"].sessionmaker()
        try:
            count, oldest = session.execute(
                select(func.count(), func.min(Notification.created_at)).where(
                    Notification.status == Status.PENDING,
                    Notification.channel == Channel.INSTANT,
                )
            ).one()
        except Exception:
            log.warning("Metrics: could not read the outbox", exc_info=True)
            return
        finally:
            session.close()
        age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0
        yield GaugeMetricFamily(
            "delegate_outbox_backlog", "Emails waiting to be sent (incl. retries).", value=count
        )
        yield GaugeMetricFamily(
            "delegate_outbox_oldest_unsent_age_seconds",
            "Age of the oldest email not yet sent (0 when none waits).",
            value=age,
        )

    def _queue(self) -> Iterator[Metric]:
        from ..jobs import backend

        if backend(self.app) != "rq":
            return
        from ..jobs.queue import queue

        family = GaugeMetricFamily(
            "delegate_queue_jobs", "Jobs in the RQ queue by state.", labels=["queue", "state"]
        )
        try:
            jobs = queue(self.app)
            counts = {
                "queued": jobs.count,
                "started": jobs.started_job_registry.count,
                "scheduled": jobs.scheduled_job_registry.count,  # waiting for a retry
                "failed": jobs.failed_job_registry.count,
            }
        except Exception:
            log.warning("Metrics: could not read the job queue", exc_info=True)
            return
        for state, count in counts.items():
            family.add_metric([jobs.name, state], count)
        yield family


def _counted() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _authorised(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def metrics_view():
    token = settings().metrics_token
    if not token:
        abort(404)  # not configured: not there at all
    if not _authorised(token):
        return (
            {"error": "Unauthorized", "message": "Send Authorization: Bearer <METRICS_TOKEN>."},
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    state = CollectorRegistry()
    state.register(StateCollector(current_app._get_current_object()))
    body = _counted() + generate_latest(state)
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_observe_request)
