"""The app under gunicorn in its own processes, and a browser-like HTTP client for it.

For what only shows across processes: limits that must hold in every worker, a Redis that is
down when the server starts. The server reads committed rows from the test database.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    stderr_path: Path
    access_path: Path

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def worker_pids(self, method: str, path: str, *, prefix: bool = False) -> set[str]:
        """Pids of the workers that answered METHOD PATH (from the access log); with
        ``prefix``, any path starting with PATH."""
        pids = set()
        for line in self.access_path.read_text().splitlines():
            pid, line_method, line_path, _status = line.split(" ", 3)
            same = line_path.startswith(path) if prefix else line_path == path
            if line_method == method and same:
                pids.add(pid)
        return pids


@contextmanager
def gunicorn(
    database_url: str, tmp_path: Path, *, workers: int, **settings: str
) -> Iterator[Server]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "RATELIMIT_STORAGE_URI", "DATABASE_URL", "SMTP_HOST"}
    }
    defaults = {
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "served-test-key",
        "JOBS_BACKEND": "inline",
        "BASE_URL": "http://127.0.0.1",
    }
    env.update({**defaults, **settings})  # a test may choose another job backend
    stderr_path, access_path = tmp_path / "gunicorn.err", tmp_path / "access.log"
    command = [
        sys.executable, "-m", "gunicorn", "wsgi:app",
        "--bind", "127.0.0.1:0",  # the kernel picks a free port; gunicorn prints it
        "--workers", str(workers),
        "--preload",  # every worker is ready the moment it forks
        "--access-logfile", str(access_path),
        "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
    ]  # fmt: skip
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=stderr)
    try:
        server = Server(_wait_for_address(process, stderr_path), process, stderr_path, access_path)
        _wait_until_serving(server, workers)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_address(process: subprocess.Popen, stderr_path: Path) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{stderr_path.read_text()}")
        found = _LISTENING.search(stderr_path.read_text(errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start:\n{stderr_path.read_text()}")


def _wait_until_serving(server: Server, workers: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        booted = server.log().count("Booting worker with pid")
        if booted >= workers:
            try:
                if requests.get(f"{server.base_url}/login", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn is not answering:\n{server.log()}")


class Browser:
    """Cookies and CSRF tokens like a browser; optionally behind a proxy that says who it is."""

    def __init__(self, base_url: str, *, client_ip: str | None = None):
        self.base_url = base_url
        self.http = requests.Session()
        if client_ip:
            self.http.headers["X-Forwarded-For"] = client_ip

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=30)

    def form_token(self, path: str = "/login") -> str:
        page = self.get(path)
        match = TOKEN.search(page.text)
        assert match, f"no CSRF token on {path}: {page.status_code}"
        return match.group(1)

    def post(self, path: str, data: dict, *, token: str | None = None) -> requests.Response:
        data = {**data, "csrf_token": token or self.form_token()}
        return self.http.post(self.base_url + path, data=data, allow_redirects=False, timeout=30)

    def log_in(self, email: str, password: str) -> requests.Response:
        return self.post("/login", {"email": email, "password": password})


def in_pairs(path: str, attempts: list[tuple[Browser, dict]]) -> list[requests.Response]:
    """POST the attempts two at a time, released together, so that two workers take one each."""
    return posts_in_pairs([(browser, path, data) for browser, data in attempts])


def posts_in_pairs(posts: list[tuple[Browser, str, dict]]) -> list[requests.Response]:
    """``in_pairs`` with a path for each post."""
    responses: list[requests.Response] = []
    for start in range(0, len(posts), 2):
        responses.extend(_together(posts[start : start + 2]))
    return responses


def _together(batch: list[tuple[Browser, str, dict]]) -> list[requests.Response]:
    tokens = [browser.form_token() for browser, _, _ in batch]
    barrier = threading.Barrier(len(batch))
    out: list = [None] * len(batch)

    def send(j: int) -> None:
        browser, path, data = batch[j]
        barrier.wait()
        out[j] = browser.post(path, data, token=tokens[j])

    threads = [threading.Thread(target=send, args=(j,)) for j in range(len(batch))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return out
