"""64 owners post a task at the same moment, on SQLite, under gunicorn with 4 workers, while
64 assistants search jobs: how long each waits, before (every transaction takes the write lock
at BEGIN, jobs run inside the request) and after (only writers take it, jobs run after the
response in each worker's thread pool), with the steps between.

    .venv/bin/python benchmarks/sqlite_posts.py                # ports 5120..5123
    .venv/bin/python benchmarks/sqlite_posts.py --posts 64 --port 5120 --rounds 2
    .venv/bin/python benchmarks/sqlite_posts.py --threads 4   # gthread: 16 requests at once

Each configuration gets a fresh copy of one SQLite database built by the migrations and
loaded with the demo data (320 assistants, 40 owners, 170 tasks), a gunicorn on its own port,
and mail to the local outbox (no SMTP). Every client logs in first; a warm-up burst of 8
posts lets each worker build its matcher index; then the measured burst: all posts and all
searches are released together. "all matched" is when the last posted task has its
recommendations stored (the jobs' work, which the thread backend does after the response).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.db import get_session  # noqa: E402
from marketplace.demo.data import DEMO_DOMAIN, DEMO_PASSWORD, load_demo_data  # noqa: E402
from marketplace.matches.models import Match  # noqa: E402
from marketplace.migrate import upgrade_database  # noqa: E402
from marketplace.tasks.models import Task  # noqa: E402
from tests.conftest import Client  # noqa: E402
from tests.factories import task_form  # noqa: E402

CONFIGS = [
    # (label, SQLITE_BEGIN, JOBS_BACKEND)
    ("before: BEGIN IMMEDIATE always, jobs inline", "immediate", "inline"),
    ("writers only, jobs inline", "deferred", "inline"),
    ("BEGIN IMMEDIATE always, jobs in threads", "immediate", "thread"),
    ("after: writers only, jobs in threads", "deferred", "thread"),
]
# The form a browser posts, as the tests post it; the CSRF token read the way they read it.
TOKEN = Client.TOKEN
TASK = task_form(overlap_hours="0")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def call(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read().decode()
        except OSError as err:  # reset, timeout: what a user would see as a failure
            return 0, repr(err)

    def token(self, path: str) -> str:
        status, page = self.call("GET", path)
        match = TOKEN.search(page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1) or match.group(2)

    def log_in(self, email: str) -> None:
        form = {"email": email, "password": DEMO_PASSWORD, "csrf_token": self.token("/login")}
        status, page = self.call("POST", "/login", form)
        if status not in (302, 303):
            raise RuntimeError(f"log-in as {email} failed: {status} {page[:200]}")


def build_database(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "JOBS_BACKEND": "inline"})
    with app.app_context():
        session = get_session()
        load_demo_data(session, seed=2026, assistants=320, owners=40, tasks=170)
        session.commit()
    app.extensions["db"].engine.dispose()
    return path


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with urllib.request.urlopen(base + "/login", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def burst(clients: list[tuple[Browser, str]], searchers: list[Browser]) -> dict:
    """Release every post and every search at once; latencies in seconds."""
    start = threading.Barrier(len(clients) + len(searchers))
    posts: list[tuple[int, float]] = []
    searches: list[tuple[int, float]] = []

    def post(browser: Browser, token: str) -> None:
        start.wait()
        t0 = time.perf_counter()
        status, _ = browser.call("POST", "/tasks/new", {**TASK, "csrf_token": token})
        posts.append((status, time.perf_counter() - t0))

    def search(browser: Browser) -> None:
        start.wait()
        t0 = time.perf_counter()
        status, _ = browser.call("GET", "/jobs?q=bookkeeping")
        searches.append((status, time.perf_counter() - t0))

    threads = [threading.Thread(target=post, args=pair) for pair in clients]
    threads += [threading.Thread(target=search, args=(b,)) for b in searchers]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"posts": posts, "searches": searches, "began": began}


def run_config(
    template: Path, workdir: Path, label, begin, jobs, port, posts, rounds, threads
) -> dict:
    db = workdir / f"{begin}-{jobs}.sqlite3"
    shutil.copy(template, db)
    url = f"sqlite:///{db}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SQLITE_BEGIN": begin,
        "JOBS_BACKEND": jobs,
        "SECRET_KEY": "bench",
        "RATELIMIT_DISABLED": "1",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    env.pop("SMTP_HOST", None)
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers", "4", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
        "--timeout", "120",
        "--graceful-timeout", "60", "--log-level", "warning", "wsgi:app",
    ]  # fmt: skip
    proc = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True)
    engine = create_engine(url)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        owners = [f"owner{n % 40 + 1}@{DEMO_DOMAIN}" for n in range(posts)]
        browsers = [Browser(base) for _ in owners]
        for browser, email in zip(browsers, owners, strict=True):
            browser.log_in(email)
        searchers = [Browser(base) for _ in range(posts)]
        for n, browser in enumerate(searchers):
            browser.log_in(f"assistant{n % 320 + 1}@{DEMO_DOMAIN}")
        results = []
        for round_no in range(rounds + 1):  # round 0 warms the workers up (index, caches)
            size = 8 if round_no == 0 else posts
            with engine.connect() as conn:
                before = conn.scalar(select(func.max(Task.id)))
            clients = [(b, b.token("/tasks/new")) for b in browsers[:size]]
            outcome = burst(clients, searchers[:size] if round_no else [])
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:  # the jobs' work: every new task ranked
                with engine.connect() as conn:
                    unmatched = conn.scalar(
                        select(func.count(Task.id)).where(
                            Task.id > before,
                            ~select(Match.id).where(Match.task_id == Task.id).exists(),
                        )
                    )
                if not unmatched:
                    break
                time.sleep(0.05)
            outcome["all_matched"] = time.perf_counter() - outcome["began"]
            if round_no:
                results.append(outcome)
        return summarise(label, results)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        engine.dispose()


def summarise(label: str, results: list[dict]) -> dict:
    posts = [s for r in results for s, _ in r["posts"]]
    post_times = [t for r in results for _, t in r["posts"]]
    search_times = [t for r in results for _, t in r["searches"]]
    searches = [s for r in results for s, _ in r["searches"]]
    return {
        "label": label,
        "post_p50": statistics.median(post_times),
        "post_p95": percentile(post_times, 0.95),
        "post_max": max(post_times),
        "post_failed": sum(1 for s in posts if s != 302),
        "search_p50": statistics.median(search_times),
        "search_p95": percentile(search_times, 0.95),
        "search_failed": sum(1 for s in searches if s != 200),
        "all_matched": statistics.median(r["all_matched"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1, help="measured bursts per setting")
    parser.add_argument("--port", type=int, default=5120, help="first of 4 ports used")
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="delegate-sqlite-bench-"))
    try:
        print("building the demo database ...", flush=True)
        template = build_database(workdir)
        rows = []
        for offset, (label, begin, jobs) in enumerate(CONFIGS):
            print(f"{label} ...", flush=True)
            rows.append(
                run_config(
                    template,
                    workdir,
                    label,
                    begin,
                    jobs,
                    args.port + offset,
                    args.posts,
                    args.rounds,
                    args.threads,
                )  # fmt: skip
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"\n{args.posts} concurrent task posts + {args.posts} concurrent searches, SQLite, "
        f"gunicorn 4 workers x {args.threads} thread(s), {os.cpu_count()} CPUs, "
        f"{args.rounds} measured burst(s) each\n"
    )
    header = (
        "| setting | post p50 | post p95 | post max | failed posts | search p50 | search p95 "
        "| failed searches | all matched |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['label']} | {r['post_p50']:.2f} s | {r['post_p95']:.2f} s | "
            f"{r['post_max']:.2f} s | {r['post_failed']} | {r['search_p50']:.2f} s | "
            f"{r['search_p95']:.2f} s | {r['search_failed']} | {r['all_matched']:.1f} s |"
        )


if __name__ == "__main__":
    main()
