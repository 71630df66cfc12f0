"""Assistants keep a profile: skills in one shared vocabulary, rate in cents, hours, zone."""

from datetime import time

from sqlalchemy import func, select

from marketplace.profiles.models import AssistantProfile
from marketplace.skills.models import Skill
from tests.factories import make_assistant, make_owner, profile_form


def test_assistant_saves_profile_and_sees_it(client, db_session):
    va = make_assistant(db_session, profile=False, display_name="Joy Santos")
    client.login_as(va)
    response = client.post("/profile", profile_form())
    assert response.status_code == 302
    db_session.expire_all()  # the request saved the account's zone too, in its own session
    profile = db_session.get(AssistantProfile, va.id)
    assert profile.hourly_rate_cents == 2250
    assert (profile.work_start, profile.work_end) == (time(9), time(17))
    assert profile.timezone == "Asia/Manila"
    page = client.get(f"/assistants/{va.id}").get_data(as_text=True)
    assert "Joy Santos" in page and "$22.50/h" in page and "Google Calendar" in page


def test_skills_are_one_vocabulary_whatever_the_spelling(client, db_session):
    first = make_assistant(db_session, profile=False)
    second = make_assistant(db_session, profile=False)
    client.login_as(first)
    client.post("/profile", profile_form(skills="QuickBooks, quickbooks , Inbox   management"))
    client.login_as(second)
    client.post("/profile", profile_form(skills="quickbooks, QuickBooks "))
    keys = db_session.scalars(select(Skill.key).order_by(Skill.key)).all()
    assert keys == ["inbox management", "quickbooks"]
    assert [s.name for s in db_session.get(AssistantProfile, first.id).skills] == [
        "Inbox management",
        "QuickBooks",
    ]


def test_editing_profile_keeps_one_row_and_updates_it(client, db_session):
    va = make_assistant(db_session)
    client.login_as(va)
    form_page = client.get("/profile").get_data(as_text=True)
    assert 'value="25"' in form_page  # current rate shown in the form
    client.post("/profile", profile_form(hourly_rate="31", skills="Canva"))
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(AssistantProfile)) == 1
    profile = db_session.get(AssistantProfile, va.id)
    assert profile.hourly_rate_cents == 3100
    assert [s.name for s in profile.skills] == ["Canva"]


def test_bad_profile_input_is_explained_and_nothing_saved(client, db_session):
    va = make_assistant(db_session, profile=False)
    client.login_as(va)
    cases = {
        "hourly_rate": ("-5", "at least"),
        "timezone": ("Nowhere/Land", "Choose a time zone"),
        "hours_per_week": ("200", "Between 1 and 80"),
        "work_start": ("25:99", "Not a valid time"),
        "headline": ("x" * 500, "120"),
        "skills": ("", "at least one skill"),
    }
    for field, (value, message) in cases.items():
        response = client.post("/profile", profile_form(**{field: value}))
        assert response.status_code == 422, field
        assert message in response.get_data(as_text=True), field
    same_hours = client.post("/profile", profile_form(work_start="09:00", work_end="09:00"))
    assert same_hours.status_code == 422
    absurd = client.post("/profile", profile_form(hourly_rate="1000000"))
    assert "at most" in absurd.get_data(as_text=True)
    assert db_session.get(AssistantProfile, va.id) is None


def test_owners_have_no_profile_page_to_edit(client, db_session):
    client.login_as(make_owner(db_session))
    assert client.get("/profile").status_code == 403
    assert client.post("/profile", profile_form()).status_code == 403


def test_unknown_profile_is_404(client, db_session):
    client.login_as(make_owner(db_session))
    assert client.get("/assistants/999999").status_code == 404
    assert client.get("/assistants/abc").status_code == 404
