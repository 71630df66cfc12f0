"""Calls run side by side in threads, for races on committed rows."""

from __future__ import annotations

import threading


def together(*calls, timeout: float = 60) -> list:
    """Run each call in its own thread, released at the same moment; their results in order.

    A call that raises, or one still running after ``timeout`` seconds (a deadlock, a lock
    never released), fails the test: a thread's failure is otherwise silent."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i, call) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as exc:  # surfaced below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not [t for t in threads if t.is_alive()], "a thread is still waiting"
    assert not errors, errors
    return results
