"""Settings read from environment variables, with defaults that are safe on a laptop.

Nothing here may be a secret constant: SECRET_KEY is generated once and kept under
``instance/`` so sessions survive restarts without anybody committing a key.
"""

from __future__ import annotations

import os
import secrets
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
        # O_EXCL so two workers starting together cannot write different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


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
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or "memory://",
        "RATELIMIT_ENABLED": not _bool("RATELIMIT_DISABLED"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Background jobs: "rq" (needs REDIS_URL), "thread" (a pool in each web process) or
        # "inline"; unset picks rq when REDIS_URL is set, else thread.
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND") or None,
        "JOBS_THREADS": int(os.environ.get("JOBS_THREADS", "2")),
        # The thread backend also queues the sender and the digest every few minutes; turn it
        # off to run `flask notifications send` / `digest` from cron instead.
        "JOBS_PERIODIC": _bool("JOBS_PERIODIC", True),
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "delegate"),
        "JOB_RETRY_INTERVALS": [10, 60, 300, 1800, 7200],  # seconds between RQ retries
        "JOB_TIMEOUT": int(os.environ.get("JOB_TIMEOUT", "600")),  # a cold matcher fit is slow
        "MATCHES_PER_TASK": 10,
        "MATCHER_DENSE_WEIGHT": float(os.environ.get("MATCHER_DENSE_WEIGHT", "0")),
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
        # The platform's share of each contract, in basis points (1000 = 10%).
        "PLATFORM_FEE_BPS": int(os.environ.get("PLATFORM_FEE_BPS", "1000")),
    }
