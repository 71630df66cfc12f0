"""The one list of periodic jobs, and the loop that queues them (RQ worker or thread pool)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# The outbox sender (retries, and anything a lost job left behind), the daily digest, which
# sends each person's digest once their local morning has come, hourly contracts' weekly
# clock (weeks close at a local midnight; a few minutes late is fine), and the reveal of
# reviews whose window closed unanswered, and fixed work's reminders and automatic release
# (due days ahead; a few minutes late is fine): (job, every seconds).
PERIODIC = (
    ("notifications.send", 30),
    ("notifications.digest", 600),
    ("timesheets.run_due", 300),
    ("reviews.reveal_due", 300),
    ("contracts.release_due", 300),
)


def run_periodically(queue_job: Callable[[str], None], stop: threading.Event) -> None:
    """Queue each periodic job when it is due, until `stop` is set (at once, then on time)."""
    last: dict[str, float] = {}
    while not stop.is_set():
        now = time.monotonic()
        for name, every in PERIODIC:
            if now - last.get(name, -every) >= every:
                last[name] = now
                try:
                    queue_job(name)
                except Exception:
                    log.exception("Could not queue periodic job %s", name)
        stop.wait(5)
