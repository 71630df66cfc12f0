"""The owner's and the assistant's reasons: true of the people named, read from the matcher's
explanation (nothing recomputed), and rows stored by matcher 1.x still render."""

import datetime as dt
import html
import re

from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

import matching
from marketplace.accounts.models import User
from marketplace.matches.explain import explain
from marketplace.matches.models import Match
from marketplace.profiles.models import AssistantProfile
from marketplace.tasks.models import BudgetType, Engagement, Task
from matching.vocabulary import fold
from tests.factories import make_assistant, make_owner, task_form
from tests.matches.test_matches import post_task
from tests.matching.matching_strategies import (
    NOT_MEANINGFUL,
    NUMBER,
    VOCABULARY,
    noisy_jobs,
    noisy_people,
    spelled_skills,
)


def _section(client, task_id):
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    return page[page.index("Recommended assistants") :]


def reasons(page: str, title: str) -> list[str] | None:
    """The "why" lines of the page's card whose title link reads `title`, as a person reads
    them; None when no card has that title."""
    for card in re.split(r'<li class="[^"]*card[^"]*">', page)[1:]:
        if re.search(rf'class="title"[^>]*>{re.escape(html.escape(title))}</a>', card):
            why = card[card.index('<ul class="why">') : card.index("</ul>")]
            return [html.unescape(line) for line in re.findall(r"<li>(.*?)</li>", why)]
    return None


def words_in_common(lines: list[str]) -> set[str]:
    line = next((x for x in lines if x.startswith("Also in common: ")), "Also in common: ")
    return set(line.removeprefix("Also in common: ").replace(",", " ").split())


BOOKS_TASK = dict(
    title="Monthly bookkeeping",
    skills="QuickBooks",
    description="I need a virtual assistant for our shop's bookkeeping, about 10 hours a "
    "month, 10am-5pm. I'll send the invoices; don't be late.",
)


def test_both_sides_read_has_for_the_skill_asked_and_similar_for_another_tool(
    client, other_client, db_session
):
    quinn = make_assistant(
        db_session,
        display_name="Quinn Books",
        headline="Bookkeeper",
        bio="QuickBooks bookkeeping and invoices for shops, 10 hrs a week. I'll help, don't worry.",
        skills=["QuickBooks"],
        timezone="America/Bogota",
    )
    fay = make_assistant(
        db_session,
        display_name="Fay Ledger",
        headline="Bookkeeper",
        bio="Monthly bookkeeping for shops, 10 hours a month or more. "
        "I'll chase invoices from 10am to 5pm.",
        skills=["FreshBooks", "Wave Accounting"],
        timezone="America/Bogota",
    )
    client.login_as(make_owner(db_session))
    task_id = post_task(client, **task_form(**BOOKS_TASK))
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)

    owner_quinn, owner_fay = reasons(page, "Quinn Books"), reasons(page, "Fay Ledger")
    assert "Skills you asked for: has QuickBooks" in owner_quinn
    assert "quickbooks" not in words_in_common(owner_quinn)  # said already
    assert "Related skills: uses FreshBooks and Wave Accounting, similar to QuickBooks" in (
        owner_fay
    )
    assert not any(line.startswith("Skills you asked for") for line in owner_fay)

    other_client.login_as(fay)
    fays = reasons(other_client.get("/jobs/for-you").get_data(as_text=True), "Monthly bookkeeping")
    assert "Related skills: you list FreshBooks and Wave Accounting, similar to QuickBooks" in fays
    assert not any(line.startswith("Your skills the task asks for") for line in fays)
    other_client.login_as(quinn)
    quinns = reasons(
        other_client.get("/jobs/for-you").get_data(as_text=True), "Monthly bookkeeping"
    )
    assert "Your skills the task asks for: QuickBooks" in quinns

    for lines in (owner_quinn, owner_fay, fays, quinns):
        shared = words_in_common(lines)
        assert "bookkeeping" in shared and "invoices" in shared, lines
        assert not {w for w in shared if w in NOT_MEANINGFUL or NUMBER.fullmatch(w)}, lines


