"""Settings read from environment variables, with defaults that are safe on a laptop.

Nothing here may be a secret constant: SECRET_KEY is generated once and kept under
``instance/`` so sessions survive restarts without anybody committing a key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, else from instance/secret_key (created once)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        _publish_new_key(key_file)
    key = key_file.read_text().strip()
    if not key:
        raise RuntimeError(
            f"{key_file} is empty (left by an interrupted start?); delete it to make a new key"
        )
    return key


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


def settings_from_env(instance_path: Path) -> dict:
    default_db = f"sqlite:///{instance_path / 'delegate.sqlite3'}"
    return {
        "SECRET_KEY": load_or_create_secret_key(instance_path),
        "DATABASE_URL": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "DEMO_MODE": _bool("DEMO_MODE"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        # Titles of 100 kB must be refused with a message, not read into memory unbounded.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # SQLite only: "deferred" takes the write lock when a transaction first writes (reads
        # never wait); "immediate" takes it at every BEGIN, reads included (the old way).
        "SQLITE_BEGIN": os.environ.get("SQLITE_BEGIN", "deferred"),
        "WTF_CSRF_TIME_LIMIT": None,
        **_rate_limit_settings(),
        **_session_settings(),
        # Background jobs: "rq" (needs REDIS_URL), "thread" (a pool in each web process) or
        # "inline"; unset picks rq when REDIS_URL is set, else thread.
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND") or None,
        "JOBS_THREADS": int(os.environ.get("JOBS_THREADS", "2")),
        # The thread backend also queues the sender and the digest every few minutes; turn it
        # off to run `flask notifications send` / `digest` from cron instead.
        "JOBS_PERIODIC": _bool("JOBS_PERIODIC", True),
        # Periods of the periodic jobs, overriding schedule.PERIODIC's ("notifications.send=5,
        # timesheets.run_due=60"), and how often each timer looks whether one is due (shorter
        # than the shortest period). With RQ, one worker queues each period (schedule.py).
        "JOBS_PERIODIC_INTERVALS": os.environ.get("JOBS_PERIODIC_INTERVALS") or None,
        "JOBS_PERIODIC_TICK": float(os.environ.get("JOBS_PERIODIC_TICK", "5")),
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "delegate"),
        "JOB_RETRY_INTERVALS": [10, 60, 300, 1800, 7200],  # seconds between RQ retries
        "JOB_TIMEOUT": int(os.environ.get("JOB_TIMEOUT", "600")),  # a cold matcher fit is slow
        # How often a worker hands back jobs whose worker died mid-run (RQ's registry clean-up;
        # one worker per queue at a time). RQ's own default is 10 minutes, on top of the
        # JOB_TIMEOUT + 60 s a dead worker's job is still presumed running.
        "JOBS_MAINTENANCE_INTERVAL": int(os.environ.get("JOBS_MAINTENANCE_INTERVAL", "60")),
        "MATCHES_PER_TASK": 10,
        "MATCHER_DENSE_WEIGHT": float(os.environ.get("MATCHER_DENSE_WEIGHT", "0")),
        # The worker's matcher learns its factor weights from match events (impressions,
        # invites, proposals, hires, reviews) once this many shown pairs are recorded.
        "MATCHER_LEARN_MIN_EVENTS": int(os.environ.get("MATCHER_LEARN_MIN_EVENTS", "500")),
        # ... of which this many were acted on (an invite, a proposal or a hire)
        "MATCHER_LEARN_MIN_POSITIVES": int(os.environ.get("MATCHER_LEARN_MIN_POSITIVES", "20")),
        # Learning reads at most the latest this many events (bounded time and memory), and
        # one owner's or one assistant's pairs weigh at most this many pairs' worth.
        "MATCHER_LEARN_MAX_EVENTS": int(os.environ.get("MATCHER_LEARN_MAX_EVENTS", "200000")),
        "MATCHER_LEARN_MAX_PAIRS_PER_PERSON": int(
            os.environ.get("MATCHER_LEARN_MAX_PAIRS_PER_PERSON", "100")
        ),
        # Fair exposure: an assistant is newly recommended to at most this many tasks a day
        # (0: no cap), and this share of each task's list is kept for complete new profiles.
        "MATCHER_DAILY_RECOMMENDATION_CAP": int(
            os.environ.get("MATCHER_DAILY_RECOMMENDATION_CAP", "40")
        ),
        "MATCHER_NEWCOMER_SHARE": float(os.environ.get("MATCHER_NEWCOMER_SHARE", "0.2")),
        "MATCHES_PER_ASSISTANT": 20,
        # "New job for you" / "Assistants recommended" only about tasks posted this recently.
        "MATCH_EMAIL_MAX_AGE_DAYS": float(os.environ.get("MATCH_EMAIL_MAX_AGE_DAYS", "3")),
        # Email. With no SMTP_HOST, mail goes to the local outbox (/dev/outbox in demo mode).
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587" if _bool("SMTP_STARTTLS") else "25")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS"),
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", "10")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Delegate <no-reply@delegate.localhost>"),
        "NOTIFICATION_MAX_ATTEMPTS": int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "12")),
        "NOTIFICATION_RETRY_SECONDS": 60,  # first retry; doubles each time, capped at 6 hours
        # A sender claims this many rows at a time, each leased for this long; the lease is
        # renewed just before each message, so it must outlast one SMTP conversation.
        "NOTIFICATION_BATCH_SIZE": int(os.environ.get("NOTIFICATION_BATCH_SIZE", "20")),
        "NOTIFICATION_LEASE_SECONDS": float(os.environ.get("NOTIFICATION_LEASE_SECONDS", "300")),
        "DIGEST_HOUR": int(os.environ.get("DIGEST_HOUR", "8")),  # recipient's local time
        # Stripe: real test keys work unchanged; STRIPE_API_BASE points at a local emulator.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_CONNECT_WEBHOOK_SECRET": os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE") or None,
        # The planner prices an item from the assistants the matcher ranks for it: up to
        # this many, scoring at least this much, and no price from fewer than PLANNER_MIN_FITS.
        "PLANNER_FITS_PER_ITEM": int(os.environ.get("PLANNER_FITS_PER_ITEM", "200")),
        "PLANNER_MIN_FIT_SCORE": float(os.environ.get("PLANNER_MIN_FIT_SCORE", "0.4")),
        "PLANNER_MIN_FITS": int(os.environ.get("PLANNER_MIN_FITS", "5")),
        # The platform's share of each contract, in basis points (1000 = 10%).
        "PLATFORM_FEE_BPS": int(os.environ.get("PLATFORM_FEE_BPS", "1000")),
        # Hourly contracts: after a week closes, the owner has this many days to approve or
        # dispute its timesheet before it is approved as logged.
        "TIMESHEET_REVIEW_DAYS": int(os.environ.get("TIMESHEET_REVIEW_DAYS", "5")),
        # Fixed work: with no answer from the owner this many days after a submission, the
        # work is approved and paid out automatically (reminders go 3 days and 1 day before).
        "AUTO_RELEASE_DAYS": float(os.environ.get("AUTO_RELEASE_DAYS", "14")),
        # Invitations one owner may send in any 24 hours (each emails an assistant).
        "INVITATIONS_PER_OWNER_PER_DAY": int(os.environ.get("INVITATIONS_PER_OWNER_PER_DAY", "30")),
        # Messages: the email about unread ones waits this long for more to join it, and comes
        # at most once per conversation per interval (none once they are read).
        "MESSAGE_EMAIL_DELAY_SECONDS": float(os.environ.get("MESSAGE_EMAIL_DELAY_SECONDS", "120")),
        "MESSAGE_EMAIL_INTERVAL_SECONDS": float(
            os.environ.get("MESSAGE_EMAIL_INTERVAL_SECONDS", "900")
        ),
        # Per sender, counted from the messages table.
        "MESSAGE_POST_LIMITS": os.environ.get("MESSAGE_POST_LIMITS", "20 per minute; 500 per day"),
        # How often an open conversation asks for new messages.
        "MESSAGE_POLL_SECONDS": float(os.environ.get("MESSAGE_POLL_SECONDS", "3")),
        # Files sent with messages: each at most this many bytes, this many per message.
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        "ATTACHMENTS_PER_MESSAGE": int(os.environ.get("ATTACHMENTS_PER_MESSAGE", "5")),
        **_storage_settings(),
        # Days after a contract ends during which each party may review the other; a review
        # stays hidden from the other party until both have written or this has passed.
        "REVIEW_WINDOW_DAYS": float(os.environ.get("REVIEW_WINDOW_DAYS", "14")),
        # How long a worker keeps what every visitor of a page sees alike (job search
        # results); 0 turns it off. See marketplace/microcache.py.
        "MICROCACHE_SECONDS": float(os.environ.get("MICROCACHE_SECONDS", "10")),
        # Logs: JSON lines on stderr from this level up (marketplace/ops/logs.py).
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # /metrics answers only a request bearing this token (Authorization: Bearer ...);
        # unset, /metrics is not served at all.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
    }


def _rate_limit_settings() -> dict:
    storage = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    return {
        "RATELIMIT_STORAGE_URI": storage,
        # A dead or hung Redis must not take log-in down: short timeouts, then flask-limiter
        # counts in this process's memory until Redis answers again (it logs the switch once).
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
            if storage.startswith(("redis://", "rediss://"))
            else {}
        ),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "delegate"),
        "RATELIMIT_ENABLED": not _bool("RATELIMIT_DISABLED"),
        # flask-limiter's counts (marketplace/rate_limits.py), shared through Redis when
        # configured, else per process. "N per period", several joined by ";".
        # Per client IP (after PROXY_FIX_X_FOR): log-in posts, and each form that checks a
        # password (confirmation links, password reset, password and address changes).
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "30 per minute"),
        # Per client IP: sign-up posts.
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "10 per minute; 50 per hour"),
        # Per client IP: "forgot password" and "send the link again", together.
        "ACCOUNT_EMAIL_RATE_LIMIT": os.environ.get(
            "ACCOUNT_EMAIL_RATE_LIMIT", "10 per minute; 50 per hour"
        ),
        # Per address typed, from any IP: sign-up, resend, forgot password and address change
        # together, so nobody floods one mailbox.
        "ACCOUNT_EMAIL_ADDRESS_LIMIT": os.environ.get("ACCOUNT_EMAIL_ADDRESS_LIMIT", "10 per hour"),
        # Per account: address changes asked for on the settings page.
        "EMAIL_CHANGE_RATE_LIMIT": os.environ.get("EMAIL_CHANGE_RATE_LIMIT", "5 per hour"),
        # Per account, and per client IP (one office, many assistants): proposals sent.
        "PROPOSAL_RATE_LIMIT": os.environ.get("PROPOSAL_RATE_LIMIT", "30 per hour; 100 per day"),
        "PROPOSAL_IP_RATE_LIMIT": os.environ.get("PROPOSAL_IP_RATE_LIMIT", "200 per hour"),
        # Per client IP: messages sent (per sender: MESSAGE_POST_LIMITS, in the database).
        "MESSAGE_IP_RATE_LIMIT": os.environ.get(
            "MESSAGE_IP_RATE_LIMIT", "120 per minute; 3000 per day"
        ),
        # Reports of messages and of people, per account (one count for both).
        "REPORT_RATE_LIMIT": os.environ.get("REPORT_RATE_LIMIT", "10 per hour; 30 per day"),
        # Per API token (per client IP for requests without one): every /api/v1 request.
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "120 per minute; 5000 per hour"),
        # Per account: failed log-ins counted in the database, so it holds across every worker
        # and host with or without Redis.
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes"),
        # Per owner, counted from the tasks table.
        "TASK_POST_LIMITS": os.environ.get("TASK_POST_LIMITS", "20 per hour; 100 per day"),
        # How many proxies in front of the app set X-Forwarded-For / X-Forwarded-Proto (0 = none:
        # trust no such header, or any client could pick the IP its rate limit is counted by).
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", "0")),
        "PROXY_FIX_X_PROTO": int(os.environ.get("PROXY_FIX_X_PROTO", "0")),
    }


def _storage_settings() -> dict:
    """Where uploaded files are kept (marketplace/storage): a folder, by default
    instance/attachments, or an S3-compatible bucket once STORAGE_S3_BUCKET is set (the
    credentials may also come from boto3's own chain: AWS_* variables, an instance role)."""
    return {
        "STORAGE_LOCAL_PATH": os.environ.get("STORAGE_LOCAL_PATH") or None,
        "STORAGE_S3_BUCKET": os.environ.get("STORAGE_S3_BUCKET") or None,
        "STORAGE_S3_ENDPOINT_URL": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,
        "STORAGE_S3_REGION": os.environ.get("STORAGE_S3_REGION") or None,
        "STORAGE_S3_PREFIX": os.environ.get("STORAGE_S3_PREFIX", ""),
        "STORAGE_S3_ACCESS_KEY_ID": os.environ.get("STORAGE_S3_ACCESS_KEY_ID") or None,
        "STORAGE_S3_SECRET_ACCESS_KEY": os.environ.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
        # A stored file no row points at is removed once this old (storage.sweep): far
        # longer than any upload's transaction stays open.
        "STORAGE_ORPHAN_GRACE_HOURS": float(os.environ.get("STORAGE_ORPHAN_GRACE_HOURS", "24")),
    }


def _session_settings() -> dict:
    return {
        # A log-in is a row in login_sessions; this long after it, it is refused whatever the
        # cookie says (an absolute lifetime, not an idle one). Log-out revokes the row.
        "LOGIN_SESSION_DAYS": float(os.environ.get("LOGIN_SESSION_DAYS", "14")),
    }
