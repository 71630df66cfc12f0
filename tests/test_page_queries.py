"""The pages people use most issue a fixed number of SQL statements, however many rows they
list: no statement per task, skill, match or profile (N+1). Counts, not times; the speed
figures are in benchmarks/page_speed.py."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from marketplace.db import utcnow
from marketplace.hiring.services import apply_to_task
from marketplace.matches.models import Match
from tests.factories import make_assistant, make_owner, make_task


class StatementCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    def count(self, client, url: str) -> int:
        self.statements.clear()
        response = client.get(url)
        assert response.status_code == 200, url
        return len(self.statements)


@pytest.fixture
def counter(app, db_session, monkeypatch):
    # The query shape of each page, not what a worker remembers of it (tasks/test_search_cache).
    monkeypatch.setitem(app.config, "MICROCACHE_SECONDS", 0)
    engine = app.extensions["db"].engine
    counter = StatementCounter(engine)
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def market(session, n: int):
    """An owner with n tasks, n assistants who all applied to the first, each matched to all."""
    owner = make_owner(session)
    tasks = [
        make_task(
            session, owner, title=f"Bookkeeping batch {i}", skills=["QuickBooks", f"skill {i}"]
        )
        for i in range(n)
    ]
    vas = [make_assistant(session, skills=["QuickBooks", f"va skill {i}"]) for i in range(n)]
    now = utcnow()
    for i, va in enumerate(vas):
        apply_to_task(session, va, tasks[0].id, cover_note="Hello", proposed_rate_cents=2500)
        for task in tasks:
            session.add(
                Match(
                    task_id=task.id,
                    assistant_id=va.id,
                    score=0.5 + i / 1000,
                    explanation={"matched_skills": ["QuickBooks"], "overlap_hours": 2},
                    matcher_version="test",
                    ranked_for_task=True,
                    ranked_for_assistant=True,
                    created_at=now,
                    updated_at=now,
                )  # fmt: skip
            )
    session.flush()
    return owner, vas, tasks


# page -> (who looks, statements allowed). When logged in, the user's own row is one of them,
# and the nav's unread-message and notification counts two more (each kept per person for a
# few seconds when the cache is on, as it is outside this test). A task page reads who may
# see it and the viewer's proposal and invitation in one, the task's text in one more (with
# the cache on, only for a version no page of this worker has shown) and the owner's record
# (hires, rating from assistants) in another; a profile its latest reviews;
# the owner's own task page who is working on it (its contracts, with their assistants),
# the plan's hourly worth for its line of what delegating it frees, and what it showed
# (match events: one INSERT for the whole list, whose rows a reload the same day leaves as
# they are); the owner's dashboard the hours handed off (fixed contracts, hourly weeks, the
# plan's worth). Talent search reads the owner's open tasks for its task selector.
PAGES = {
    "home (visitor)": (None, lambda t, v: "/", 6),
    "job search with a query": ("assistant", lambda t, v: "/jobs?q=bookkeeping", 5),
    "job list (visitor)": (None, lambda t, v: "/jobs", 4),
    "job page (assistant)": ("assistant", lambda t, v: f"/tasks/{t.id}", 6),
    "owner's task page with recommendations": ("owner", lambda t, v: f"/tasks/{t.id}", 10),
    "jobs for you": ("assistant", lambda t, v: "/jobs/for-you", 6),
    "proposals on a task": ("owner", lambda t, v: f"/tasks/{t.id}/proposals", 6),
    "my proposals": ("assistant", lambda t, v: "/proposals", 4),
    "owner dashboard": ("owner", lambda t, v: "/dashboard", 7),
    "assistants (visitor)": (None, lambda t, v: "/assistants", 3),
    "a profile (owner)": ("owner", lambda t, v: f"/assistants/{v.id}", 8),
    # The owner's open tasks (the fit selector) and one query for the page with its total.
    "talent search (owner)": ("owner", lambda t, v: "/talent?q=quickbooks", 5),
    # With a task: its stored matches and invitations in the same query; with an overlap
    # filter one more for the candidates' distinct working shifts; and one INSERT of the
    # results shown as impressions of the task (the matcher learns from them).
    "talent search with a task's fit and overlap": (
        "owner",
        lambda t, v: f"/talent?task={t.id}&min_overlap=0&sort=best",
        7,
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_pages_issue_a_fixed_number_of_statements(client, db_session, counter, name):
    who, url, allowed = PAGES[name]
    owner, vas, tasks = market(db_session, 3)
    viewer = {"owner": owner, "assistant": vas[0], None: None}[who]

    def count() -> int:
        if viewer is None:
            client.logout()
        else:
            client.login_as(viewer)
        return counter.count(client, url(tasks[0], vas[0]))

    few = count()
    more_owner, more_vas, more_tasks = market(db_session, 12)
    owner, vas, tasks = more_owner, more_vas, more_tasks
    viewer = {"owner": owner, "assistant": vas[0], None: None}[who]
    many = count()
    listed = "\n".join(" ".join(s.split())[:160] for s in counter.statements)
    assert many == few, f"{name}: {few} statements with 3 rows, {many} with 12:\n{listed}"
    listed = "\n".join(" ".join(s.split())[:160] for s in counter.statements)
    assert many <= allowed, f"{name}: {many} statements, at most {allowed} expected:\n{listed}"
