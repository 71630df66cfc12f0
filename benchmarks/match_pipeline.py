"""From posting a task to its matches stored and its notifications queued, on PostgreSQL.

    .venv/bin/python benchmarks/match_pipeline.py          # 100,000 assistants, 50 tasks
    .venv/bin/python benchmarks/match_pipeline.py --assistants 20000 --tasks 20

Loads synthetic assistants (benchmarks/matching_synthetic.py) into a scratch PostgreSQL database
built by the migrations, warms the worker's matcher index once (what a running worker holds),
then times each task through the real code: ``post_task`` + ``enqueue_after_commit`` + commit,
after which the ``matches.match_task`` job runs (inline, its own session): index catch-up,
ranking, Match rows upserted, notification rows written and committed. Delivering the emails is
a separate job and is not timed (it is stubbed out). Target: p95 under 1 second.

The database named by --database-url is emptied (schema public dropped) first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from benchmarks import matching_synthetic as synthetic  # noqa: E402
from benchmarks.page_speed import create_database_if_missing  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Role, User  # noqa: E402
from marketplace.config import normalise_database_url  # noqa: E402
from marketplace.jobs import JOBS, enqueue_after_commit, lookup  # noqa: E402
from marketplace.matches.index import matcher_index  # noqa: E402
from marketplace.matches.models import Match  # noqa: E402
from marketplace.migrate import upgrade_database  # noqa: E402
from marketplace.notifications.models import Notification  # noqa: E402
from marketplace.profiles.models import AssistantProfile  # noqa: E402
from marketplace.skills.models import Skill, assistant_skills  # noqa: E402
from marketplace.skills.services import skill_key  # noqa: E402
from marketplace.tasks.models import BudgetType, Category, Engagement  # noqa: E402
from marketplace.tasks.services import TaskInput, post_task  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_matches"
BATCH = 5000


def reset(url: str) -> None:
    """Create the scratch database if needed, then rebuild its schema from the migrations."""
    create_database_if_missing(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade_database(url)


def load_assistants(url: str, n: int) -> None:
    people = synthetic.assistants(n, seed=7)
    engine = create_engine(url)
    # Profiles were saved some time ago; the worker's index is fitted after they were.
    stamp = datetime.now(UTC) - timedelta(days=1)
    names = sorted({s for a in people for s in a.skills}, key=skill_key)
    with engine.begin() as conn:
        conn.execute(insert(Skill.__table__), [{"key": skill_key(s), "name": s} for s in names])
        skill_ids = {k: i for i, k in conn.execute(select(Skill.id, Skill.key))}
        for start in range(0, n, BATCH):
            chunk = people[start : start + BATCH]
            users = (
                conn.execute(
                    insert(User.__table__).returning(User.id, sort_by_parameter_order=True),
                    [
                        {
                            "email": f"va{start + i}@bench.example",
                            "password_hash": "x",
                            "role": Role.ASSISTANT.value,
                            "display_name": f"VA {start + i}",
                            "timezone": a.timezone,
                            "created_at": stamp,
                        }
                        for i, a in enumerate(chunk)
                    ],
                )
                .scalars()
                .all()
            )
            conn.execute(
                insert(AssistantProfile.__table__),
                [
                    {
                        "user_id": uid,
                        "headline": a.headline,
                        "bio": a.bio,
                        "hourly_rate_cents": a.hourly_rate_cents,
                        "currency": a.currency,
                        "timezone": a.timezone,
                        "work_start": _time(a.work_start),
                        "work_end": _time(a.work_end),
                        "hours_per_week": int(a.hours_per_week),
                        "rating": a.rating,
                        "review_count": a.review_count,
                        "updated_at": stamp,
                    }
                    for uid, a in zip(users, chunk, strict=True)
                ],
            )
            conn.execute(
                insert(assistant_skills),
                [
                    {"profile_id": uid, "skill_id": skill_ids[skill_key(s)]}
                    for uid, a in zip(users, chunk, strict=True)
                    for s in set(a.skills)
                ],
            )
    engine.dispose()


def _time(hhmm: str):
    return datetime.strptime(hhmm, "%H:%M").time()


def task_inputs(n: int) -> list[TaskInput]:
    out = []
    for t in synthetic.tasks(n, seed=11):
        hourly = t.max_hourly_rate_cents is not None
        out.append(
            TaskInput(
                title=t.title[:120],
                description=t.description,
                skills=list(t.skills) or ["email"],
                category=Category.OTHER,
                engagement=Engagement.ONE_OFF,
                estimated_hours=int(t.hours_per_week or 10),
                hours_per_week=None,
                budget_type=BudgetType.HOURLY if hourly else BudgetType.FIXED,
                budget_cents=None if hourly else 40000,
                max_hourly_rate_cents=t.max_hourly_rate_cents,
                currency="USD",
                timezone=t.timezone,
                overlap_hours=int(t.overlap_hours or 0),
                deadline=None,
            )
        )
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--assistants", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=50)
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)

    started = time.perf_counter()
    reset(url)
    load_assistants(url, args.assistants)
    print(
        f"loaded {args.assistants:,} assistants into PostgreSQL in "
        f"{time.perf_counter() - started:.1f} s"
    )

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "JOBS_BACKEND": "inline"})
    lookup("matches.match_task")
    JOBS["notifications.send"] = lambda session: None  # delivery is not part of the figure
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        owner = User(
            email="owner@bench.example",
            password_hash="x",
            role=Role.OWNER,
            display_name="Bench Owner",
            timezone="America/New_York",
        )
        session.add(owner)
        session.commit()
        t0 = time.perf_counter()
        matcher_index(app).current(session)
        session.commit()
        print(f"worker warm-up (fit the matcher index once): {time.perf_counter() - t0:.1f} s")

        timings = []
        for data in task_inputs(args.tasks):
            t0 = time.perf_counter()
            task = post_task(session, owner, data)
            enqueue_after_commit(session, "matches.match_task", task.id)
            session.commit()  # the job runs after this commit, in its own session
            timings.append(time.perf_counter() - t0)
        stored = session.scalar(select(func.count(Match.id)))
        queued = session.scalar(select(func.count(Notification.id)))
        session.close()

    ms = [t * 1000 for t in timings]
    print(f"{args.tasks} tasks posted: {stored} matches stored, {queued} notifications queued")
    print(f"post task -> matches stored + notifications queued, {args.assistants:,} assistants:")
    print(
        f"  p50 {statistics.median(ms):.0f} ms   p95 {percentile(ms, 0.95):.0f} ms   "
        f"max {max(ms):.0f} ms   (first {ms[0]:.0f} ms)"
    )
    print(f"  target p95 < 1000 ms: {'met' if percentile(ms, 0.95) < 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
