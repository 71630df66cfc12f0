"""Settings: one frozen, typed value built from the environment, with safe local defaults.

``settings_from_env`` reads every variable once and checks it: a bad value stops start-up with
a sentence naming the variable (``JOB_TIMEOUT must be a whole number, got 'abc'``). The app
factory fills ``app.config`` from the result (Flask and its extensions read their keys there)
and code reads the typed value through ``settings()``.

Nothing here may be a secret constant: SECRET_KEY comes from the environment, else from
``instance/secret_key``. Building settings only reads that file; ``ensure_secret_key`` makes
it, an explicit step taken where the app starts (wsgi.py), so a laptop needs no setup and
sessions survive restarts without anybody committing a key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import tempfile
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from flask import Config, current_app
from flask.sansio.app import App

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting's value cannot be used; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the app reads, by the lower-case name of its environment variable."""

    secret_key: str
    database_url: str
    redis_url: str | None = None
    # The public address: absolute links (emails, Stripe's return pages) are built on it
    # through Flask's SERVER_NAME, PREFERRED_URL_SCHEME and APPLICATION_ROOT.
    base_url: str = "http://127.0.0.1:5000"
    demo_mode: bool = False
    session_cookie_secure: bool = False
    # Titles of 100 kB must be refused with a message, not read into memory unbounded.
    max_content_length: int = 1024 * 1024
    # SQLite only: "deferred" takes the write lock when a transaction first writes (reads
    # never wait); "immediate" takes it at every BEGIN, reads included (the old way).
    sqlite_begin: str = "deferred"

    # flask-limiter's counts (marketplace/rate_limits.py), shared through Redis when
    # configured, else per process. "N per period", several joined by ";". Unset, the
    # storage is REDIS_URL, else this process's memory.
    ratelimit_storage_uri: str = "memory://"
    ratelimit_key_prefix: str = "delegate"
    ratelimit_enabled: bool = True  # RATELIMIT_DISABLED=1 turns it off
    # Per client IP (after PROXY_FIX_X_FOR): log-in posts, and each form that checks a
    # password (confirmation links, password reset, password and address changes).
    login_rate_limit: str = "30 per minute"
    # Per client IP: sign-up posts.
    signup_rate_limit: str = "10 per minute; 50 per hour"
    # Per client IP: "forgot password" and "send the link again", together.
    account_email_rate_limit: str = "10 per minute; 50 per hour"
    # Per address typed, from any IP: sign-up, resend, forgot password and address change
    # together, so nobody floods one mailbox.
    account_email_address_limit: str = "10 per hour"
    # Per account: address changes asked for on the settings page.
    email_change_rate_limit: str = "5 per hour"
    # Per account, and per client IP (one office, many assistants): proposals sent.
    proposal_rate_limit: str = "30 per hour; 100 per day"
    proposal_ip_rate_limit: str = "200 per hour"
    # Per client IP: messages sent (per sender: MESSAGE_POST_LIMITS, in the database).
    message_ip_rate_limit: str = "120 per minute; 3000 per day"
    # Reports of messages and of people, per account (one count for both).
    report_rate_limit: str = "10 per hour; 30 per day"
    # Per API token (per client IP for requests without one): every /api/v1 request.
    api_rate_limit: str = "120 per minute; 5000 per hour"
    # Per account: failed log-ins counted in the database, so it holds across every worker
    # and host with or without Redis.
    login_account_limit: str = "10 per 15 minutes"
    # Per owner, counted from the tasks table.
    task_post_limits: str = "20 per hour; 100 per day"
    # How many proxies in front of the app set X-Forwarded-For / X-Forwarded-Proto (0 = none:
    # trust no such header, or any client could pick the IP its rate limit is counted by).
    proxy_fix_x_for: int = 0
    proxy_fix_x_proto: int = 0
    # A log-in is a row in login_sessions; this long after it, it is refused whatever the
    # cookie says (an absolute lifetime, not an idle one). Log-out revokes the row.
    login_session_days: float = 14

    # Background jobs: "rq" (needs REDIS_URL), "thread" (a pool in each web process) or
    # "inline"; unset picks rq when REDIS_URL is set, else thread.
    jobs_backend: str | None = None
    jobs_threads: int = 2
    # The thread backend also queues the sender and the digest every few minutes; turn it
    # off to run `flask notifications send` / `digest` from cron instead.
    jobs_periodic: bool = True
    # Periods of the periodic jobs, overriding schedule.PERIODIC's ("notifications.send=5,
    # timesheets.run_due=60"), and how often each timer looks whether one is due (shorter
    # than the shortest period). With RQ, one worker queues each period (schedule.py).
    jobs_periodic_intervals: str | None = None
    jobs_periodic_tick: float = 5
    jobs_queue: str = "delegate"
    job_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)  # seconds between retries
    job_timeout: int = 600  # a cold matcher fit is slow
    # How often a worker hands back jobs whose worker died mid-run (RQ's registry clean-up;
    # one worker per queue at a time). RQ's own default is 10 minutes, on top of the
    # JOB_TIMEOUT + 60 s a dead worker's job is still presumed running.
    jobs_maintenance_interval: int = 60

    matches_per_task: int = 10
    matches_per_assistant: int = 20
    matcher_dense_weight: float = 0
    # What the dense part is: None, the `embeddings` extra's sentence model (torch); "static",
    # that model distilled to a table shipped in matching/data (numpy only, no extra needed).
    matcher_dense_model: str | None = None
    # The worker's matcher learns its factor weights from match events (impressions,
    # invites, proposals, hires, reviews) once this many shown pairs are recorded ...
    matcher_learn_min_events: int = 500
    # ... of which this many were acted on (an invite, a proposal or a hire)
    matcher_learn_min_positives: int = 20
    # Learning reads at most the latest this many events (bounded time and memory), and
    # one owner's or one assistant's pairs weigh at most this many pairs' worth.
    matcher_learn_max_events: int = 200000
    matcher_learn_max_pairs_per_person: int = 100
    # Fair exposure: an assistant is newly recommended to at most this many tasks a day
    # (0: no cap), and this share of each task's list is kept for complete new profiles.
    matcher_daily_recommendation_cap: int = 40
    matcher_newcomer_share: float = 0.2
    # "New job for you" / "Assistants recommended" only about tasks posted this recently.
    match_email_max_age_days: float = 3

    # Email. With no SMTP_HOST, mail goes to the local outbox (/dev/outbox in demo mode).
    smtp_host: str | None = None
    smtp_port: int = 25  # 587 when SMTP_STARTTLS is on and SMTP_PORT unset
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 10
    mail_from: str = "Delegate <no-reply@delegate.localhost>"
    notification_max_attempts: int = 12
    notification_retry_seconds: int = 60  # first retry; doubles each time, capped at 6 hours
    # A sender claims this many rows at a time, each leased for this long; the lease is
    # renewed just before each message, so it must outlast one SMTP conversation.
    notification_batch_size: int = 20
    notification_lease_seconds: float = 300
    digest_hour: int = 8  # recipient's local time

    # Stripe: real test keys work unchanged; STRIPE_API_BASE points at a local emulator.
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_connect_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    # The platform's share of each contract, in basis points (1000 = 10%).
    platform_fee_bps: int = 1000

    # The planner prices an item from the assistants the matcher ranks for it: up to
    # this many, scoring at least this much, and no price from fewer than PLANNER_MIN_FITS.
    planner_fits_per_item: int = 200
    planner_min_fit_score: float = 0.4
    planner_min_fits: int = 5
    # Hourly contracts: after a week closes, the owner has this many days to approve or
    # dispute its timesheet before it is approved as logged.
    timesheet_review_days: int = 5
    # Fixed work: with no answer from the owner this many days after a submission, the
    # work is approved and paid out automatically (reminders go 3 days and 1 day before).
    auto_release_days: float = 14
    # Invitations one owner may send in any 24 hours (each emails an assistant).
    invitations_per_owner_per_day: int = 30

    # Messages: the email about unread ones waits this long for more to join it, and comes
    # at most once per conversation per interval (none once they are read).
    message_email_delay_seconds: float = 120
    message_email_interval_seconds: float = 900
    # Per sender, counted from the messages table.
    message_post_limits: str = "20 per minute; 500 per day"
    # How often an open conversation asks for new messages.
    message_poll_seconds: float = 3
    # Files sent with messages: each at most this many bytes, this many per message.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_per_message: int = 5

    # Where uploaded files are kept (marketplace/storage): a folder, by default
    # instance/attachments, or an S3-compatible bucket once STORAGE_S3_BUCKET is set (the
    # credentials may also come from boto3's own chain: AWS_* variables, an instance role).
    storage_local_path: str | None = None
    storage_s3_bucket: str | None = None
    storage_s3_endpoint_url: str | None = None
    storage_s3_region: str | None = None
    storage_s3_prefix: str = ""
    storage_s3_access_key_id: str | None = None
    storage_s3_secret_access_key: str | None = None
    # A stored file no row points at is removed once this old (storage.sweep): far
    # longer than any upload's transaction stays open.
    storage_orphan_grace_hours: float = 24

    # Days after a contract ends during which each party may review the other; a review
    # stays hidden from the other party until both have written or this has passed.
    review_window_days: float = 14
    # How long a worker keeps what every visitor of a page sees alike (job search
    # results); 0 turns it off. See marketplace/microcache.py.
    microcache_seconds: float = 10
    # How long a worker may answer a logged-in request from its copy of the log-in session
    # and user instead of the database; 0 turns it off. Only while the worker hears Redis's
    # evictions (marketplace/accounts/login_cache.py): without REDIS_URL nothing is kept.
    login_cache_seconds: float = 120
    # Logs on stderr from this level up, as JSON lines or as readable text
    # (marketplace/ops/logs.py: unset, text on a terminal and JSON otherwise).
    log_level: str = "INFO"
    log_format: str | None = None
    # /metrics answers only a request bearing this token (Authorization: Bearer ...);
    # unset, /metrics is not served at all.
    metrics_token: str | None = None

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise SettingsError(
                    f"{name.upper()} must be one of {', '.join(allowed)}, got {value!r}"
                )
        scheme, host = urlsplit(self.base_url)[:2]
        if scheme not in ("http", "https") or not host:
            raise SettingsError(
                f"BASE_URL must be an absolute http(s) address, got {self.base_url!r}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """The settings among ``values`` (upper-case keys, as in app.config), each checked
        and turned into its type; keys that are not settings are left alone."""
        hints = _field_types()
        missing = [name.upper() for name in _REQUIRED if name.upper() not in values]
        if missing:
            raise SettingsError(f"{', '.join(missing)} must be set")
        return cls(
            **{
                name: _coerce(name.upper(), hint, values[name.upper()])
                for name, hint in hints.items()
                if name.upper() in values
            }
        )

    def flask_config(self) -> dict[str, Any]:
        """app.config's keys: every setting, and what Flask and its extensions derive."""
        config = {name.upper(): getattr(self, name) for name in _field_types()}
        base = urlsplit(self.base_url)
        redis_limits = self.ratelimit_storage_uri.startswith(("redis://", "rediss://"))
        config.update(
            # url_for(..., _external=True) builds on these, in a request and in a job alike.
            SERVER_NAME=base.netloc,
            PREFERRED_URL_SCHEME=base.scheme,
            APPLICATION_ROOT=base.path.rstrip("/") or "/",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_SECURE=self.session_cookie_secure,
            WTF_CSRF_TIME_LIMIT=None,
            # A dead or hung Redis must not take log-in down: short timeouts, then
            # flask-limiter counts in this process's memory until Redis answers again (it
            # logs the switch once).
            RATELIMIT_STORAGE_OPTIONS=(
                {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if redis_limits else {}
            ),
            RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
            RATELIMIT_SWALLOW_ERRORS=True,
        )
        return config


_CHOICES = {
    "sqlite_begin": ("deferred", "immediate"),
    "jobs_backend": ("rq", "thread", "inline"),
    "log_level": ("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"),
    "log_format": ("json", "text"),
}
_REQUIRED = ("secret_key", "database_url")
SETTING_NAMES = frozenset(field.name.upper() for field in dataclasses.fields(Settings))


@cache
def _field_types() -> dict[str, Any]:
    return get_type_hints(Settings)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    """An environment variable's text (or a value given in code) as the setting's type."""
    optional = isinstance(hint, types.UnionType)
    if optional:
        if value is None or value == "":
            return None
        (hint,) = [arg for arg in hint.__args__ if arg is not type(None)]
    if hint is bool:
        return _boolean(name, value)
    if hint is int:
        return _number(name, value, int, "a whole number")
    if hint is float:
        return _number(name, value, float, "a number")
    if hint == tuple[int, ...]:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(
            _number(name, item, int, "a comma-separated list of whole numbers") for item in items
        )
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise SettingsError(f"{name} must be text, got {value!r}")


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE or text == "":
        return False
    raise SettingsError(f"{name} must be on or off (1/0, true/false, yes/no), got {value!r}")


def _number(name: str, value: Any, kind: type, described: str) -> Any:
    if isinstance(value, bool):
        raise SettingsError(f"{name} must be {described}, got {value!r}")
    if isinstance(value, int | float) and (kind is float or float(value).is_integer()):
        return kind(value)
    try:
        return kind(str(value).strip())
    except ValueError:
        raise SettingsError(f"{name} must be {described}, got {value!r}") from None


def settings_from_env(
    instance_path: Path,
    environ: Mapping[str, str] = os.environ,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The one place the environment is read. ``overrides`` (create_app's config argument,
    as tests and scripts pass it) win over the environment and are checked the same way."""
    values: dict[str, Any] = {k: v for k, v in environ.items() if k in SETTING_NAMES and v != ""}
    if "RATELIMIT_DISABLED" in environ:
        values["RATELIMIT_ENABLED"] = not _boolean(
            "RATELIMIT_DISABLED", environ["RATELIMIT_DISABLED"]
        )
    values.update({k: v for k, v in (overrides or {}).items() if k in SETTING_NAMES})
    values.setdefault("DATABASE_URL", f"sqlite:///{instance_path / 'delegate.sqlite3'}")
    values["DATABASE_URL"] = normalise_database_url(str(values["DATABASE_URL"]))
    values.setdefault("RATELIMIT_STORAGE_URI", values.get("REDIS_URL") or "memory://")
    if "SMTP_PORT" not in values:
        values["SMTP_PORT"] = (
            587 if _boolean("SMTP_STARTTLS", values.get("SMTP_STARTTLS", "")) else 25
        )
    if isinstance(values.get("LOG_LEVEL"), str):
        values["LOG_LEVEL"] = values["LOG_LEVEL"].upper()
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = read_secret_key(instance_path)
    return Settings.from_mapping(values)


def read_secret_key(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    try:
        key = key_file.read_text().strip()
    except FileNotFoundError:
        raise SettingsError(
            f"SECRET_KEY must be set, or {key_file} made (wsgi.py makes it at start)"
        ) from None
    if not key:
        raise SettingsError(
            f"{key_file} is empty (left by an interrupted start?); delete it to make a new key"
        )
    return key


def ensure_secret_key(instance_path: Path, environ: Mapping[str, str] = os.environ) -> None:
    """Make instance/secret_key once, unless SECRET_KEY is set: the app's start-up step."""
    if environ.get("SECRET_KEY"):
        return
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        _publish_new_key(key_file)


def _publish_new_key(key_file: Path) -> None:
    """Write a key to a private temporary file, fsync it, then link it into place.

    ``os.link`` refuses to replace an existing name (O_EXCL semantics), so when several
    workers start at once exactly one key is published and the others read that one; and a
    reader can never see a half-written file, because the name appears only once the content
    is on disk.
    """
    fd, temporary = tempfile.mkstemp(dir=key_file.parent, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        # FileExistsError: another process published its key first; everyone uses that one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_file)
        _fsync_folder(key_file.parent)
    finally:
        os.unlink(temporary)


def _fsync_folder(folder: Path) -> None:
    # The new name must survive a crash too, or a restart would make a second key.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform can open a folder; the file itself is on disk
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class TrackedConfig(Config):
    """app.config that counts its changes, so ``settings()`` sees a value a test (or
    Flask itself: ``app.debug = True``) put there after start-up: one way to override."""

    changes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.changes += 1

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changes += 1

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.changes += 1

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.changes += 1
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.changes += 1
        return super().pop(key, *default)


_EXTENSION = "delegate_settings"


def settings(app: App | None = None) -> Settings:
    """The app's settings (the current app's when none is given).

    Built again from app.config only when app.config has changed since, which in
    production is never after start-up."""
    app = app or current_app
    config = app.config
    changes = config.changes if isinstance(config, TrackedConfig) else -1
    cached = app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != changes or changes < 0:
        cached = app.extensions[_EXTENSION] = (changes, Settings.from_mapping(config))
    return cached[1]
