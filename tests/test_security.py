"""CSRF on every form, escaping of user text, no 500s on hostile input."""

import pytest
from sqlalchemy import func, select

from marketplace.tasks.models import Task
from tests.factories import make_assistant, make_owner, make_task, profile_form, task_form

FORM_POSTS = [
    ("/signup", {}),
    ("/login", {}),
    ("/logout", {}),
    ("/tasks/new", task_form()),
    ("/profile", profile_form()),
]


@pytest.mark.parametrize(("url", "data"), FORM_POSTS)
def test_posts_without_csrf_token_are_refused(client, db_session, url, data):
    if url == "/profile":
        client.login_as(make_assistant(db_session))
    elif url != "/signup" and url != "/login":
        client.login_as(make_owner(db_session))
    response = client.post(url, data, csrf=False)
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)


def test_task_actions_refuse_a_forged_token(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    client.login_as(owner)
    assert client.post(f"/tasks/{task.id}/close", {"csrf_token": "forged"}).status_code == 400
    assert client.post("/tasks/new", {**task_form(), "csrf_token": "forged"}).status_code == 400
    assert db_session.scalar(select(func.count(Task.id))) == 1


def test_every_page_form_carries_a_csrf_token(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    client.login_as(owner)
    for url in ["/tasks/new", f"/tasks/{task.id}/edit", f"/tasks/{task.id}"]:
        page = client.get(url).get_data(as_text=True)
        assert page.count('method="post"') == page.count('name="csrf_token"'), url


def test_user_text_is_escaped_everywhere(client, other_client, db_session):
    script = "<script>alert('x')</script>"
    owner = make_owner(db_session, display_name=script)
    task = make_task(db_session, owner, title=f"Job {script}", description=f"Desc {script}")
    va = make_assistant(db_session, display_name=script, headline=f"Hi {script}", bio=script)
    client.login_as(va)
    client.post(
        f"/tasks/{task.id}/apply",
        {"cover_note": f"Note {script} long enough", "proposed_rate": "20"},
    )
    other_client.login_as(owner)
    pages = [
        client.get("/jobs"),
        client.get(f"/tasks/{task.id}"),
        client.get("/proposals"),
        client.get(f"/assistants/{va.id}"),
        other_client.get(f"/tasks/{task.id}/proposals"),
        other_client.get("/dashboard"),
    ]
    for page in pages:
        text = page.get_data(as_text=True)
        assert script not in text
    assert "&lt;script&gt;" in pages[1].get_data(as_text=True)


def test_oversized_request_is_refused_cleanly(client, db_session):
    client.login_as(make_owner(db_session))
    response = client.post("/tasks/new", task_form(description="x" * 3_000_000))
    assert response.status_code == 413
    assert db_session.scalar(select(func.count(Task.id))) == 0
