"""Several processes starting at once must agree on one non-empty SECRET_KEY (item 21)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from marketplace.config import ensure_secret_key, read_secret_key

PROCESSES = 4
ROUNDS = 100


def _worker(folder_queue, barrier, results) -> None:
    # Each round: every process waits at the barrier, then all start (make the key if there
    # is none, then read it) at once, as wsgi.py does.
    while True:
        folder = folder_queue.get()
        if folder is None:
            return
        barrier.wait()
        try:
            ensure_secret_key(Path(folder), environ={})
            results.put((folder, read_secret_key(Path(folder))))
        except Exception as exc:  # reported, so the test names what went wrong
            results.put((folder, f"error: {exc!r}"))


def test_processes_started_together_share_one_non_empty_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("spawn")
    folders, barrier, results = ctx.Queue(), ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(folders, barrier, results)) for _ in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    try:
        keys: dict[str, list[str]] = {}
        for n in range(ROUNDS):
            folder = str(tmp_path / f"round-{n}" / "instance")
            for _ in range(PROCESSES):
                folders.put(folder)
            for _ in range(PROCESSES):
                got_folder, key = results.get(timeout=60)
                keys.setdefault(got_folder, []).append(key)
    finally:
        for _ in workers:
            folders.put(None)
        for w in workers:
            w.join(timeout=30)
    bad = {f: k for f, k in keys.items() if len(set(k)) != 1 or len(k[0]) < 64}
    assert not bad, f"{len(bad)} of {ROUNDS} rounds disagreed or read an empty key: {bad}"
