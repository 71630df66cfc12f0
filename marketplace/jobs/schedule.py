"""The one list of periodic jobs, and the timer that queues them.

With the thread backend (no Redis) each process runs its own timer, as there is nobody to
share one with. With RQ every worker runs a timer, and a Redis lease elects who queues each
period (``PeriodClaims``): however many workers run, each periodic job is queued once per
period, and when a worker dies the others go on queueing without a gap (if every worker
stalls through some periods, one job covers them: never two runs for one period). Chosen over RQ's
``CronScheduler``, which keeps no lock (two of them queue everything twice) and so would have
to run as one extra process whose death stops every periodic job until someone notices.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from redis import Redis, WatchError

log = logging.getLogger(__name__)

# The outbox sender (retries, and anything a lost job left behind), the daily digest, which
# sends each person's digest once their local morning has come, hourly contracts' weekly
# clock (weeks close at a local midnight; a few minutes late is fine), and the reveal of
# reviews whose window closed unanswered, and fixed work's reminders and automatic release
# (due days ahead; a few minutes late is fine), and the sweep of stored files whose row never
# committed (a day's grace; hourly is plenty): (job, every seconds).
PERIODIC = (
    ("notifications.send", 30),
    ("notifications.digest", 600),
    ("timesheets.run_due", 300),
    ("reviews.reveal_due", 300),
    ("contracts.release_due", 300),
    ("storage.sweep_orphans", 3600),
    # Lost webhooks and lost answers repaired by asking Stripe (`flask payments reconcile`).
    ("payments.reconcile", 3600),
)


# A job queued after a stall says it covers the periods missed, up to this many back.
MAX_CATCH_UP = 1000
# A last period queued more than this far ahead of Redis's clock means the clock moved back
# (a restored or failed-over Redis): periods start again from now rather than after it.
CLOCK_RESET_SECONDS = 3600


def parse_intervals(text: str | None) -> dict[str, float]:
    """``"notifications.send=1, timesheets.run_due=2"`` (JOBS_PERIODIC_INTERVALS) -> a dict."""
    known = dict(PERIODIC)
    found: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, sep, seconds = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ValueError(f"JOBS_PERIODIC_INTERVALS: {item!r} is not <periodic job>=<seconds>")
        every = float(seconds)
        if every <= 0:
            raise ValueError(f"JOBS_PERIODIC_INTERVALS: {name} must be more than 0 seconds")
        found[name] = every
    return found


def periodic_jobs(overrides: Mapping[str, float] | None = None) -> list[tuple[str, float]]:
    return [(name, (overrides or {}).get(name, every)) for name, every in PERIODIC]


def run_periodically(
    queue_job: Callable[[str], None],
    stop: threading.Event,
    jobs: list[tuple[str, float]] | None = None,
    tick: float = 5,
) -> None:
    """Queue each periodic job when it is due, until `stop` is set (at once, then on time)."""
    jobs = jobs or periodic_jobs()
    last: dict[str, float] = {}
    while not stop.is_set():
        now = time.monotonic()
        for name, every in jobs:
            if now - last.get(name, -every) >= every:
                last[name] = now
                try:
                    queue_job(name)
                except Exception:
                    log.exception("Could not queue periodic job %s", name)
        stop.wait(tick)


class PeriodClaims:
    """Periods counted on Redis's clock (every host agrees on it, whatever its own says):
    period n of a job every E seconds is [n*E, (n+1)*E). Redis keeps, per job, the last
    period queued; the first worker to see a later one moves it on and queues the job in one
    watched MULTI/EXEC: both or neither happen, so a worker killed in between neither loses
    the period nor holds it. When every worker was stalled through some periods (a host
    under load), the next job covers them all: queued once, not once per period missed, as
    each of these jobs does whatever is due whenever it runs."""

    def __init__(self, connection: Redis, prefix: str) -> None:
        self.connection = connection
        self.prefix = prefix
        self.seen: dict[str, int] = {}  # the last period this worker found already claimed

    def now(self) -> float:
        seconds, micros = self.connection.time()
        return seconds + micros / 1e6

    def claim(self, name: str, every: float, enqueue: Callable[..., None]) -> int | None:
        """Queue `name` for the current period unless somebody has; the period, if we did.
        ``enqueue(name, first, period, pipeline)`` adds the job's commands to the
        transaction; the job covers periods first..period."""
        period = int(self.now() // every)
        if self.seen.get(name) == period:
            return None
        key = f"{self.prefix}:{name}"
        with self.connection.pipeline() as pipe:
            try:
                pipe.watch(key)
                stored = pipe.get(key)
                last = None if stored is None else int(stored)
                # Somebody queued this period or a later one: our clock reading is stale (we
                # were descheduled across a boundary). Far later: Redis's clock was reset.
                if last is not None and 0 <= (last - period) * every <= CLOCK_RESET_SECONDS:
                    self.seen[name] = period
                    return None
                # After a gap (or Redis's clock moving back, a failover): this period alone.
                first = period
                if last is not None and 0 < period - last <= MAX_CATCH_UP:
                    first = last + 1
                pipe.multi()
                pipe.set(key, period, ex=int(max(3600, every * 10)))
                enqueue(name, first, period, pipe)
                pipe.execute()
            except WatchError:  # another worker claimed it between our look and our write
                self.seen[name] = period
                return None
        self.seen[name] = period
        return period


def run_claimed_periodically(
    claims: PeriodClaims,
    enqueue: Callable[..., None],
    stop: threading.Event,
    jobs: list[tuple[str, float]],
    tick: float,
) -> None:
    """Every worker's timer: try each job's current period every `tick` seconds (which must
    be shorter than the shortest period, or a period can pass unseen)."""
    while not stop.is_set():
        for name, every in jobs:
            try:
                period = claims.claim(name, every, enqueue)
            except Exception:  # Redis away for a moment: the next tick tries again
                log.exception("Could not queue periodic job %s", name)
                continue
            if period is not None:
                log.debug("Queued periodic job %s for period %d", name, period)
        stop.wait(tick)
