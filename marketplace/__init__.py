"""Delegate: a marketplace where small-business owners hand admin work to virtual assistants."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    db,
    errors,
    filters,
    input_guard,
    jobs,
    microcache,
    migrate,
    nav_counts,
    ops,
    rate_limits,
    security,
    session_cookie,
    uploads,
)
from .config import SETTING_NAMES, TrackedConfig, settings, settings_from_env
from .extensions import csrf, limiter, login_manager
from .tasks import display as task_display


class _App(Flask):
    config_class = TrackedConfig


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Wire configuration, extensions and blueprints; no I/O beyond reading settings.

    ``config`` overrides the environment (tests, scripts): a setting there is checked like
    the variable of the same name; any other key goes to app.config as given."""
    app = _App(__name__, instance_relative_config=True)
    built = settings_from_env(Path(app.instance_path), overrides=config)
    app.config.from_mapping(built.flask_config())
    app.config.update({k: v for k, v in (config or {}).items() if k not in SETTING_NAMES})

    _trust_proxies(app)
    ops.init_app(app)  # first: logging, and the request id every later hook logs with
    db.init_app(app)
    session_cookie.init_app(app)
    microcache.init_app(app)
    migrate.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    uploads.init_app(app)
    rate_limits.init_app(app)
    input_guard.init_app(app)
    jobs.init_app(app)
    filters.init_app(app)
    nav_counts.init_app(app)
    task_display.init_app(app)
    _register_blueprints(app)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    return app


def instance_path() -> str:
    """The folder create_app's app uses as instance/, by Flask's own rule."""
    return _App(__name__, instance_relative_config=True).instance_path


def _favicon():
    """Browsers ask for /favicon.ico whatever the page links; base.html links the SVG too.

    Served from memory: a browser that drops the request (it often does, for an icon) left
    send_file's open file to the garbage collector, a ResourceWarning in the dev server."""
    response = current_app.response_class(
        _icon_bytes(current_app.static_folder), mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)


@cache
def _icon_bytes(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.ico").read_bytes()


def _trust_proxies(app: Flask) -> None:
    """Behind N proxies, the client's IP (rate limits) and scheme come from their headers;
    with none configured those headers are ignored, as any client can forge them."""
    x_for, x_proto = settings(app).proxy_fix_x_for, settings(app).proxy_fix_x_proto
    if x_for or x_proto:
        # Flask's documented way to add WSGI middleware is to replace this method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=x_for, x_proto=x_proto
        )


def _register_blueprints(app: Flask) -> None:
    from . import api
    from .accounts import auth
    from .accounts.settings_views import bp as settings_bp
    from .accounts.views import bp as accounts_bp
    from .contracts.cli import contracts_cli
    from .contracts.views import bp as contracts_bp
    from .demo.cli import demo_cli
    from .hiring.views import bp as hiring_bp
    from .jobs.queue import worker_cmd
    from .matches.cli import matches_cli
    from .matches.views import bp as matches_bp
    from .messages.views import bp as messages_bp
    from .notifications.cli import notifications_cli
    from .notifications.views import bp as notifications_bp
    from .operator import views as operator_views
    from .operator.cli import operator_cli
    from .payments.cli import payments_cli
    from .payments.views import bp as payments_bp
    from .planner import views as planner_views
    from .planner.cli import plan_cli
    from .profiles.views import bp as profiles_bp
    from .reports.views import bp as reports_bp
    from .reviews.views import bp as reviews_bp
    from .storage.cli import storage_cli
    from .talent.views import bp as talent_bp
    from .tasks.views import bp as tasks_bp
    from .timesheets.cli import timesheets_cli
    from .timesheets.views import bp as timesheets_bp

    auth.init_app(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(talent_bp)
    app.register_blueprint(hiring_bp)
    app.register_blueprint(contracts_bp)
    app.cli.add_command(contracts_cli)
    app.register_blueprint(payments_bp)
    app.cli.add_command(payments_cli)
    app.cli.add_command(demo_cli)
    app.register_blueprint(matches_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(reviews_bp)
    app.cli.add_command(matches_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(worker_cmd)
    operator_views.init_app(app)
    app.cli.add_command(operator_cli)
    planner_views.init_app(app)
    app.cli.add_command(plan_cli)
    app.register_blueprint(timesheets_bp)
    app.cli.add_command(timesheets_cli)
    app.cli.add_command(storage_cli)
    api.init_app(app)
