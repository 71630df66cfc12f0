"""One owner posting many tasks at the same moment (an API client posting a batch, a script,
several tabs): the hourly allowance holds exactly, every refused post says why, and nothing
fails. Committed rows in separate connections, on both databases: PostgreSQL serialises the
count with the owner's row lock, SQLite with its write lock."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.db import get_session
from marketplace.skills.models import Skill
from marketplace.tasks.models import Task
from tests.concurrency import together
from tests.conftest import Client
from tests.factories import make_owner, task_form

POSTS = 10
ALLOWED = 4


def test_simultaneous_posts_by_one_owner_stop_exactly_at_the_allowance(committed_app):
    committed_app.config["TASK_POST_LIMITS"] = f"{ALLOWED} per hour; 100 per day"
    with committed_app.app_context():
        session = get_session()
        owner = make_owner(session)
        session.commit()
        owner_id = owner.id
        browsers = [Client(committed_app.test_client()) for _ in range(POSTS)]
        for browser in browsers:
            browser.login_as(owner)
    # Outside the app context: inside it, every request would share one `g` and one token.
    clients = [(browser, browser.csrf_token()) for browser in browsers]

    def post(n: int, client: Client, token: str):
        # Every post names the same skill nobody has used yet: the first creates it.
        form = task_form(title=f"Reconcile the March bank feed, batch {n}", skills="Zoho Books")
        response = client.raw.post("/tasks/new", data={**form, "csrf_token": token})
        return response.status_code, response.get_data(as_text=True)

    answers = together(*(lambda n=n, c=c: post(n, *c) for n, c in enumerate(clients)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [302] * ALLOWED + [429] * (POSTS - ALLOWED)
    refused = [page for status, page in answers if status == 429]
    assert all(f"You have posted {ALLOWED} tasks in the last hour" in page for page in refused)
    assert all("Reconcile the March bank feed, batch" in page for page in refused)  # kept
    with committed_app.app_context():
        session = get_session()
        posted = session.scalars(select(Task).where(Task.owner_id == owner_id)).all()
        assert len(posted) == ALLOWED
        assert all([skill.name for skill in task.skills] == ["Zoho Books"] for task in posted)
        assert session.scalar(select(func.count()).where(Skill.name == "Zoho Books")) == 1
