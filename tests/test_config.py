"""Settings come from the environment with safe local defaults, checked once at start-up."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import (
    SettingsError,
    ensure_secret_key,
    normalise_database_url,
    settings,
    settings_from_env,
)

ROOT = Path(__file__).resolve().parent.parent


def test_secret_key_is_generated_once_and_kept(tmp_path):
    ensure_secret_key(tmp_path, environ={})
    first = settings_from_env(tmp_path, environ={}).secret_key
    assert len(first) >= 64
    ensure_secret_key(tmp_path, environ={})
    assert settings_from_env(tmp_path, environ={}).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_reading_settings_writes_nothing(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY must be set"):
        settings_from_env(tmp_path, environ={})
    assert list(tmp_path.iterdir()) == []
    assert settings_from_env(tmp_path, environ={"SECRET_KEY": "k"}).secret_key == "k"
    assert list(tmp_path.iterdir()) == []


def test_secret_key_from_environment_wins(tmp_path):
    ensure_secret_key(tmp_path, environ={"SECRET_KEY": "from-env"})
    assert not (tmp_path / "secret_key").exists()
    assert settings_from_env(tmp_path, environ={"SECRET_KEY": "from-env"}).secret_key == "from-env"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("JOB_TIMEOUT", "abc", "JOB_TIMEOUT must be a whole number, got 'abc'"),
        ("SMTP_TIMEOUT", "ten", "SMTP_TIMEOUT must be a number, got 'ten'"),
        (
            "DEMO_MODE",
            "maybe",
            "DEMO_MODE must be on or off (1/0, true/false, yes/no), got 'maybe'",
        ),
        ("JOBS_BACKEND", "celery", "JOBS_BACKEND must be one of rq, thread, inline, got 'celery'"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of json, text, got 'xml'"),
        ("BASE_URL", "delegate.example", "BASE_URL must be an absolute http(s) address"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(tmp_path, name, value, message):
    with pytest.raises(SettingsError) as refused:
        settings_from_env(tmp_path, environ={"SECRET_KEY": "k", name: value})
    assert str(refused.value).startswith(message)


def test_values_are_typed_and_defaults_follow_other_settings(tmp_path):
    built = settings_from_env(
        tmp_path,
        environ={
            "SECRET_KEY": "k",
            "JOB_TIMEOUT": " 20 ",
            "SMTP_STARTTLS": "yes",
            "REDIS_URL": "redis://r:6379/0",
            "SMTP_HOST": "",
            "LOG_LEVEL": "debug",
        },
    )
    assert built.job_timeout == 20 and built.smtp_starttls is True and built.smtp_port == 587
    assert built.ratelimit_storage_uri == "redis://r:6379/0"
    assert built.smtp_host is None  # an empty variable counts as unset
    assert built.log_level == "DEBUG"
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.job_timeout = 5  # type: ignore[misc]


def test_the_app_fails_to_start_with_the_sentence_not_a_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "k", "JOB_TIMEOUT": "abc"}
    run = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert (
        run.stderr.strip() == "Delegate cannot start: JOB_TIMEOUT must be a whole number, got 'abc'"
    )


def test_overrides_reach_the_settings_and_are_checked(app, monkeypatch):
    assert settings(app).base_url == "http://localhost"  # tests/conftest.py's override
    monkeypatch.setitem(app.config, "REVIEW_WINDOW_DAYS", 3)
    assert settings(app).review_window_days == 3.0
    with pytest.raises(SettingsError, match="JOB_TIMEOUT must be a whole number"):
        create_app({"SECRET_KEY": "k", "JOB_TIMEOUT": "abc"})
    made = create_app({"SECRET_KEY": "k", "JOB_TIMEOUT": "20", "TESTING": True})
    assert made.config["JOB_TIMEOUT"] == 20 and made.testing


def test_external_links_use_the_public_address(app):
    from flask import url_for

    assert (app.config["SERVER_NAME"], app.config["PREFERRED_URL_SCHEME"]) == ("localhost", "http")
    other = create_app({"SECRET_KEY": "k", "BASE_URL": "https://delegate.example/app"})
    with other.app_context():
        assert url_for("accounts.login", _external=True) == "https://delegate.example/app/login"


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "not-written-to-instance")
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{Path(app.instance_path) / 'delegate.sqlite3'}"


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_session_cookie_is_httponly_and_samesite(client, db_session):
    from tests.factories import make_owner

    owner = make_owner(db_session, email="cookie@example.com")
    db_session.flush()
    response = client.post("/login", {"email": owner.email, "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
