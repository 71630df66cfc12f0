"""Speed of the pages people use most, beside a hello-world Flask app under the same gunicorn.

    .venv/bin/python benchmarks/page_speed.py                  # or: make bench-pages
    .venv/bin/python benchmarks/page_speed.py --duration 20 --app-dir /tmp/old-checkout

Loads the demo data into a PostgreSQL database (``flask db upgrade``, ``flask demo load``,
``flask matches rebuild``; the database is created if missing and reused if already loaded),
starts the app under gunicorn with 4 workers and ``benchmarks/hello_wsgi.py`` under another
gunicorn with the same settings, logs in as a demo owner and a demo assistant, and runs
``wrk`` (Debian package ``wrk``) on each page, one page at a time. It prints requests per
second, the ratio to hello world, and the number of SQL statements each page issues (counted
in-process on the same database).

Beside req/s it prints the CPU each request cost, counted by the kernel for the processes that
served it: the gunicorn workers, the PostgreSQL backends of the benchmark's database, and wrk
itself. On two shared cores, throughput is set by that total, and unlike req/s it hardly moves
when other work loads the machine: ``× hello by CPU`` (hello world's total over the page's)
is the ratio to read on a busy machine; ``× hello`` by req/s agrees with it on a quiet one.
``--app-dir`` points at another checkout (e.g. ``main``) to measure the code before a change
with this same script.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_page_speed"
DEMO_PASSWORD = "delegate-demo"
TARGET_RATIO = 0.15  # search and task pages, for now (issue 8, item 27)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Page:
    name: str
    path: str
    who: str | None  # "owner", "assistant" or None (logged out)
    targeted: bool = False
    status: int = 200
    # A different query string on every request (an extra `visit` parameter): what a page
    # costs when the job search's per-worker cache (marketplace/microcache.py) cannot help.
    fresh: bool = False

    def path_for(self, visit: int) -> str:
        return f"{self.path}&visit={visit}" if self.fresh else self.path


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    app_dir = Path(args.app_dir).resolve()
    env = app_env(app_dir, args.database_url, args.redis_url)
    if not args.no_load:
        prepare_database(args.database_url, app_dir, env)

    sys.path.insert(0, str(app_dir))
    owner_email, task_id = pick_owner_task(args.database_url)
    assistant_email = "assistant1@demo.delegate.test"
    pages = [
        # The floor: what every page costs before it does anything of its own.
        Page("floor: log-in page (no SQL)", "/login", None),
        Page("floor: a 404 page, logged in", "/no-such-page", "assistant", status=404),
        Page("job search 'bookkeeping', repeated", "/jobs?q=bookkeeping", "assistant", True),
        Page(
            "job search 'bookkeeping', never cached",
            "/jobs?q=bookkeeping",
            "assistant",
            True,
            fresh=True,
        ),
        Page("job search, no query", "/jobs", "assistant"),
        Page("job page (assistant)", f"/tasks/{task_id}", "assistant", True),
        Page("owner's task page + recommendations", f"/tasks/{task_id}", "owner", True),
    ]
    counts = statement_counts(
        args.database_url, args.redis_url, pages, owner_email, assistant_email
    )

    logs = Path(tempfile.mkdtemp(prefix="page-speed-"))
    app_port, hello_port = args.port, args.port + 1
    servers = [
        gunicorn("wsgi:app", app_dir, app_port, env, logs / "app.log", args.workers),
        gunicorn("hello_wsgi:app", HERE, hello_port, env, logs / "hello.log", args.workers),
    ]
    try:
        wait_up(f"http://127.0.0.1:{app_port}/login", servers[0])
        wait_up(f"http://127.0.0.1:{hello_port}/", servers[1])
        base = f"http://127.0.0.1:{app_port}"
        cookies = {
            "owner": log_in(base, owner_email),
            "assistant": log_in(base, assistant_email),
        }
        rows = []
        for page in pages:
            cookie = cookies.get(page.who) if page.who else None
            check_page(base + page.path, cookie, page.status)
            # Hello world right before each page: on a shared machine the load drifts, and
            # the ratio of two runs seconds apart is what stays comparable.
            hello = run_wrk(f"http://127.0.0.1:{hello_port}/", None, args, servers[1])
            measured = run_wrk(base + page.path, cookie, args, servers[0], page)
            rows.append((page, hello, measured))
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)

    report(app_dir, args, rows, counts)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--app-dir", default=str(HERE.parent), help="checkout to measure")
    parser.add_argument("--port", type=int, default=5150, help="app port; hello world is +1")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/7",
        help="the app's REDIS_URL, as in production ('' for none: no log-in cache)",
    )
    parser.add_argument(
        "--no-load", action="store_true", help="the database already holds the demo and matches"
    )
    return parser.parse_args()


def app_env(app_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SMTP_HOST"}}
    env.update(
        DATABASE_URL=database_url,
        # As in production: the workers' log-in caches hear each other's evictions here.
        **({"REDIS_URL": redis_url} if redis_url else {}),
        PYTHONPATH=str(app_dir),
        # One key for every worker, so a cookie signed by one is read by all.
        SECRET_KEY="page-speed-benchmark",
        RATELIMIT_DISABLED="1",
        JOBS_BACKEND="inline",
        FLASK_APP="wsgi",
    )
    return env


def flask(app_dir: Path, env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=app_dir, env=env, check=True)


def prepare_database(url: str, app_dir: Path, env: dict) -> None:
    from sqlalchemy import create_engine, make_url, text

    create_database_if_missing(url)
    target = make_url(url)
    flask(app_dir, env, "db", "upgrade")
    flask(app_dir, env, "demo", "load")
    flask(app_dir, env, "matches", "rebuild")
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def create_database_if_missing(url: str) -> None:
    """The benchmarks' PostgreSQL database, created on first use and reused after."""
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def pick_owner_task(url: str) -> tuple[str, int]:
    """The open task with the most stored matches, and its owner's email."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT t.id, u.email FROM tasks t JOIN users u ON u.id = t.owner_id"
                " JOIN matches m ON m.task_id = t.id WHERE t.status = 'open'"
                " GROUP BY t.id, u.email ORDER BY count(*) DESC, t.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    return row.email, row.id


CPU_REQUESTS = 50


def statement_counts(
    url: str, redis_url: str, pages, owner_email: str, assistant_email: str
) -> dict:
    """Per page: SQL statements issued, and the app's own CPU time per request (not the
    database's), both measured on an in-process app: steadier than req/s on a busy machine."""
    from sqlalchemy import event

    from marketplace import create_app
    from marketplace.config import normalise_database_url

    # Jobs inline, as under gunicorn here: the thread backend's periodic jobs would run in this
    # process, counted in its CPU time and competing with wrk for the machine.
    app = create_app(
        {
            "DATABASE_URL": normalise_database_url(url),
            "SECRET_KEY": "x",
            "RATELIMIT_ENABLED": False,
            "JOBS_BACKEND": "inline",
            **({"REDIS_URL": redis_url} if redis_url else {}),
        }
    )
    database = app.extensions["db"]
    emails = {"owner": owner_email, "assistant": assistant_email}
    seen: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    counts = {}
    for page in pages:
        client = app.test_client()
        if page.who:
            # A real log-in: a cookie without its server-side session is a logged-out visit.
            token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
            form = {"email": emails[page.who], "password": DEMO_PASSWORD, "csrf_token": token}
            if client.post("/login", data=form).status_code != 302:
                raise SystemExit(f"could not log in as {emails[page.who]} in-process")
        client.get(page.path_for(0))  # warm: first use of the connection pool and caches
        seen.clear()
        response = client.get(page.path_for(1))
        if response.status_code != page.status:
            raise SystemExit(f"{page.path} as {page.who}: HTTP {response.status_code}")
        statements = len(seen)
        started = time.process_time()
        for visit in range(2, CPU_REQUESTS + 2):
            client.get(page.path_for(visit))
        counts[page.name] = (statements, (time.process_time() - started) / CPU_REQUESTS * 1000)
    database.engine.dispose()
    sys.path.insert(0, str(HERE))
    from hello_wsgi import app as hello_app

    hello = hello_app.test_client()
    started = time.process_time()
    for _ in range(CPU_REQUESTS * 4):
        hello.get("/")
    counts["hello"] = (0, (time.process_time() - started) / (CPU_REQUESTS * 4) * 1000)
    return counts


