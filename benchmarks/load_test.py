"""Load on the pages people use most, at marketplace size, beside hello world in one run.

    .venv/bin/python benchmarks/load_test.py                  # or: make bench-load
    .venv/bin/python benchmarks/load_test.py --duration 30 --connections 50

Builds (once; reused after) a PostgreSQL database of 100,000 assistants, 1,000 owners and
10,000 tasks with stored recommendations (``benchmarks/load_data.py``), starts the app under
gunicorn (4 sync workers, jobs on Redis with one RQ worker, as in production) and
``benchmarks/hello_wsgi.py`` under the same gunicorn settings, and drives each page with
``wrk`` at 50 connections: the home page, job search with a query (a rotating set of 40
queries, and the same with a new query string every request so no cache helps), job pages
(200 tasks), an owner's task pages with recommendations (their open tasks), and posting a
task. Hello world is measured just before each page. It prints requests/s, p50/p95/p99
latency and errors per page, the ratio to hello world, and each issue-14 target as met or not.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from load_data import DOMAIN, load, rank_open_tasks  # noqa: E402
from page_speed import CSRF, create_database_if_missing, gunicorn, wait_up  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
P95_TARGET_MS = 300
RATIO_TARGET = 0.3  # search and task pages, against hello world (issue 14, part 7)
QUERIES = [
    "bookkeeping", "inbox", "calendar", "quickbooks", "invoices", "shopify orders",
    "social media", "instagram", "data entry", "customer emails", "travel booking",
    "research", "newsletter", "canva", "xero", "payroll", "shipping", "zendesk",
    "spreadsheet", "excel", "crm", "hubspot", "podcast", "wordpress", "etsy", "amazon",
    "appointments", "transcription", "reconciliation", "expense reports", "mailchimp",
    "blog posts", "returns", "vendor follow-up", "meeting notes", "google sheets",
    "lead lists", "gmail", "scheduling", "reports",
]  # fmt: skip

# One script for every page: a path picked at random per request from PATHS (or a fixed one),
# an optional POST body, and at the end one RESULT line with latency percentiles (µs) and
# the responses that were not what the page should answer.
LUA = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  n = 0
  bad = 0
  math.randomseed(id * 7919)
end
function request()
  n = n + 1
  local path = PATHS[math.random(#PATHS)]
  if FRESH then path = path .. "&visit=" .. id .. "-" .. n end
  if BODY then return wrk.format("POST", path, nil, BODY) end
  return wrk.format("GET", path)
end
function response(status, headers, body)
  if status ~= EXPECT then bad = bad + 1 end
end
function done(summary, latency, requests)
  local unexpected = 0
  for _, thread in ipairs(threads) do unexpected = unexpected + thread:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.1f %.1f %.1f\\n", summary.requests,
    summary.duration, e.connect + e.read + e.write + e.timeout, unexpected,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Page:
    name: str
    paths: list[str]
    who: str | None = None
    expect: int = 200
    fresh: bool = False
    body: str | None = None
    targeted: bool = False


@dataclass
class Result:
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    env = app_env(args)
    prepare_database(args)
    logs = Path(tempfile.mkdtemp(prefix="load-test-"))
    app_port, hello_port = args.port, args.port + 1
    servers = [
        gunicorn("wsgi:app", HERE.parent, app_port, env, logs / "app.log", args.workers),
        gunicorn("hello_wsgi:app", HERE, hello_port, env, logs / "hello.log", args.workers),
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=HERE.parent,
            env=env,
            stdout=open(logs / "worker.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        wait_up(f"http://127.0.0.1:{app_port}/login", servers[0])
        wait_up(f"http://127.0.0.1:{hello_port}/", servers[1])
        base = f"http://127.0.0.1:{app_port}"
        pages = build_pages(args, base)
        rows = []
        for page, cookie in pages:
            hello = run_wrk(args, f"http://127.0.0.1:{hello_port}", Page("hello", ["/"]), None)
            rows.append((page, hello, run_wrk(args, base, page, cookie)))
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=60)
    report(args, rows)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--assistants", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=1_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=5160, help="app port; hello world is +1")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per page")
    return parser.parse_args()


def app_env(args) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SMTP_HOST", "TEST_DATABASE_URL"}}
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        JOBS_BACKEND="rq",
        JOBS_QUEUE="load-test",
        PYTHONPATH=str(HERE.parent),
        SECRET_KEY="load-test-benchmark",  # one key, so every worker reads every cookie
        # The benchmark is one owner posting hundreds of tasks a minute from one address.
        RATELIMIT_DISABLED="1",
        TASK_POST_LIMITS="1000000 per hour",
        LOG_LEVEL="WARNING",
        FLASK_APP="wsgi",
    )
    return env


def prepare_database(args) -> None:
    from sqlalchemy import create_engine, text

    from marketplace import create_app
    from marketplace.config import normalise_database_url
    from marketplace.db import get_session
    from marketplace.migrate import upgrade_database

    create_database_if_missing(args.database_url)
    url = normalise_database_url(args.database_url)
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "load-test", "REDIS_URL": None})
    with app.app_context():
        session = get_session()
        started = time.monotonic()
        sizes = dict(assistants=args.assistants, owners=args.owners, tasks=args.tasks)
        if load(session, **sizes, seed=args.seed):
            session.commit()
            print(f"loaded {sizes} in {time.monotonic() - started:.0f} s", flush=True)
            started = time.monotonic()
            ranked = rank_open_tasks(session, app)
            session.commit()
            print(f"ranked {ranked} open tasks in {time.monotonic() - started:.0f} s", flush=True)
        else:
            print(f"reusing {args.database_url}", flush=True)
    app.extensions["db"].engine.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def build_pages(args, base: str) -> list[tuple[Page, str | None]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(args.database_url)
    with engine.connect() as conn:
        owner = conn.execute(
            text(
                "SELECT u.email, array_agg(DISTINCT t.id) AS ids FROM tasks t"
                " JOIN users u ON u.id = t.owner_id JOIN matches m ON m.task_id = t.id"
                " WHERE t.status = 'open' AND u.email LIKE :d GROUP BY u.email"
                " ORDER BY count(DISTINCT t.id) DESC, u.email LIMIT 1"
            ),
            {"d": f"%@{DOMAIN}"},
        ).one()
        open_ids = conn.scalars(
            text("SELECT id FROM tasks WHERE status = 'open' ORDER BY id")
        ).all()
    engine.dispose()
    jobs = random.Random(args.seed).sample(open_ids, k=min(200, len(open_ids)))
    owner_cookie, token = log_in(base, owner.email, "/tasks/new")
    assistant_cookie, _ = log_in(base, f"assistant1@{DOMAIN}", "/jobs")
    post = urlencode(
        {
            "csrf_token": token,
            "title": "Answer customer emails for our candle shop",
            "description": "Reply to customer emails within a day, tag them in Gmail, and "
            "send me a short summary every Friday. Shopify order questions are most of it.",
            "skills": "customer support, Gmail, Shopify",
            "category": "customer_support",
            "engagement": "recurring",
            "hours_per_week": "5",
            "budget_type": "hourly",
            "max_hourly_rate": "25",
            "currency": "USD",
            "timezone": "America/New_York",
            "overlap_hours": "2",
        }
    )
    searches = [f"/jobs?q={q.replace(' ', '+')}" for q in QUERIES]
    return [
        (Page("home", ["/"]), None),
        (Page("job search, 40 queries", searches, "assistant", targeted=True), assistant_cookie),
        (
            Page("job search, never cached", searches, "assistant", fresh=True, targeted=True),
            assistant_cookie,
        ),
        (Page("job page (200 tasks)", [f"/tasks/{i}" for i in jobs]), assistant_cookie),
        (
            Page("owner's task page + recs", [f"/tasks/{i}" for i in owner.ids], targeted=True),
            owner_cookie,
        ),
        (Page("post a task", ["/tasks/new"], expect=302, body=post), owner_cookie),
    ]


def log_in(base: str, email: str, then: str) -> tuple[str, str]:
    """A session cookie, and a CSRF token of that session from the page `then`."""
    from marketplace.demo.data import DEMO_PASSWORD

    http = requests.Session()
    token = CSRF.search(http.get(base + "/login").text).group(1)
    form = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token}
    response = http.post(base + "/login", data=form, allow_redirects=False)
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {email}: HTTP {response.status_code}")
    page = http.get(base + then)
    if page.status_code != 200:
        raise SystemExit(f"{then} as {email}: HTTP {page.status_code}")
    found = CSRF.search(page.text)
    return f"session={http.cookies['session']}", found.group(1) if found else ""


def run_wrk(args, base: str, page: Page, cookie: str | None) -> Result:
    paths = ", ".join(f'"{p}"' for p in page.paths)
    lua = f"PATHS = {{{paths}}}\nFRESH = {'true' if page.fresh else 'false'}\n"
    lua += f"EXPECT = {page.expect}\n"
    lua += f'BODY = "{page.body}"\n' if page.body else "BODY = nil\n"
    script = Path(tempfile.mkdtemp(prefix="load-test-lua-")) / "page.lua"
    script.write_text(lua + LUA)
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-s", str(script)]
    command += ["--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if page.body:
        command += ["-H", "Content-Type: application/x-www-form-urlencoded"]
    subprocess.run([*command, "-d", "3s", base], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        [*command, "-d", f"{args.duration}s", base], check=True, capture_output=True, text=True
    ).stdout
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not found:
        raise SystemExit(f"wrk printed no result for {page.name}:\n{out}")
    requests_done, micros, failed, unexpected = (int(found.group(i)) for i in range(1, 5))
    p50, p95, p99 = (float(found.group(i)) / 1000 for i in range(5, 8))
    if requests_done == 0:
        # Nothing came back within the run: every connection's request is still pending.
        return Result(0.0, float("inf"), float("inf"), float("inf"), args.connections)
    return Result(requests_done / (micros / 1e6), p50, p95, p99, failed + unexpected)


def report(args, rows) -> None:
    commit = subprocess.run(
        ["git", "-C", str(HERE.parent), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    load = os.getloadavg()[0]
    print(f"\ncode: {commit}; load average before the report {load:.1f} on {os.cpu_count()} cores")
    print(
        f"PostgreSQL, {args.assistants:,} assistants, {args.tasks:,} tasks; gunicorn"
        f" {args.workers} sync workers + 1 RQ worker; wrk -t{args.threads} -c{args.connections}"
        f" -d{args.duration}s; hello world under the same gunicorn just before each page\n"
    )
    head = f"| {'page':28} | {'req/s':>6} | {'hello':>6} | {'× hello':>7} |"
    print(head + " p50 ms | p95 ms | p99 ms | errors |")
    print(f"|{'-' * 30}|{'-' * 7}:|{'-' * 7}:|{'-' * 8}:|-------:|-------:|-------:|-------:|")
    verdicts = []
    for page, hello, got in rows:
        ratio = got.rate / hello.rate
        print(
            f"| {page.name:28} | {got.rate:6.0f} | {hello.rate:6.0f} | {ratio:7.3f} |"
            f" {got.p50:6.1f} | {got.p95:6.1f} | {got.p99:6.1f} | {got.errors:6d} |"
        )
        verdicts.append((f"{page.name}: 0 errors", got.errors == 0, f"{got.errors}"))
        verdicts.append(
            (f"{page.name}: p95 < {P95_TARGET_MS} ms", got.p95 < P95_TARGET_MS, f"{got.p95:.0f}")
        )
        if page.targeted:
            verdicts.append(
                (f"{page.name}: ≥ {RATIO_TARGET}× hello", ratio >= RATIO_TARGET, f"{ratio:.3f}")
            )
    print("\ntargets (issue 14, part 7):")
    for name, met, figure in verdicts:
        print(f"  {'met    ' if met else 'NOT MET'}  {name} ({figure})")


if __name__ == "__main__":
    sys.exit(main())
