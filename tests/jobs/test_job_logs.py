"""A job that fails in an RQ worker is one JSON line per attempt, with its traceback once and
the id of the request that queued it."""

from __future__ import annotations

import json

from marketplace.jobs import enqueue_after_commit
from tests.jobs.test_jobs import rq_app  # noqa: F401  (the fixture, and the tests.* jobs)


def test_a_failed_rq_job_is_logged_once_per_attempt_with_the_request_id(
    rq_app,  # noqa: F811  (the fixture imported above)
    db_session,
    monkeypatch,
    capsys,
):
    from marketplace.jobs.queue import Worker, connection, queue

    monkeypatch.setitem(rq_app.config, "JOB_RETRY_INTERVALS", [0])  # two attempts
    with rq_app.test_request_context(headers={"X-Request-ID": "req-failing-job"}):
        rq_app.preprocess_request()  # what a request does first: take its id
        enqueue_after_commit(db_session, "tests.broken")
        db_session.commit()
    capsys.readouterr()
    with rq_app.app_context():
        Worker([queue(rq_app)], connection=connection(rq_app)).work(burst=True)
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line["level"] == "ERROR"]
    assert [line["message"] for line in failed] == [
        "Job tests.broken() failed (1 retries left)",
        "Job tests.broken() failed (0 retries left)",
    ]
    assert {line["request_id"] for line in failed} == {"req-failing-job"}
    assert {line["job"] for line in failed} == {"tests.broken"}
    assert all("RuntimeError: always fails" in line["exception"] for line in failed)
    assert err.count("Traceback (most recent call last)") == 2  # once per attempt
