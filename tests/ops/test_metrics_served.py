"""Under gunicorn with PROMETHEUS_MULTIPROC_DIR, /metrics adds up every web worker's counts
and the RQ worker's job durations, whichever web worker answers the scrape."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine

from tests.accounts.served import Browser, gunicorn
from tests.accounts.signup import SIGNUP
from tests.db_utils import empty_all_tables
from tests.jobs.workers import redis_url, rq_workers
from tests.ops.scrape import AUTH, TOKEN, samples, value
from tests.rate_limit_support import GENEROUS_LIMITS

LOGIN = {"route": "/login", "method": "GET", "status": "200"}


def scrape_served(base_url: str) -> dict:
    response = requests.get(f"{base_url}/metrics", headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    return samples(response.text)


@pytest.mark.slow
def test_gunicorn_workers_and_the_job_worker_are_counted_together(database_url, tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    (tmp_path / "workers").mkdir()
    settings = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "JOBS_PERIODIC": "0"}
    try:
        with (
            rq_workers(database_url, tmp_path / "workers", 1, **settings) as workers,
            gunicorn(
                database_url,
                tmp_path,
                workers=2,
                METRICS_TOKEN=TOKEN,
                REDIS_URL=redis_url(),
                JOBS_BACKEND="rq",
                JOBS_QUEUE=workers.queue_name,
                RATELIMIT_STORAGE_URI="memory://",
                **GENEROUS_LIMITS,
                **settings,
            ) as server,
        ):
            before = value(
                scrape_served(server.base_url), "delegate_request_duration_seconds_count", **LOGIN
            )
            with ThreadPoolExecutor(8) as pool:
                answers = list(
                    pool.map(lambda _: Browser(server.base_url).get("/login"), range(24))
                )
            assert [a.status_code for a in answers] == [200] * 24
            assert len(server.worker_pids("GET", "/login")) == 2  # both workers answered some
            for _ in range(4):  # whichever worker answers the scrape, it counts them all
                scraped = scrape_served(server.base_url)
                total = value(scraped, "delegate_request_duration_seconds_count", **LOGIN)
                assert total == before + 24

            workers.wait_until_working(1)
            signed_up = Browser(server.base_url).post("/signup", SIGNUP)
            assert signed_up.status_code in (302, 303), signed_up.text
            job = {"job": "notifications.send", "outcome": "ok"}
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                scraped = scrape_served(server.base_url)
                if value(scraped, "delegate_job_duration_seconds_count", **job) >= 1:
                    break
                time.sleep(0.3)
            assert value(scraped, "delegate_job_duration_seconds_count", **job) >= 1, workers.log()
            queued = value(scraped, "delegate_queue_jobs", queue=workers.queue_name, state="queued")
            assert queued == 0  # the worker has taken it
    finally:
        engine = create_engine(database_url)
        empty_all_tables(engine)
        engine.dispose()
