"""/healthz says the process answers; /readyz says whether it can work (database, Redis)."""

from __future__ import annotations

from sqlalchemy import event

from tests.factories import make_owner
from tests.jobs.workers import redis_url
from tests.ops.conftest import CLOSED_PORT

DOWN_DATABASE = f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/nothing"
DOWN_REDIS = f"redis://127.0.0.1:{CLOSED_PORT}/0"


def test_healthz_answers_without_a_database_session_or_cookie(app, client, db_session):
    owner = make_owner(db_session)
    client.login_as(owner)  # a browser with a session cookie, whose log-in is a row
    statements: list[str] = []
    engine = app.extensions["db"].engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert statements == []  # not even the log-in session's last_seen_at
    assert "Set-Cookie" not in response.headers


def test_healthz_is_up_while_the_database_is_down_and_readyz_says_so(make_app):
    app = make_app(DATABASE_URL=DOWN_DATABASE)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": {"ok": False, "error": "OperationalError"}},
    }
    assert "5329" not in response.get_data(as_text=True)  # no address given away
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_redis_when_configured(make_app, database_url):
    ready = make_app(DATABASE_URL=database_url, REDIS_URL=redis_url()).test_client()
    response = ready.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "redis": {"ok": True}},
    }

    down = make_app(DATABASE_URL=database_url, REDIS_URL=DOWN_REDIS).test_client()
    response = down.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "database": {"ok": True},
        "redis": {"ok": False, "error": "ConnectionError"},
    }


def test_readyz_without_redis_configured_checks_only_the_database(make_app, database_url):
    response = make_app(DATABASE_URL=database_url).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": {"ok": True}}}
    assert response.headers["Cache-Control"] == "no-store"