def test_calendly_reads_as_calendly_on_both_sides(client, other_client, db_session):
    cal = make_assistant(
        db_session,
        display_name="Cal Endly",
        headline="Scheduling assistant",
        bio="I keep calendars tidy with Calendly.",
        skills=["Calendly"],
        timezone="America/Bogota",
    )
    client.login_as(make_owner(db_session))
    general = post_task(
        client,
        **task_form(
            title="Calendar help",
            skills="calendar management",
            description="Keep my calendars tidy.",
        ),
    )
    by_name = post_task(
        client,
        **task_form(
            title="Calendly set-up",
            skills="Calendly",
            description="Set up Calendly booking pages for my calendars.",
        ),
    )

    owner = reasons(client.get(f"/tasks/{general}").get_data(as_text=True), "Cal Endly")
    assert "Related skills: uses Calendly, similar to calendar management" in owner
    assert not any(line.startswith("Skills you asked for") for line in owner)
    owner = reasons(client.get(f"/tasks/{by_name}").get_data(as_text=True), "Cal Endly")
    assert "Skills you asked for: has Calendly" in owner

    other_client.login_as(cal)
    page = other_client.get("/jobs/for-you").get_data(as_text=True)
    mine = reasons(page, "Calendar help")
    assert "Related skills: you list Calendly, similar to calendar management" in mine
    assert not any(line.startswith("Your skills the task asks for") for line in mine)
    assert "Your skills the task asks for: Calendly" in reasons(page, "Calendly set-up")


def _task(**kw):
    values = dict(
        title="Inbox",
        description="",
        budget_type=BudgetType.HOURLY,
        engagement=Engagement.RECURRING,
        hours_per_week=5,
        max_hourly_rate_cents=3000,
        currency="USD",
        timezone="America/New_York",
    )
    values.update(kw)
    return Task(**values)


def _profile(**kw):
    values = dict(
        hourly_rate_cents=9900, currency="USD", hours_per_week=1, rating=None, review_count=0
    )
    zone = kw.pop("timezone", "Asia/Manila")  # the account's: one zone per person
    values.update(kw)
    return AssistantProfile(user=User(timezone=zone), **values)


EXPLANATION = {
    "contributions": {},
    "factor_values": {},
    "skills": [
        {"asked": "Gmail", "has": ["Gmail"], "kind": "exact"},
        {"asked": "QuickBooks", "has": ["Xero"], "kind": "similar"},
        {"asked": "payroll", "has": ["QuickBooks", "Gusto"], "kind": "related"},
    ],
    "matched_terms": ["inbox", "replies"],
    "overlap_hours": 2.0,
    "overlap_window": {"start": "2025-03-03T14:00:00Z", "end": "2025-03-03T16:00:00Z"},
    "rate_fit": 0.7,
    "hourly_rate_cents": 2250,
    "currency": "USD",
    "hours_per_week": 20.0,
    "reputation": {"rating": 4.8, "review_count": 12, "bayesian": 0.9, "cold_start_bonus": 0},
}


def test_every_figure_comes_from_the_matchers_explanation():
    # the profile's current figures all differ: the lines must describe what was scored
    lines = explain(EXPLANATION, _task(), _profile(), owner=True)
    assert lines[0] == "Skills you asked for: has Gmail"
    assert lines[1] == (
        "Related skills: uses Xero, similar to QuickBooks; "
        "uses QuickBooks and Gusto, related to payroll"
    )
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
    lines = explain(
        {**EXPLANATION, "overlap_hours": 0.0, "overlap_window": None},
        _task(),
        _profile(),
        owner=True,
    )
    assert "Working time: no shared working hours with the owner's office day" in lines


LEGACY = {  # what matcher 1.1.0 stored
    "contributions": {"text": 0.3},
    "factor_values": {"text": 0.6},
    "matched_skills": ["email management"],
    "related_skills": ["calendar management"],
    "matched_terms": ["hours", "inbox", "month"],
    "overlap_hours": 2.5,
    "rate_fit": None,
    "hourly_rate_cents": 2500,
    "hours_per_week": 20,
    "reputation": {"rating": None, "review_count": 0, "bayesian": 0.8, "cold_start_bonus": 0.1},
}


