"""One schedule for all periodic jobs: three real RQ workers, each periodic job queued once
per period, and still once per period after one of the workers is killed."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from redis import Redis
from rq.job import Job
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from marketplace.jobs.schedule import PERIODIC, PeriodClaims, parse_intervals
from tests.jobs.workers import redis_url, rq_workers

# Short periods so a few seconds hold several of each; the tick is far shorter than them.
INTERVALS = {
    "notifications.send": 1.0,
    "notifications.digest": 2.0,
    "timesheets.run_due": 1.5,
    "reviews.reveal_due": 2.0,
    "contracts.release_due": 2.5,
    "storage.sweep_orphans": 3.0,
    "payments.reconcile": 2.8,
}
SETTINGS = {
    "JOBS_PERIODIC_INTERVALS": ",".join(f"{k}={v}" for k, v in INTERVALS.items()),
    "JOBS_PERIODIC_TICK": "0.1",
}


def periods_queued(workers) -> dict[str, list[tuple[int, int]]]:
    """Every periodic job the queue has seen, wherever it is now (waiting, being taken,
    running, done, failed, waiting for a retry): its job and the periods it covers."""
    queue, conn = workers.queue, workers.connection
    # Read without RQ's clean-up: it expires entries by this process's clock, which the suite
    # moves (DELEGATE_TEST_UTC), while the workers stamp them by the real one.
    ids = set(queue.job_ids)
    # Taken off the queue by a worker that was killed before it registered the job as
    # started: RQ's maintenance hands it on later; it was queued all the same.
    ids.update(queue.intermediate_queue.get_job_ids())
    for registry in (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry):
        ids.update(registry(queue=queue).get_job_ids(cleanup=False))
    ids.update(ScheduledJobRegistry(queue=queue).get_job_ids(cleanup=False))
    found: dict[str, list[tuple[int, int]]] = {name: [] for name in INTERVALS}
    for job in Job.fetch_many(list(ids), connection=conn):
        if job is not None and "periodic" in job.meta:
            first, last = job.meta["periods"]
            found[job.meta["periodic"]].append((first, last))
    return found


def caught_up(workers, ended: float, timeout: float = 60) -> dict[str, list[tuple[int, int]]]:
    """What was queued, once every job has been queued for the last period before `ended`:
    on a loaded host the timers may be late (the next job then covers what they missed)."""
    deadline = time.monotonic() + timeout
    while True:
        found = periods_queued(workers)
        late = [
            name
            for name, every in INTERVALS.items()
            if max((last for _first, last in found[name]), default=-1) < int(ended // every) - 1
        ]
        if not late or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def schedule_running(workers, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(periods_queued(workers).values()):
        if time.monotonic() > deadline:
            raise AssertionError("no worker started queueing periodic jobs:\n" + workers.log())
        time.sleep(0.2)


def whole_periods(start: float, end: float, every: float) -> set[int]:
    """The periods that began and ended inside [start, end] (Redis's clock)."""
    return set(range(int(start // every) + 1, int(end // every)))


@pytest.mark.slow
def test_three_workers_queue_each_periodic_job_once_per_period_even_when_one_dies(
    database_url, tmp_path
):
    assert set(INTERVALS) == {name for name, _ in PERIODIC}  # every periodic job is in it
    with rq_workers(database_url, tmp_path, 3, **SETTINGS) as workers:
        workers.wait_until_working(3)
        # The window opens once the schedule runs: a loaded host may take a while from a
        # worker registering to its timer's first tick (periods before any claim are nobody's).
        schedule_running(workers)
        started = workers.redis_time()
        time.sleep(5)
        workers.kill_host(0)  # no goodbye, mid-whatever
        killed = workers.redis_time()
        time.sleep(6)
        ended = workers.redis_time()
        assert all(process.poll() is None for process in workers.processes[1:])
        found = caught_up(workers, ended)
        failed = FailedJobRegistry(queue=workers.queue).get_job_count(cleanup=False)
        log = workers.log()

    for name, every in INTERVALS.items():
        counts = Counter(p for first, last in found[name] for p in range(first, last + 1))
        twice = sorted(period for period, count in counts.items() if count > 1)
        assert twice == [], f"{name} queued more than once in periods {twice}\n{log[-3000:]}"
        missing = whole_periods(started, ended, every) - set(counts)
        assert missing == set(), (
            f"{name} not queued in periods {sorted(missing)}: window {started // every}, "
            f"kill {killed // every}, end {ended // every}; queued {sorted(found[name])}"
        )
        after_kill = whole_periods(killed, ended, every)
        assert after_kill, "the test must cover periods after the kill"
        # The survivors go on queueing it (a stalled host may merge periods, never skip one).
        assert any(last in after_kill for _first, last in found[name])
    assert len(found["notifications.send"]) >= 6  # one per period, unless the host stalls
    # The jobs ran too (at most the one the killed worker was running is left failed).
    assert failed <= 1, log[-3000:]


@pytest.fixture
def redis():
    conn = Redis.from_url(redis_url())
    yield conn
    for key in conn.scan_iter("delegate:test-claims:*"):
        conn.delete(key)
    conn.close()


class SetClock(PeriodClaims):
    """The claims on a clock the test sets (Redis's own cannot be moved)."""

    at = 0.0

    def now(self) -> float:
        return self.at


def test_a_period_is_claimed_by_one_timer_and_an_enqueue_that_fails_claims_nothing(redis):
    def enqueue(name, first, period, pipe):
        pipe.rpush("delegate:test-claims:queued", f"{name}:{first}-{period}")

    def broken(name, first, period, pipe):
        raise ConnectionError("Redis went away mid-claim")

    first, second = (SetClock(redis, "delegate:test-claims") for _ in range(2))
    every = 60.0
    first.at = second.at = 100 * every + 1
    with pytest.raises(ConnectionError):
        first.claim("notifications.send", every, broken)
    assert second.claim("notifications.send", every, enqueue) == 100  # nothing was held
    assert first.claim("notifications.send", every, enqueue) is None
    assert second.claim("notifications.send", every, enqueue) is None
    first.at = 101 * every
    assert first.claim("notifications.send", every, enqueue) == 101
    assert second.claim("notifications.send", every, enqueue) is None
    # Every timer stalled through periods 102 and 103: one job covers them and 104.
    first.at = second.at = 104 * every + 30
    assert second.claim("notifications.send", every, enqueue) == 104
    assert first.claim("notifications.send", every, enqueue) is None
    # A timer that read the clock just before 105 began, and was descheduled while another
    # queued 105: its stale reading (104) queues nothing.
    second.at = 105 * every
    assert second.claim("notifications.send", every, enqueue) == 105
    first.at = 104 * every + 59
    first.seen.clear()
    assert first.claim("notifications.send", every, enqueue) is None
    # Redis's clock set back by a day (a restored server): periods start again from there.
    first.at = 105 * every - 86400
    assert first.claim("notifications.send", every, enqueue) == 105 - 1440
    assert redis.lrange("delegate:test-claims:queued", 0, -1) == [
        b"notifications.send:100-100",
        b"notifications.send:101-101",
        b"notifications.send:102-104",
        b"notifications.send:105-105",
        b"notifications.send:-1335--1335",
    ]


def test_periods_are_configurable_and_a_typo_fails_at_start_up():
    assert parse_intervals("notifications.send=1, timesheets.run_due=2.5") == {
        "notifications.send": 1.0,
        "timesheets.run_due": 2.5,
    }
    assert parse_intervals(None) == {}
    with pytest.raises(ValueError, match="notifications.sned=1"):
        parse_intervals("notifications.sned=1")
    with pytest.raises(ValueError, match="more than 0"):
        parse_intervals("notifications.send=0")


def test_create_app_refuses_a_bad_periodic_setting(database_url):
    from marketplace import create_app

    with pytest.raises(ValueError, match="JOBS_PERIODIC_INTERVALS"):
        create_app(
            {"DATABASE_URL": database_url, "SECRET_KEY": "x", "JOBS_PERIODIC_INTERVALS": "x=1"}
        )
