"""Logs are JSON lines (readable text at a terminal) carrying the request id, which the
response returns and the jobs the request queued carry, in this process or in an RQ worker's."""

from __future__ import annotations

import io
import json
import logging
import re
import time

import pytest

from marketplace.jobs import job, pool
from marketplace.jobs import shutdown as shutdown_jobs
from marketplace.ops.logs import chosen_format, current_request_id
from tests.accounts.signup import SIGNUP
from tests.db_utils import empty_all_tables
from tests.factories import make_owner, task_form
from tests.jobs.workers import redis_url, rq_workers
from tests.rate_limit_support import GENEROUS_LIMITS


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_request_id_is_taken_when_sane_else_made_and_always_returned(client):
    given = client.get("/login", headers={"X-Request-ID": "trace-42.a:b"})
    assert given.headers["X-Request-ID"] == "trace-42.a:b"
    made = client.get("/login").headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    for forged in ('a"quote', "x" * 129, "a b", "{json}", ""):
        answered = client.get("/login", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert answered != forged and len(answered) == 32
    assert client.get("/no-such-page").headers["X-Request-ID"]  # error pages too


def test_an_unhandled_error_is_one_json_line_with_its_traceback_and_request_id(
    make_app, database_url, capsys
):
    app = make_app(DATABASE_URL=database_url)

    def broken():
        return 1 / 0

    app.add_url_rule("/broken", "broken", broken)
    capsys.readouterr()
    response = app.test_client().get("/broken", headers={"X-Request-ID": "req-broken"})
    assert response.status_code == 500
    err = capsys.readouterr().err
    (line,) = [entry for entry in json_lines(err) if entry["level"] == "ERROR"]
    assert line["message"] == "Unhandled error on GET /broken"
    assert line["request_id"] == "req-broken" and line["logger"] == "marketplace"
    assert line["exception"].startswith("Traceback") and "ZeroDivisionError" in line["exception"]
    assert err.count("ZeroDivisionError") == 1  # once, not again from Flask or werkzeug
    assert set(line) == {"time", "level", "logger", "message", "request_id", "exception"}
    assert line["time"].endswith("+00:00")


def test_a_job_run_after_the_request_logs_with_the_request_id(client, db_session, capsys, caplog):
    client.login_as(make_owner(db_session))
    capsys.readouterr()
    with caplog.at_level(logging.INFO):  # the suite runs at WARNING (tests/conftest.py)
        response = client.post("/tasks/new", task_form(), headers={"X-Request-ID": "post-task-1"})
    assert response.status_code == 302
    lines = json_lines(capsys.readouterr().err)
    (done,) = [line for line in lines if line.get("job") == "matches.match_task"]
    assert done["request_id"] == "post-task-1"
    assert done["message"].startswith("Job matches.match_task(") and " done in " in done["message"]


def test_a_worker_process_logs_the_job_with_the_id_of_the_request_that_queued_it(
    make_app, database_url, tmp_path
):
    with rq_workers(database_url, tmp_path, 1, JOBS_PERIODIC="0") as workers:
        app = make_app(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url(),
            JOBS_BACKEND="rq",
            JOBS_QUEUE=workers.queue_name,
            WTF_CSRF_ENABLED=False,
            RATELIMIT_STORAGE_URI="memory://",
            **GENEROUS_LIMITS,
        )
        try:
            response = app.test_client().post(
                "/signup", data=SIGNUP, headers={"X-Request-ID": "signup-77"}
            )
            assert response.status_code in (302, 303), response.get_data(as_text=True)
            assert response.headers["X-Request-ID"] == "signup-77"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                sent = [
                    line
                    for line in json_lines(workers.log())
                    if line.get("job") == "notifications.send" and " done in " in line["message"]
                ]
                if sent:
                    break
                time.sleep(0.2)
            assert sent, workers.log()[-3000:]
            assert sent[0]["request_id"] == "signup-77"
        finally:
            empty_all_tables(app.extensions["db"].engine)


SEEN_IDS: list[str | None] = []


@job("tests.note_request_id")
def note_request_id(session):
    SEEN_IDS.append(current_request_id())


def test_a_job_in_the_thread_pool_carries_the_id_of_the_request_that_queued_it(
    make_app, database_url
):
    app = make_app(DATABASE_URL=database_url, JOBS_BACKEND="thread", JOBS_PERIODIC=False)
    SEEN_IDS.clear()
    with app.test_request_context(headers={"X-Request-ID": "pooled-9"}):
        app.preprocess_request()
        pool(app).submit("tests.note_request_id", ())
    assert current_request_id() is None  # the request has ended; its id with it
    shutdown_jobs(app)  # waits for the pool
    assert SEEN_IDS == ["pooled-9"]


@pytest.fixture
def logs_as_before():
    """configure_logging sets the one process-wide handler's format: put it back."""
    handler = next(h for h in logging.root.handlers if getattr(h, "delegate_json", False))
    before = handler.formatter
    yield
    handler.setFormatter(before)


def test_text_logs_are_one_readable_line_with_the_request_id(
    make_app, database_url, capsys, logs_as_before
):
    app = make_app(DATABASE_URL=database_url, LOG_FORMAT="text")

    def broken():
        return 1 / 0

    app.add_url_rule("/broken", "broken", broken)
    capsys.readouterr()
    app.test_client().get("/broken", headers={"X-Request-ID": "req-text"})
    first, *traceback = capsys.readouterr().err.splitlines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z ERROR marketplace \[req-text\] "
        r"Unhandled error on GET /broken",
        first,
    )
    assert traceback[0].startswith("Traceback") and "ZeroDivisionError" in traceback[-1]
    assert not json_lines("\n".join([first, *traceback]))


class _Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


def test_a_terminal_gets_text_and_anything_else_json_unless_log_format_says():
    assert chosen_format(None, _Stream(terminal=True)) == "text"
    assert chosen_format(None, _Stream(terminal=False)) == "json"  # gunicorn under a supervisor
    assert chosen_format("json", _Stream(terminal=True)) == "json"
    assert chosen_format("text", _Stream(terminal=False)) == "text"
