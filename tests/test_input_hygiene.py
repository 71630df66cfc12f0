"""Hostile input on every form and route gets a message or a 4xx, never a 500 (item 20), and
names with line breaks cannot break email (item 12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from wtforms import FieldList, FormField

from marketplace.accounts import tokens
from marketplace.accounts.forms import ConfirmForm, LoginForm, ResendForm, SignUpForm
from marketplace.contracts.forms import HireForm
from marketplace.hiring.forms import ProposalForm
from marketplace.hiring.services import apply_to_task
from marketplace.notifications.forms import PreferencesForm
from marketplace.profiles.forms import ProfileForm
from marketplace.profiles.models import AssistantProfile
from marketplace.tasks.browse_form import JobFilterForm
from marketplace.tasks.forms import TaskForm
from marketplace.tasks.models import Task
from tests.accounts.signup import SIGNUP
from tests.factories import PASSWORD, make_assistant, make_owner, make_task, profile_form, task_form

NUL = "Dana\x00Baker"
HOSTILE = {
    "nul": NUL,
    "escape": "Dana\x1b[31mBaker",
    "digits": "1" * 30,  # 27+ digits overflowed Decimal's context in MoneyField
    "exponent": "1e400",
    "casefold": "ß" * 33,  # 33 characters typed, 66 once case-folded
}


@pytest.fixture(autouse=True)
def no_matching(monkeypatch):
    """Ranking is not under test here, and every accepted post would run the matcher inline
    (seconds each); the jobs still run, they just do nothing."""
    from marketplace.jobs import JOBS, lookup

    for name in ("matches.match_task", "matches.match_assistant"):
        lookup(name)
        monkeypatch.setitem(JOBS, name, lambda session, *args: None)


@dataclass
class Route:
    name: str
    method: str
    form: type
    role: str | None  # who is logged in
    data: dict[str, str]

    def url(self, scene: dict[str, Any]) -> str:
        return {
            "signup": "/signup",
            "login": "/login",
            "resend": "/signup/resend",
            "confirm": f"/signup/confirm/{scene['token']}",
            "post_task": "/tasks/new",
            "edit_task": f"/tasks/{scene['task'].id}/edit",
            "profile": "/profile",
            "apply": f"/tasks/{scene['task'].id}/apply",
            "hire": f"/proposals/{scene['proposal'].id}/hire",
            "email_settings": "/settings/email",
            "browse": "/jobs",
        }[self.name]


ROUTES = [
    Route("signup", "POST", SignUpForm, None, SIGNUP),
    Route("login", "POST", LoginForm, None, {"email": "a@example.com", "password": "x" * 12}),
    Route("resend", "POST", ResendForm, None, {"email": "a@example.com"}),
    Route("confirm", "POST", ConfirmForm, None, {"password": "a long enough password"}),
    Route("post_task", "POST", TaskForm, "owner", task_form()),
    Route("edit_task", "POST", TaskForm, "owner", task_form()),
    Route("profile", "POST", ProfileForm, "assistant", profile_form()),
    Route(
        "apply",
        "POST",
        ProposalForm,
        "other_assistant",
        {"cover_note": "I reconcile bank feeds for bakeries.", "proposed_rate": "25"},
    ),
    Route("hire", "POST", HireForm, "owner", {"hours": "5"}),
    Route(
        "email_settings",
        "POST",
        PreferencesForm,
        "assistant",  # owners get min_match_percent as a hidden field
        {"frequency": "instant", "min_match_percent": "40"},
    ),
    Route("browse", "GET", JobFilterForm, "assistant", {"q": "bookkeeping", "min_rate": "10"}),
]


def field_names(form_class) -> list[str]:
    """Every input of the form as the app defines it, so a new field is covered too; a list
    of sub-forms (the hire form's milestone rows) by its first row's inputs, as browsers
    send them (``milestones-0-title``)."""
    names = []
    for klass in form_class.__mro__:
        for name, value in vars(klass).items():
            if not hasattr(value, "field_class"):
                continue
            if value.field_class is FieldList and value.args[0].field_class is FormField:
                row = value.args[0].args[0]
                names += [f"{name}-0-{sub}" for sub in field_names(row)]
            else:
                names.append(name)
    return names


CASES = [
    pytest.param(route, field, kind, id=f"{route.name}-{field}-{kind}")
    for route in ROUTES
    for field in dict.fromkeys(field_names(route.form))
    for kind in HOSTILE
]


@pytest.fixture
def scene(app, db_session):
    owner = make_owner(db_session)
    assistant = make_assistant(db_session)
    other = make_assistant(db_session)
    task = make_task(db_session, owner)
    proposal = apply_to_task(
        db_session,
        assistant,
        task.id,
        cover_note="A cover note long enough.",
        proposed_rate_cents=2500,
    )
    pending = make_owner(db_session, email="pending@example.com", email_verified_at=None)
    token = tokens.make_token(app.config["SECRET_KEY"], tokens.CONFIRM_SIGNUP, pending)
    users = {"owner": owner, "assistant": assistant, "other_assistant": other}
    return {"task": task, "proposal": proposal, "token": token, "users": users}


def stored_text(session) -> list[str]:
    """The user text that could have been saved by the requests above."""
    session.expire_all()
    texts = [t.title + t.description for t in session.scalars(select(Task))]
    texts += [p.headline + p.bio for p in session.scalars(select(AssistantProfile))]
    return texts


@pytest.mark.parametrize(("route", "field", "kind"), CASES)
def test_hostile_input_gets_a_message_or_a_4xx_never_a_500(
    client, db_session, scene, route, field, kind
):
    if route.role:
        client.login_as(scene["users"][route.role])
    data = {**route.data, field: HOSTILE[kind]}
    url = route.url(scene)
    if route.method == "GET":
        response = client.get(url, query_string=data)
    else:
        response = client.post(url, data)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if kind in ("nul", "escape"):
        assert response.status_code in (302, 400, 422)
        page = response.get_data(as_text=True)
        if route.method == "GET" and kind == "nul":
            assert "NUL character (%00)" in page
        elif response.status_code == 422 and field != "email" or route.name == "signup":
            assert "Remove the control character U+00" in page
            # What the person typed is kept in the form for them to fix.
            if field in ("display_name", "title", "headline", "cover_note"):
                assert "Baker" in page
        assert not any("\x00" in t or "\x1b" in t for t in stored_text(db_session))


@pytest.mark.parametrize(
    "query",
    ["min_rate=1e27", "min_rate=1e400", "min_budget=" + "9" * 30, "min_rate=NaN", "min_rate=-inf"],
)
def test_job_search_with_absurd_amounts_says_what_is_wrong(client, db_session, query):
    client.login_as(make_assistant(db_session))
    response = client.get(f"/jobs?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter an amount such as 25 or 25.50." in page or "at most" in page


def test_money_with_thirty_digits_gets_the_limit_and_keeps_what_was_typed(client, db_session):
    client.login_as(make_owner(db_session))
    response = client.post("/tasks/new", task_form(budget="1" * 30))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The amount can be at most 100,000.00." in page
    assert 'value="' + "1" * 30 + '"' in page


@pytest.mark.parametrize("where", ["task", "profile"])
def test_a_skill_too_long_once_case_folded_is_refused_with_a_message(client, db_session, where):
    if where == "task":
        client.login_as(make_owner(db_session))
        response = client.post("/tasks/new", task_form(skills="QuickBooks, " + "ß" * 33))
    else:
        client.login_as(make_assistant(db_session, profile=False))
        response = client.post("/profile", profile_form(skills="ß" * 33))
    assert response.status_code == 422
    assert "A skill can be at most 64 characters." in response.get_data(as_text=True)
    # 32 of them fold to exactly 64 and are a skill like any other.
    ok = (
        client.post("/tasks/new", task_form(skills="ß" * 32))
        if where == "task"
        else client.post("/profile", profile_form(skills="ß" * 32))
    )
    assert ok.status_code == 302


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/login?next=/%0d%0aSet-Cookie:%20a=b", "control character U+000D"),
        ("/jobs?q=new%0aline", "control character U+000A"),
        ("/jobs?q=%1b[31m", "control character U+001B"),
    ],
)
def test_other_control_characters_in_the_address_are_a_400_too(client, db_session, url, reason):
    # A line break in ?next= would end up in the Location header: a 500 from Werkzeug.
    owner = make_owner(db_session, email="next@example.com")
    if url.startswith("/login"):
        response = client.post(url, {"email": owner.email, "password": PASSWORD})
    else:
        client.login_as(owner)
        response = client.get(url)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/contracts?checkout=%00",
        "/login?next=%00",
        "/signup?role=%00",
        "/jobs?sort=new%00est",
        "/unsubscribe/abc%00def",
        "/signup/confirm/abc%00def",
    ],
)
def test_a_nul_in_the_address_of_a_route_without_a_form_is_a_400_with_the_reason(
    client, db_session, url
):
    client.login_as(make_owner(db_session))
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character (%00)" in response.get_data(as_text=True)
