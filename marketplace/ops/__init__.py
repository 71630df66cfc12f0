"""Running the app in production: health probes, Prometheus metrics and structured logs.

The probes and /metrics live on the ``ops`` blueprint: no log-in, no session (accounts/auth
skips it), no CSRF (GET only) and no rate limit, so a probe every second costs one query.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extensions import limiter
from . import health, logs, metrics

bp = Blueprint("ops", __name__)
bp.add_url_rule("/healthz", "healthz", health.healthz)
bp.add_url_rule("/readyz", "readyz", health.readyz)
bp.add_url_rule("/metrics", "metrics", metrics.metrics_view)
limiter.exempt(bp)


def init_app(app: Flask) -> None:
    """Logs first: every later hook's lines carry the request id."""
    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(bp)