def test_rows_stored_by_matcher_1_still_render_without_claims_they_cannot_back():
    lines = explain(LEGACY, _task(), _profile(), owner=True)
    assert lines[0] == "Skill areas in common: email management, calendar management"
    assert "Working time: 2.5 h a day in common" in lines
    assert "Reputation: new on Delegate, no reviews yet" in lines
    assert not any(line.startswith("Also in common") for line in lines)  # could be filler


def test_a_stored_1_x_row_renders_on_the_owners_page(client, db_session):
    joy = make_assistant(
        db_session,
        display_name="Joy Santos",
        skills=["Gmail"],
        headline="Inbox manager",
        bio="Gmail triage",
        timezone="America/Bogota",
    )
    client.login_as(make_owner(db_session))
    task_id = post_task(client)
    row = db_session.scalars(
        select(Match).where(Match.task_id == task_id, Match.assistant_id == joy.id)
    ).one()
    row.explanation, row.matcher_version = LEGACY, "1.1.0"
    db_session.commit()
    section = _section(client, task_id)
    assert "Skill areas in common: email management, calendar management" in section
    assert "Working time: 2.5 h a day in common" in section


# names a reader can tell apart in "uses A, B and C": none holds a comma or an " and "
LISTABLE = [s for s in VOCABULARY if " and " not in s and "," not in s]
LEADS = {True: "Skills you asked for: has ", False: "Your skills the task asks for: "}
NEAR = re.compile(r"(?:uses|you list) (.+), (similar|related) to (.+)")


def read_claims(lines: list[str], *, owner: bool) -> tuple[list[str], list[tuple]]:
    """What the lines say the assistant has, and each (their skills, kind, skill asked) they
    say is near a skill asked, as a reader takes them from the words."""
    has, near = [], []
    for line in lines:
        if line.startswith(LEADS[owner]):
            has += line.removeprefix(LEADS[owner]).split(", ")
        elif line.startswith("Related skills: "):
            for said in line.removeprefix("Related skills: ").split("; "):
                theirs, kind, asked = NEAR.fullmatch(said).groups()
                near.append((re.split(r", | and ", theirs), kind, asked))
    return has, near


def spelled(skill: str) -> str:
    return fold(skill).replace(" ", "")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(noisy_people(spelled_skills(LISTABLE)), noisy_jobs(spelled_skills(LISTABLE)))
def test_what_either_side_reads_is_true_of_the_assistant(assistants, tasks):
    m = matching.Matcher(matching.MatcherConfig(reference_date=dt.date(2025, 3, 3)))
    m.fit(assistants, tasks)
    people = {a.id: a for a in assistants}
    jobs = {t.id: t for t in tasks}
    ranked = [
        (jobs[t.id], people[x.id], x)
        for t, xs in zip(tasks, m.rank_assistants_batch(tasks, k=10), strict=True)
        for x in xs
    ]
    ranked += [
        (jobs[x.id], a, x)
        for a, xs in zip(assistants, m.rank_tasks_batch(assistants, k=5), strict=True)
        for x in xs
    ]
    for task, assistant, match in ranked:
        for owner in (True, False):
            lines = explain(match.explanation, _task(), _profile(), owner=owner)
            has, near = read_claims(lines, owner=owner)
            theirs = {spelled(s) for s in assistant.skills}
            asked = {spelled(s) for s in task.skills}
            for skill in has:  # the assistant's own label, for a skill the task asked for
                assert skill in assistant.skills and spelled(skill) in asked, (skill, lines)
            for names, _kind, wanted in near:  # one of theirs, near one asked and not had
                assert set(names) <= set(assistant.skills), (names, lines)
                assert wanted in task.skills and spelled(wanted) not in theirs, (wanted, lines)
            for word in words_in_common(lines):
                assert word not in NOT_MEANINGFUL and not NUMBER.fullmatch(word), lines
                assert len(word) > 1, lines
