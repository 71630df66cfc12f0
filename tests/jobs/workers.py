"""Real `flask worker` processes on a Redis queue of their own, for what only shows across
processes: the one periodic schedule, request ids in a worker's log lines."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL")


def redis_url() -> str:
    if not REDIS_URL:
        # Under CI=true the conftest turns this skip into a failure.
        pytest.skip("REDIS_URL is not set (CI sets redis://127.0.0.1:6379/0)")
    return REDIS_URL


@dataclass
class Workers:
    queue_name: str
    connection: Redis
    processes: list[subprocess.Popen]
    logs: list[Path]
    env: dict = field(default_factory=dict)

    @property
    def queue(self) -> Queue:
        return Queue(self.queue_name, connection=self.connection)

    def wait_until_working(self, count: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process, log in zip(self.processes, self.logs, strict=True):
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited:\n{log.read_text(errors='replace')}")
            if len(Worker.all(queue=self.queue)) >= count:
                return
            time.sleep(0.2)
        raise RuntimeError("workers did not start:\n" + self.log())

    def kill_host(self, number: int) -> None:
        """SIGKILL a worker and what it started (RQ's scheduler runs in a child process of
        its own, which a lone SIGKILL of the worker would leave running for good)."""
        os.killpg(self.processes[number].pid, signal.SIGKILL)
        self.processes[number].wait(timeout=10)

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs)

    def redis_time(self) -> float:
        seconds, micros = self.connection.time()
        return seconds + micros / 1e6


def worker_env(database_url: str, queue_name: str, **settings: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "RATELIMIT_STORAGE_URI", "DATABASE_URL", "SMTP_HOST"}
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url(),
        JOBS_QUEUE=queue_name,
        SECRET_KEY="worker-test-key",
        LOG_LEVEL="INFO",  # the tests read the workers' job lines, as JSON
        LOG_FORMAT="json",
        **settings,
    )
    return env


@contextmanager
def rq_workers(database_url: str, tmp_path: Path, count: int, **settings: str) -> Iterator[Workers]:
    queue_name = f"test-{uuid.uuid4().hex}"
    env = worker_env(database_url, queue_name, **settings)
    connection = Redis.from_url(env["REDIS_URL"])
    processes, logs = [], []
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    for number in range(count):
        log = tmp_path / f"worker-{number}.log"
        with log.open("w") as out:
            # A session of its own: teardown and kill_host reach its children too.
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        logs.append(log)
    workers = Workers(queue_name, connection, processes, logs, env)
    try:
        yield workers
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for process in processes:
            # Whatever a worker left behind (a killed one's scheduler).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        workers.queue.delete(delete_jobs=True)
        for key in connection.scan_iter(f"delegate:periodic:{queue_name}:*"):
            connection.delete(key)
        connection.close()
