"""The owner's and the assistant's reasons: true of the people named, read from the matcher's
explanation (nothing recomputed), and rows stored by matcher 1.x still render."""

from sqlalchemy import select

from marketplace.matches.explain import explain
from marketplace.matches.models import Match
from marketplace.profiles.models import AssistantProfile
from marketplace.tasks.models import BudgetType, Engagement, Task
from tests.factories import make_assistant, make_owner, task_form
from tests.matches.test_matches import post_task


def _section(client, task_id):
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    return page[page.index("Recommended assistants") :]


def test_a_similar_tool_is_never_shown_as_the_skill_the_owner_asked_for(client, db_session):
    make_assistant(db_session, display_name="Fay Ledger", headline="Bookkeeper",
                   bio="Monthly bookkeeping for shops, 10 hours a month or more.",
                   skills=["FreshBooks", "Wave Accounting"], timezone="America/Bogota")
    make_assistant(db_session, display_name="Cal Endly", headline="Scheduling assistant",
                   bio="I keep calendars tidy.", skills=["Calendly"], timezone="America/Bogota")
    client.login_as(make_owner(db_session))
    books = post_task(client, **task_form(
        title="Monthly bookkeeping", skills="QuickBooks",
        description="I need a bookkeeper about 10 hours a month for our shop's books."))
    section = _section(client, books)
    fay = section[section.index("Fay Ledger"):]
    assert "Related skills: uses FreshBooks and Wave Accounting, similar to QuickBooks" in fay
    assert "Skills you asked for" not in fay.split("Cal Endly")[0]
    assert "Skills you asked for: bookkeeping" not in section
    terms = next(line for line in fay.splitlines() if "Also in common:" in line)
    assert "bookkeeping" in terms
    assert not {"need", "hours", "month", "10"} & set(terms.replace(",", " ").split())

    calendar = post_task(client, **task_form(
        title="Calendar help", skills="calendar management",
        description="Keep my calendars tidy."))
    cal = _section(client, calendar)
    cal = cal[cal.index("Cal Endly"):]
    assert "Related skills: uses Calendly, similar to calendar management" in cal
    assert "Skills you asked for: calendar management" not in cal


def _task(**kw):
    values = dict(title="Inbox", description="", budget_type=BudgetType.HOURLY,
                  engagement=Engagement.RECURRING, hours_per_week=5,
                  max_hourly_rate_cents=3000, currency="USD", timezone="America/New_York")
    values.update(kw)
    return Task(**values)


def _profile(**kw):
    values = dict(hourly_rate_cents=9900, currency="USD", hours_per_week=1,
                  timezone="Asia/Manila", rating=None, review_count=0)
    values.update(kw)
    return AssistantProfile(**values)


EXPLANATION = {
    "contributions": {}, "factor_values": {},
    "skills": [{"asked": "Gmail", "has": ["Gmail"], "kind": "exact"},
               {"asked": "QuickBooks", "has": ["Xero"], "kind": "similar"},
               {"asked": "payroll", "has": ["QuickBooks", "Gusto"], "kind": "related"}],
    "matched_terms": ["inbox", "replies"],
    "overlap_hours": 2.0,
    "overlap_window": {"start": "2025-03-03T14:00:00Z", "end": "2025-03-03T16:00:00Z"},
    "rate_fit": 0.7, "hourly_rate_cents": 2250, "currency": "USD", "hours_per_week": 20.0,
    "reputation": {"rating": 4.8, "review_count": 12, "bayesian": 0.9, "cold_start_bonus": 0},
}


def test_every_figure_comes_from_the_matchers_explanation():
    # the profile's current figures all differ: the lines must describe what was scored
    lines = explain(EXPLANATION, _task(), _profile(), owner=True)
    assert lines[0] == "Skills you asked for: has Gmail"
    assert lines[1] == ("Related skills: uses Xero, similar to QuickBooks; "
                        "uses QuickBooks and Gusto, related to payroll")
    assert lines[2] == "Rate: $22.50/h, within your maximum of $30/h"
    # 14:00-16:00 UTC is 09:00-11:00 in New York and 22:00-00:00 in Manila (UTC+8)
    assert lines[3].startswith("Working time: 2 h a day in common, ")
    assert "09:00–11:00" in lines[3] and "22:00–00:00" in lines[3]
    assert lines[4] == "Availability: Available 20 h a week; the task needs 5 h a week"
    assert lines[5] == "Reputation: rated 4.8/5 from 12 reviews"
    assert lines[6] == "Also in common: inbox, replies"
    mine = explain(EXPLANATION, _task(), _profile(), owner=False)
    assert mine[0] == "Your skills the task asks for: Gmail"
    assert mine[1].startswith("Related skills: you list Xero, similar to QuickBooks")
    assert "Reputation" not in " ".join(mine)


def test_no_shared_hours_says_so():
    lines = explain({**EXPLANATION, "overlap_hours": 0.0, "overlap_window": None},
                    _task(), _profile(), owner=True)
    assert "Working time: no shared working hours with the owner's office day" in lines


LEGACY = {  # what matcher 1.1.0 stored
    "contributions": {"text": 0.3}, "factor_values": {"text": 0.6},
    "matched_skills": ["email management"], "related_skills": ["calendar management"],
    "matched_terms": ["hours", "inbox", "month"], "overlap_hours": 2.5, "rate_fit": None,
    "hourly_rate_cents": 2500, "hours_per_week": 20,
    "reputation": {"rating": None, "review_count": 0, "bayesian": 0.8,
                   "cold_start_bonus": 0.1},
}


def test_rows_stored_by_matcher_1_still_render_without_claims_they_cannot_back():
    lines = explain(LEGACY, _task(), _profile(), owner=True)
    assert lines[0] == "Skill areas in common: email management, calendar management"
    assert "Working time: 2.5 h a day in common" in lines
    assert "Reputation: new on Delegate, no reviews yet" in lines
    assert not any(line.startswith("Also in common") for line in lines)  # could be filler


def test_a_stored_1_x_row_renders_on_the_owners_page(client, db_session):
    joy = make_assistant(db_session, display_name="Joy Santos", skills=["Gmail"],
                         headline="Inbox manager", bio="Gmail triage", timezone="America/Bogota")
    client.login_as(make_owner(db_session))
    task_id = post_task(client)
    row = db_session.scalars(
        select(Match).where(Match.task_id == task_id, Match.assistant_id == joy.id)).one()
    row.explanation, row.matcher_version = LEGACY, "1.1.0"
    db_session.commit()
    section = _section(client, task_id)
    assert "Skill areas in common: email management, calendar management" in section
    assert "Working time: 2.5 h a day in common" in section
