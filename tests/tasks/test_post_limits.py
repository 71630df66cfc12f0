"""An owner may post only so many tasks an hour and a day: each post emails assistants."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from marketplace.tasks.models import Task
from tests.factories import make_owner, make_task, task_form


def tasks_of(session, owner) -> int:
    return session.scalar(select(func.count(Task.id)).where(Task.owner_id == owner.id))


@time_machine.travel(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), tick=False)
def test_the_21st_post_in_an_hour_waits_and_keeps_what_was_typed(app, client, db_session):
    assert app.config["TASK_POST_LIMITS"] == "20 per hour; 100 per day"
    owner, neighbour = make_owner(db_session), make_owner(db_session)
    for n in range(19):
        make_task(db_session, owner, title=f"Earlier task {n}")
    client.login_as(owner)
    assert client.post("/tasks/new", task_form(title="The twentieth")).status_code == 302

    typed = task_form(title="Ship 40 parcels by Friday", description="Print labels " * 10)
    response = client.post("/tasks/new", typed)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "You have posted 20 tasks in the last hour" in page
    assert "You can post this one in 60 minutes" in page
    assert 'value="Ship 40 parcels by Friday"' in page and "Print labels Print labels" in page
    assert tasks_of(db_session, owner) == 20
    # Another owner is not affected.
    client.login_as(neighbour)
    assert client.post("/tasks/new", task_form()).status_code == 302


def test_posting_opens_again_as_the_window_moves_and_the_day_has_its_own_cap(
    app, client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "TASK_POST_LIMITS", "2 per hour; 3 per day")
    owner = make_owner(db_session)
    client.login_as(owner)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        statuses = [client.post("/tasks/new", task_form()).status_code for _ in range(3)]
        assert statuses == [302, 302, 429]
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert client.post("/tasks/new", task_form()).status_code == 302
        refused = client.post("/tasks/new", task_form())
        assert refused.status_code == 429
        assert "You have posted 3 tasks in the last day" in refused.get_data(as_text=True)
        assert "in 23 hours" in refused.get_data(as_text=True)
    with time_machine.travel(start + timedelta(days=1, minutes=1), tick=False):
        assert client.post("/tasks/new", task_form()).status_code == 302
    assert tasks_of(db_session, owner) == 4


def test_closed_tasks_still_count(app, client, db_session, monkeypatch):
    """Otherwise post, close, post again would get around the cap."""
    monkeypatch.setitem(app.config, "TASK_POST_LIMITS", "2 per hour")
    owner = make_owner(db_session)
    client.login_as(owner)
    for _ in range(2):
        task_id = int(client.post("/tasks/new", task_form()).location.rsplit("/", 1)[1])
        assert client.post(f"/tasks/{task_id}/close").status_code == 302
    assert client.post("/tasks/new", task_form()).status_code == 429
