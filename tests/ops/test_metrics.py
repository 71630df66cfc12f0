"""/metrics: only with METRICS_TOKEN; latency by route, jobs, queue depth, the outbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from marketplace.db import utcnow
from marketplace.jobs import enqueue_after_commit
from marketplace.notifications.models import Channel, Kind, Notification, Status
from tests.factories import make_owner, make_task
from tests.jobs.workers import redis_url
from tests.ops.scrape import AUTH, TOKEN, scrape, value


@pytest.fixture
def metrics_client(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return client


def test_metrics_are_not_served_without_a_token_configured(client):
    assert client.get("/metrics", headers=AUTH).status_code == 404


def test_metrics_need_the_bearer_token(metrics_client):
    refused = metrics_client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = metrics_client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401
    assert TOKEN not in wrong.get_data(as_text=True)
    served = metrics_client.get("/metrics", headers=AUTH)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/plain")
    assert "Set-Cookie" not in served.headers


def test_request_latency_is_counted_by_route_not_by_address(metrics_client, db_session):
    owner = make_owner(db_session)
    first, second = make_task(db_session, owner), make_task(db_session, owner, title="Books")
    db_session.commit()
    route = {"route": "/tasks/<int:task_id>", "method": "GET", "status": "200"}
    before = value(scrape(metrics_client), "delegate_request_duration_seconds_count", **route)
    for task in (first, second):
        assert metrics_client.get(f"/tasks/{task.id}").status_code == 200
    metrics_client.get("/no-such-page")
    after = scrape(metrics_client)
    assert value(after, "delegate_request_duration_seconds_count", **route) == before + 2
    assert value(after, "delegate_request_duration_seconds_sum", **route) > 0
    assert not any(f"/tasks/{first.id}" in str(labels) for _name, labels in after)
    unmatched = value(after, "delegate_request_duration_seconds_count", route="<unmatched>")
    assert unmatched >= 1


def test_the_outbox_backlog_and_its_oldest_email_age(metrics_client, db_session):
    owner = make_owner(db_session)
    now = utcnow()
    for n, age in enumerate((timedelta(minutes=7), timedelta(seconds=20))):
        db_session.add(
            Notification(
                user_id=owner.id,
                kind=Kind.NEW_PROPOSAL,
                object_key=f"metrics-{n}",
                channel=Channel.INSTANT,
                status=Status.PENDING,
                created_at=now - age,
                next_attempt_at=now - age,
            )
        )
    db_session.add(  # already sent: not backlog
        Notification(
            user_id=owner.id,
            kind=Kind.NEW_PROPOSAL,
            object_key="metrics-sent",
            channel=Channel.INSTANT,
            status=Status.SENT,
            created_at=now - timedelta(days=2),
        )
    )
    db_session.commit()
    scraped = scrape(metrics_client)
    assert value(scraped, "delegate_outbox_backlog") == 2
    age = value(scraped, "delegate_outbox_oldest_unsent_age_seconds")
    assert 7 * 60 <= age < 7 * 60 + 120


def test_an_empty_outbox_is_no_backlog_and_no_age(metrics_client):
    scraped = scrape(metrics_client)
    assert value(scraped, "delegate_outbox_backlog") == 0
    assert value(scraped, "delegate_outbox_oldest_unsent_age_seconds") == 0


def test_job_durations_are_counted_by_job(metrics_client, app, db_session):
    labels = {"job": "notifications.send", "outcome": "ok"}
    before = value(scrape(metrics_client), "delegate_job_duration_seconds_count", **labels)
    with app.app_context():
        enqueue_after_commit(db_session, "notifications.send")
        db_session.commit()  # inline under test: the job runs now
    after = value(scrape(metrics_client), "delegate_job_duration_seconds_count", **labels)
    assert after == before + 1


def test_queue_depth_by_state(metrics_client, app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url())
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "rq")
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"test-{uuid.uuid4().hex}")
    app.extensions.pop("jobs_redis", None)
    from marketplace.jobs.queue import queue

    try:
        with app.app_context():
            for n in range(3):
                enqueue_after_commit(db_session, "notifications.send", n)
            db_session.commit()
        scraped = scrape(metrics_client)
        name = app.config["JOBS_QUEUE"]
        assert value(scraped, "delegate_queue_jobs", queue=name, state="queued") == 3
        assert value(scraped, "delegate_queue_jobs", queue=name, state="failed") == 0
    finally:
        queue(app).delete(delete_jobs=True)
        app.extensions.pop("jobs_redis").close()


def test_no_queue_depth_without_rq(metrics_client):
    assert value(scrape(metrics_client), "delegate_queue_jobs") == 0
    text = metrics_client.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert "delegate_queue_jobs" not in text
