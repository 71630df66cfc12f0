"""Probes for a load balancer or an orchestrator, answered without log-in or session.

/healthz: the process is up and answering (touches nothing, so a database outage does not
get every web process restarted). /readyz: it can do its work: the database answers and,
when configured, Redis does. A failed check names what failed and the kind of error, never
an address or a password (the full error goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import text

from ..config import settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2.0


def healthz():
    return {"status": "ok"}


def _database(app: Flask) -> None:
    with app.extensions["db"].engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _redis(app: Flask) -> None:
    conn = Redis.from_url(
        settings(app).redis_url or "",  # checked only when set (checks below)
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    try:
        conn.ping()
    finally:
        conn.close()


def checks(app: Flask) -> dict[str, Callable[[Flask], None]]:
    found: dict[str, Callable[[Flask], None]] = {"database": _database}
    if settings(app).redis_url:
        found["redis"] = _redis
    return found


def readyz():
    app = current_app._get_current_object()
    results: dict[str, dict] = {}
    for name, check in checks(app).items():
        try:
            check(app)
            results[name] = {"ok": True}
        except Exception as exc:
            log.warning("Readiness: %s is not answering", name, exc_info=True)
            results[name] = {"ok": False, "error": type(exc).__name__}
    ready = all(result["ok"] for result in results.values())
    body = {"status": "ok" if ready else "unavailable", "checks": results}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}
