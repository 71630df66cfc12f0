"""The owner's task page and task form say what handing the task off frees and costs, from
the owner's own hourly worth and today's rates: the recommended assistants', or before anyone
is recommended, those of the assistants fit for the nearest catalogue work. One rule, so the
form and the page agree to the cent."""

import html
import re

from marketplace.db import utcnow
from marketplace.matches.models import Match
from marketplace.planner.models import Plan
from marketplace.tasks.models import BudgetType, Engagement
from tests.factories import make_assistant, make_owner, make_task


def matched(session, task, rates):
    now = utcnow()
    for i, rate in enumerate(rates):
        va = make_assistant(session, skills=["Gmail"], hourly_rate_cents=rate)
        session.add(
            Match(
                task_id=task.id,
                assistant_id=va.id,
                score=0.6 + i / 100,
                explanation={"matched_skills": ["Gmail"], "overlap_hours": 2},
                matcher_version="test",
                ranked_for_task=True,
                ranked_for_assistant=True,
                created_at=now,
                updated_at=now,
            )  # fmt: skip
        )
    session.flush()


def recurring_task(session, owner):
    return make_task(
        session,
        owner,
        title="Inbox, ten hours a week",
        engagement=Engagement.RECURRING,
        estimated_hours=None,
        hours_per_week=10,
        budget_type=BudgetType.HOURLY,
        budget_cents=None,
        max_hourly_rate_cents=4000,
    )


def line_in(page: str) -> str:
    found = re.search(r'<p class="roi" data-testid="roi"[^>]*>(.*?)</p>', page, re.S)
    assert found, "no ROI line on the page"
    return found.group(1)


def roi_line(client, task) -> str:
    return line_in(client.get(f"/tasks/{task.id}").get_data(as_text=True))


def asked(client, **fields) -> str:
    """What static/roi.js puts on the form for these fields."""
    response = client.get("/tasks/roi", query_string=fields)
    assert response.status_code == 200
    return response.get_json()["html"]


def form_fields(task, **changes):
    fields = {
        "title": task.title,
        "skills": ", ".join(s.name for s in task.skills),
        "category": task.category.value,
        "engagement": task.engagement.value,
        "estimated_hours": task.estimated_hours or "",
        "hours_per_week": task.hours_per_week or "",
        "currency": task.currency,
        "task": task.id,
    }
    return {**fields, **changes}


def test_the_line_prices_the_hours_at_the_owners_worth_and_the_middle_market_rate(
    client, db_session
):
    owner = make_owner(db_session)
    task = recurring_task(db_session, owner)
    matched(db_session, task, [2000, 3000, 2500])
    db_session.add(Plan(owner_id=owner.id, hourly_worth_cents=12000, currency="USD"))
    db_session.flush()
    client.login_as(owner)
    line = roi_line(client, task)
    assert line.startswith(
        "Frees about 10 h a week of your time, worth $1,200, for about $250 a week"
    )
    assert "the middle rate of the 3 assistants recommended for this task" in line


def test_the_edit_form_says_what_the_page_says_and_follows_the_hours(client, db_session):
    owner = make_owner(db_session)
    task = recurring_task(db_session, owner)
    matched(db_session, task, [2000, 3000, 2500, 2700])
    db_session.add(Plan(owner_id=owner.id, hourly_worth_cents=8000, currency="USD"))
    db_session.flush()
    client.login_as(owner)
    on_page = roi_line(client, task)
    # 10 h at $80 and at the middle of 20, 25, 27, 30 (26): $800 and $260
    assert on_page.startswith("Frees about 10 h a week of your time, worth $800, for about $260")
    edit = client.get(f"/tasks/{task.id}/edit").get_data(as_text=True)
    assert line_in(edit) == on_page
    assert 'data-roi-url="/tasks/roi?task=' in edit and "roi.js" in edit
    assert asked(client, **form_fields(task)) == on_page
    # The owner types 5 hours: the line follows, with the same rates.
    assert asked(client, **form_fields(task, hours_per_week=5)).startswith(
        "Frees about 5 h a week of your time, worth $400, for about $130 a week at today"
    )
    # A one-off of 12 hours is 12 hours in all, not a week.
    assert asked(client, **form_fields(task, engagement="one_off", estimated_hours=12)).startswith(
        "Frees about 12 h of your time, worth $960, for about $312 at today"
    )


def test_hours_the_form_would_refuse_give_no_line_and_no_error(client, db_session):
    owner = make_owner(db_session)
    task = recurring_task(db_session, owner)
    client.login_as(owner)
    assert asked(client, **form_fields(task, hours_per_week="lots")) == ""
    assert asked(client, **form_fields(task, hours_per_week="999")) == ""
    assert asked(client, engagement="recurring") == ""


def test_someone_elses_task_is_refused_as_its_edit_page_is(client, other_client, db_session):
    task = recurring_task(db_session, make_owner(db_session))
    stranger = make_owner(db_session)
    db_session.flush()
    other_client.login_as(stranger)
    # Open tasks are public, so (as on /tasks/<id>/edit) a stranger is refused, not misled.
    assert other_client.get(f"/tasks/{task.id}/edit").status_code == 403
    assert other_client.get(f"/tasks/roi?task={task.id}").status_code == 403
    assert other_client.get("/tasks/roi?task=abc").status_code == 404


def test_without_a_plan_it_asks_for_the_owners_worth(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)  # one-off, 10 hours
    matched(db_session, task, [2200])
    client.login_as(owner)
    line = roi_line(client, task)
    assert line.startswith("Frees about 10 h of your time, for about $220 at today")
    assert '<a href="/plan">Tell us what an hour of your time is worth</a>' in line
    # No worth is made up, on the form either.
    assert "worth $" not in asked(client, **form_fields(task))


def test_a_new_task_is_priced_from_the_nearest_catalogue_works_market(app, client, db_session):
    from tests.planner.test_planner import BOOKKEEPERS, bookkeeping_pool, rebuild

    bookkeeping_pool(db_session)
    rebuild(app)
    owner = make_owner(db_session)
    db_session.add(Plan(owner_id=owner.id, hourly_worth_cents=10000, currency="USD"))
    db_session.commit()
    client.login_as(owner)
    new = client.get("/tasks/new").get_data(as_text=True)
    assert 'data-roi-url="/tasks/roi"' in new and line_in(new) == ""  # no hours yet
    weekly_books = {
        "title": "Weekly bookkeeping in QuickBooks",
        "skills": "QuickBooks",
        "category": "bookkeeping",
        "engagement": "recurring",
        "hours_per_week": "4",
        "currency": "USD",
    }
    line = html.unescape(asked(client, **weekly_books))
    # 4 h at $100, and at the middle of the six bookkeepers' rates ($32.50)
    assert line.startswith(
        "Frees about 4 h a week of your time, worth $400, for about $130 a week at today's "
        "rates (the middle rate of the 6 assistants who fit similar “Bookkeeping and "
        "reconciliation” work"
    )
    assert len(BOOKKEEPERS) == 6
    # In another currency nobody charges in, no rate is invented (nor a worth).
    assert (
        asked(client, **{**weekly_books, "currency": "EUR"})
        == "Frees about 4 h a week of your time."
    )
    # Work like nothing in the catalogue: the hours, and no price.
    other = {**weekly_books, "title": "Walk the dog", "skills": "dog walking", "category": "other"}
    assert asked(client, **other) == "Frees about 4 h a week of your time, worth $400."
