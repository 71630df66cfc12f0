"""A match's explanation in plain words, for the owner and for the assistant.

The matcher returns numbers (contributions, overlap hours, matched skills); people read
sentences. The same lines appear on the pages and in the emails.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..db import today_in
from ..filters import format_money, zone_label
from ..profiles.models import AssistantProfile
from ..tasks.models import BudgetType, Engagement, Task

OWNER_HOURS = (time(9, 0), time(17, 0))  # the matcher's assumption: owners keep office hours
_WORD = re.compile(r"[a-z0-9][a-z0-9'&+-]*")


def task_max_rate_cents(task: Task) -> int | None:
    """The hourly rate a task can pay: its maximum, or a fixed budget spread over its hours."""
    if task.budget_type == BudgetType.HOURLY:
        return task.max_hourly_rate_cents
    hours = task.estimated_hours if task.engagement == Engagement.ONE_OFF else None
    if task.budget_cents and hours:
        return task.budget_cents // hours
    return None


def percent(score: float) -> int:
    return round(max(0.0, min(1.0, score)) * 100)


def overlap_window(task: Task, profile: AssistantProfile, day: date | None = None):
    """The longest stretch of the owner's office day that the assistant also works, in UTC."""
    owner_zone, va_zone = ZoneInfo(task.timezone), ZoneInfo(profile.timezone)
    day = day or today_in(task.timezone)
    o_start = datetime.combine(day, OWNER_HOURS[0], owner_zone).astimezone(UTC)
    o_end = datetime.combine(day, OWNER_HOURS[1], owner_zone).astimezone(UTC)
    best = None
    for offset in (-1, 0, 1):
        d = day + timedelta(days=offset)
        a_start = datetime.combine(d, profile.work_start, va_zone).astimezone(UTC)
        a_end = datetime.combine(d, profile.work_end, va_zone)
        if profile.work_end <= profile.work_start:  # the shift crosses midnight
            a_end += timedelta(days=1)
        a_end = a_end.astimezone(UTC)
        start, end = max(o_start, a_start), min(o_end, a_end)
        if end > start and (best is None or end - start > best[1] - best[0]):
            best = (start, end)
    return best


def _window_text(window, first_zone: str, second_zone: str) -> str:
    start, end = window

    def fmt(zone: str) -> str:
        z = ZoneInfo(zone)
        return f"{start.astimezone(z):%H:%M}–{end.astimezone(z):%H:%M} {zone_label(z, start)}"

    if first_zone == second_zone:
        return fmt(first_zone)
    return f"{fmt(first_zone)} = {fmt(second_zone)}"


def _hours(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _overlap_line(explanation: dict, task: Task, profile: AssistantProfile, *, owner: bool) -> str:
    hours = explanation.get("overlap_hours")
    window = overlap_window(task, profile)
    if not hours or window is None:
        return "Working time: no shared working hours with the owner's office day"
    zones = (task.timezone, profile.timezone) if owner else (profile.timezone, task.timezone)
    return f"Working time: {_hours(float(hours))} h a day in common, {_window_text(window, *zones)}"


def _rate_line(task: Task, profile: AssistantProfile, *, owner: bool) -> str:
    rate = format_money(profile.hourly_rate_cents, profile.currency) + "/h"
    cap = task_max_rate_cents(task)
    if task.budget_type == BudgetType.FIXED and task.budget_cents:
        budget = format_money(task.budget_cents, task.currency)
        hours = task.estimated_hours or 0
        cost = format_money(profile.hourly_rate_cents * hours, profile.currency)
        if owner:
            return f"Rate: {rate}; about {hours} h comes to {cost} of your {budget} budget"
        return f"Budget: {budget} fixed for about {hours} h; at your {rate} that is {cost}"
    limit = format_money(cap, task.currency) + "/h" if cap else "no limit"
    if owner:
        return f"Rate: {rate}, within your maximum of {limit}"
    return f"Budget: up to {limit}; your rate is {rate}"


def _availability_line(task: Task, profile: AssistantProfile, *, owner: bool) -> str:
    if task.engagement == Engagement.RECURRING:
        need = f"{task.hours_per_week} h a week"
    else:
        need = f"about {task.estimated_hours} h in all"
    who = "Available" if owner else "You offer"
    return f"Availability: {who} {profile.hours_per_week} h a week; the task needs {need}"


def _reputation_line(profile: AssistantProfile) -> str:
    if profile.rating is None or not profile.review_count:
        return "Reputation: new on Delegate, no reviews yet"
    reviews = "review" if profile.review_count == 1 else "reviews"
    return f"Reputation: rated {profile.rating:.1f}/5 from {profile.review_count} {reviews}"


def _skills_lines(explanation: dict, *, owner: bool) -> list[str]:
    lines = []
    matched = explanation.get("matched_skills") or []
    related = explanation.get("related_skills") or []
    if matched:
        lead = "Skills you asked for" if owner else "Your skills the task asks for"
        lines.append(f"{lead}: {', '.join(matched)}")
    if related:
        lines.append(f"Related skills: {', '.join(related)}")
    if not matched and not related:
        lines.append("Skills: none of the listed skills in common")
    return lines


def _terms_line(explanation: dict, task: Task) -> str | None:
    # The matcher's terms are stems and n-grams; show only whole words the owner wrote.
    words = set(_WORD.findall(f"{task.title} {task.description}".lower()))
    terms = [t for t in explanation.get("matched_terms") or [] if t in words]
    return f"Also in common: {', '.join(terms[:5])}" if terms else None


def explain(explanation: dict, task: Task, profile: AssistantProfile, *, owner: bool) -> list[str]:
    """Plain lines: skills, rate against budget, shared hours in both zones, hours, reputation."""
    lines = _skills_lines(explanation, owner=owner)
    lines.append(_rate_line(task, profile, owner=owner))
    lines.append(_overlap_line(explanation, task, profile, owner=owner))
    lines.append(_availability_line(task, profile, owner=owner))
    if owner:
        lines.append(_reputation_line(profile))
    terms = _terms_line(explanation, task)
    if terms:
        lines.append(terms)
    return lines
