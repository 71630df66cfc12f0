"""Owners post, edit and close tasks; only the owner may change a task."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from marketplace.tasks.models import BudgetType, Engagement, Task, TaskStatus
from tests.factories import make_assistant, make_owner, make_task, task_form


def count_tasks(session) -> int:
    return session.scalar(select(func.count(Task.id)))


def test_owner_posts_a_one_off_fixed_price_task(client, db_session):
    owner = make_owner(db_session)
    client.login_as(owner)
    response = client.post("/tasks/new", task_form())
    assert response.status_code == 302
    task = db_session.scalars(select(Task)).one()
    assert (task.owner_id, task.status) == (owner.id, TaskStatus.OPEN)
    assert task.budget_type == BudgetType.FIXED and task.budget_cents == 18000
    assert task.estimated_hours == 6 and task.hours_per_week is None
    assert task.max_hourly_rate_cents is None
    assert [s.key for s in task.skills] == ["gmail", "inbox management"]
    page = client.get(response.location).get_data(as_text=True)
    assert "Weekly inbox clean-up" in page and "$180 fixed" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Weekly inbox clean-up" in dashboard and "0 proposals" in dashboard


def test_owner_posts_recurring_hourly_task_and_unused_numbers_are_dropped(client, db_session):
    client.login_as(make_owner(db_session))
    client.post(
        "/tasks/new",
        task_form(
            engagement="recurring",
            hours_per_week="10",
            estimated_hours="6",
            budget_type="hourly",
            max_hourly_rate="25",
            budget="180",
            deadline=(date.today() + timedelta(days=30)).isoformat(),
        ),
    )
    task = db_session.scalars(select(Task)).one()
    assert task.engagement == Engagement.RECURRING
    assert (task.hours_per_week, task.estimated_hours) == (10, None)
    assert (task.max_hourly_rate_cents, task.budget_cents) == (2500, None)


def test_invalid_tasks_get_clear_messages_and_nothing_is_stored(client, db_session):
    client.login_as(make_owner(db_session))
    cases = [
        ({"title": ""}, "Give the task a title"),
        ({"title": "x" * 100_000}, None),
        ({"description": ""}, "Describe the task"),
        ({"budget": "-50"}, "at least"),
        ({"budget": "abc"}, "Enter an amount"),
        ({"budget": "99999999999"}, "at most"),
        ({"budget": ""}, "Enter the fixed budget"),
        ({"estimated_hours": ""}, "Estimate how many hours"),
        ({"timezone": "Atlantis/Capital"}, "Choose a time zone"),
        ({"overlap_hours": "30"}, "Between 0 and 12"),
        ({"deadline": "2001-01-01"}, "cannot be in the past"),
        ({"engagement": "recurring", "hours_per_week": "5"}, "Recurring work is paid by the hour"),
        ({"budget_type": "hourly", "max_hourly_rate": ""}, "maximum hourly rate"),
        ({"category": "spaceflight"}, "Not a valid choice"),
        ({"skills": ""}, "at least one skill"),
    ]
    for change, message in cases:
        response = client.post("/tasks/new", task_form(**change))
        assert response.status_code in (413, 422), change
        if message:
            assert message in response.get_data(as_text=True), change
    assert count_tasks(db_session) == 0


def test_owner_edits_own_open_task(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    client.login_as(owner)
    form_page = client.get(f"/tasks/{task.id}/edit").get_data(as_text=True)
    assert "Monthly bookkeeping in QuickBooks" in form_page and 'value="300"' in form_page
    response = client.post(f"/tasks/{task.id}/edit", task_form(title="Quarterly bookkeeping"))
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Task, task.id).title == "Quarterly bookkeeping"


def test_owner_closes_task_and_it_cannot_be_edited_or_closed_again(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    client.login_as(owner)
    assert client.post(f"/tasks/{task.id}/close").status_code == 302
    db_session.expire_all()
    assert db_session.get(Task, task.id).status == TaskStatus.CLOSED
    assert client.post(f"/tasks/{task.id}/close").status_code == 409
    response = client.post(f"/tasks/{task.id}/edit", task_form())
    assert response.status_code == 409
    assert "can no longer be edited" in response.get_data(as_text=True)


def test_only_the_owner_can_edit_or_close(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    intruder = make_owner(db_session)
    client.login_as(intruder)
    assert client.get(f"/tasks/{task.id}/edit").status_code == 403
    assert client.post(f"/tasks/{task.id}/edit", task_form(title="Hijacked")).status_code == 403
    assert client.post(f"/tasks/{task.id}/close").status_code == 403
    client.login_as(make_assistant(db_session))
    assert client.post(f"/tasks/{task.id}/close").status_code == 403
    assert client.get("/tasks/new").status_code == 403
    db_session.expire_all()
    assert db_session.get(Task, task.id).title == "Monthly bookkeeping in QuickBooks"
    assert db_session.get(Task, task.id).status == TaskStatus.OPEN


def test_missing_or_malformed_task_ids(client, db_session):
    client.login_as(make_owner(db_session))
    assert client.get("/tasks/987654").status_code == 404
    assert client.get("/tasks/987654/edit").status_code == 404
    assert client.post("/tasks/987654/close").status_code == 404
    assert client.get("/tasks/not-a-number").status_code == 404
    assert client.get("/tasks/1e3/edit").status_code == 404


def test_json_clients_get_json_errors(client, db_session):
    client.login_as(make_owner(db_session))
    response = client.get("/tasks/987654", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == "Not found"
    assert "does not exist" in response.json["message"]


def test_anonymous_visitors_are_sent_to_log_in(client, db_session):
    # /jobs, /tasks/<id> and /assistants are public: tests/tasks/test_visitors.py.
    for url in ["/dashboard", "/tasks/new", "/jobs/for-you", "/profile", "/proposals"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_times_are_shown_in_the_viewers_time_zone(client, db_session):
    owner = make_owner(db_session, timezone="Asia/Tokyo")
    task = make_task(db_session, owner)
    client.login_as(owner)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    local = task.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%d %b %Y, %H:%M Tokyo (UTC+9)") in page
    assert "Times are shown in Tokyo (UTC+9)." in page
    assert "JST" not in page
