"""A pooled connection the database closed while it sat idle (a restart, a proxy's idle
timeout) is replaced before a page uses it, although busy connections are not pinged."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from marketplace import create_app, db
from tests.db_utils import empty_all_tables
from tests.factories import make_owner, make_task
from tests.tasks.test_browse import titles


def _close_behind_the_pools_back(engine, database_url: str) -> None:
    fairy = engine.raw_connection()
    dbapi_connection = fairy.dbapi_connection
    fairy.close()  # back in the pool, healthy as far as the pool knows
    if engine.dialect.name == "postgresql":
        backend = dbapi_connection.info.backend_pid
        admin = create_engine(database_url)
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        admin.dispose()
    else:
        dbapi_connection.close()


def test_a_connection_closed_while_idle_is_replaced_before_a_page_uses_it(
    app, database_url, monkeypatch
):
    fresh = create_app({**app.config, "DATABASE_URL": database_url})
    engine = fresh.extensions["db"].engine
    with fresh.extensions["db"].sessionmaker() as session:
        make_task(session, make_owner(session), title="Payroll run for a bakery")
        session.commit()
    try:
        client = fresh.test_client()
        assert titles(client.get("/jobs")) == ["Payroll run for a bakery"]
        _close_behind_the_pools_back(engine, database_url)
        assert engine.pool.checkedin() == 1

        real = db._monotonic
        monkeypatch.setattr(db, "_monotonic", lambda: real() + db.PING_AFTER_IDLE_SECONDS + 1)
        fresh.config["MICROCACHE_SECONDS"] = 0  # the page must reach the database
        response = client.get("/jobs")

        assert response.status_code == 200
        assert titles(response) == ["Payroll run for a bakery"]
    finally:
        engine.dispose()
        empty_all_tables(app.extensions["db"].engine)