def gunicorn(module: str, chdir: Path, port: int, env: dict, log: Path, workers: int):
    command = [
        sys.executable, "-m", "gunicorn", module, "--chdir", str(chdir),
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--error-logfile", str(log),
    ]  # fmt: skip
    # cwd too: `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH.
    return subprocess.Popen(command, env=env, cwd=chdir)


def wait_up(url: str, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}) before serving {url}")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def log_in(base: str, email: str) -> str:
    http = requests.Session()
    token = CSRF.search(http.get(base + "/login").text).group(1)
    response = http.post(
        base + "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    if response.status_code != 302 or "session" not in http.cookies:
        raise SystemExit(f"could not log in as {email}: HTTP {response.status_code}")
    return f"session={http.cookies['session']}"


def check_page(url: str, cookie: str | None, status: int) -> None:
    response = requests.get(
        url, headers={"Cookie": cookie} if cookie else {}, allow_redirects=False, timeout=30
    )
    if response.status_code != status:
        raise SystemExit(f"{url}: HTTP {response.status_code}, not {status}")


# Each wrk thread numbers its own requests: no two requests share a query string.
FRESH_QUERY_LUA = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) n = 0 end
function request()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&visit=" .. id .. "-" .. n)
end
"""


@dataclass(frozen=True)
class Run:
    """One wrk run: its rate, and the CPU milliseconds per request of each party to it."""

    rate: float
    app_ms: float  # the gunicorn master and workers
    database_ms: float  # PostgreSQL backends connected to the benchmark's database
    client_ms: float  # wrk

    @property
    def cpu_ms(self) -> float:
        return self.app_ms + self.database_ms + self.client_ms


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue  # a backend that closed during the run; its time is not this page's
        total += times.user + times.system
    return total


def _server_processes(server) -> list[psutil.Process]:
    master = psutil.Process(server.pid)
    return [master, *master.children(recursive=True)]


def _database_backends(database_url: str) -> list[psutil.Process]:
    """The PostgreSQL server processes serving the benchmark's database (same machine)."""
    from sqlalchemy import create_engine, make_url, text

    target = make_url(database_url)
    engine = create_engine(target.set(database="postgres"))
    with engine.connect() as conn:
        pids = conn.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": target.database}
        ).all()
    engine.dispose()
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):  # gone since the query
            found.append(psutil.Process(pid))
    return found


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_wrk(url: str, cookie: str | None, args, server, page: Page | None = None) -> Run:
    status = page.status if page else 200
    base = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    if cookie:
        base += ["-H", f"Cookie: {cookie}"]
    if page and page.fresh:
        script = Path(tempfile.mkdtemp(prefix="page-speed-lua-")) / "fresh.lua"
        script.write_text(FRESH_QUERY_LUA)
        base += ["-s", str(script)]
    subprocess.run([*base, "-d", "2s", url], check=True, capture_output=True)  # warm-up
    # After the warm-up: every worker has opened its pooled connection by now.
    app, database = _server_processes(server), _database_backends(args.database_url)
    before = (_cpu_seconds(app), _cpu_seconds(database), _children_cpu())
    out = subprocess.run(
        [*base, "-d", f"{args.duration}s", "--timeout", "10s", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    after = (_cpu_seconds(app), _cpu_seconds(database), _children_cpu())
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad and status < 400:
        raise SystemExit(f"{url}: {bad.group(1)} responses were not 2xx/3xx\n{out}")
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    app_ms, database_ms, client_ms = (
        (end - start) / requests_done * 1000 for start, end in zip(before, after, strict=True)
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Run(rate, app_ms, database_ms, client_ms)


def report(app_dir: Path, args, rows, counts: dict) -> None:
    commit = subprocess.run(
        ["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    print(f"\ncode: {app_dir} {commit or '(not a git checkout)'}")
    print(
        f"gunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections}"
        f" -d{args.duration}s, PostgreSQL, demo data; hello world measured just before each page\n"
    )
    print(
        f"| {'page':38} | {'req/s':>7} | {'hello':>6} | {'× hello':>7} | SQL | app CPU ms"
        " | CPU ms/request: app + db + wrk | × hello by CPU |"
    )
    print(f"|{'-' * 40}|{'-' * 8}:|{'-' * 7}:|{'-' * 8}:|----:|-----------:|---:|---:|")
    print(f"| {'hello world (CPU in-process only)':38} | {'':7} | {'':6} | {'':7} |   0"
          f" | {counts['hello'][1]:10.2f} | | |")  # fmt: skip
    missed: dict[str, list[str]] = {"req/s": [], "CPU": []}
    for page, hello, run in rows:
        ratio, cpu_ratio = run.rate / hello.rate, hello.cpu_ms / run.cpu_ms
        statements, cpu_ms = counts[page.name]
        print(
            f"| {page.name:38} | {run.rate:7.0f} | {hello.rate:6.0f} | {ratio:7.3f} |"
            f" {statements:3d} | {cpu_ms:10.1f} | {run.cpu_ms:.2f} = {run.app_ms:.2f} +"
            f" {run.database_ms:.2f} + {run.client_ms:.2f} (hello {hello.cpu_ms:.2f}) |"
            f" {cpu_ratio:.3f} |"
        )
        for measure, value in (("req/s", ratio), ("CPU", cpu_ratio)):
            if page.targeted and value < TARGET_RATIO:
                missed[measure].append(page.name)
    print(f"\ntarget: search and task pages ≥ {TARGET_RATIO}× hello world")
    for measure, pages in missed.items():
        verdict = f"missed by: {', '.join(pages)}" if pages else "met"
        print(f"  by {measure}: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
