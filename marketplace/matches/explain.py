"""A match's explanation in plain words, for the owner and for the assistant.

The matcher returns the numbers (contributions, shared hours and their window, the rate and
reputation it scored, which skills meet which); people read sentences. Nothing is recomputed
here: every figure is read from the stored explanation, so the words always describe the
ranking the score came from. The same lines appear on the pages and in the emails.

Explanations stored by matcher 1.x (rows written before 2.0.0) have no "skills" entry: their
skill lists name vocabulary concepts, not what the assistant listed, so they are shown as
skill areas, and their matched words (which could be filler) are left out.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..filters import format_money, zone_label
from ..profiles.models import AssistantProfile
from ..tasks.models import BudgetType, Engagement, Task


def percent(score: float) -> int:
    return round(max(0.0, min(1.0, score)) * 100)


def _stored_window(explanation: dict):
    """The matcher's shared stretch as (start, end) UTC datetimes, or None."""
    window = explanation.get("overlap_window")
    if not window:
        return None
    return (datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"]))


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
    if not hours:
        return "Working time: no shared working hours with the owner's office day"
    line = f"Working time: {_hours(float(hours))} h a day in common"
    window = _stored_window(explanation)
    if window is None:  # stored by matcher 1.x
        return line
    zones = (task.timezone, profile.timezone) if owner else (profile.timezone, task.timezone)
    return f"{line}, {_window_text(window, *zones)}"


def _rate_line(explanation: dict, task: Task, profile: AssistantProfile, *, owner: bool) -> str:
    cents = explanation.get("hourly_rate_cents")
    if cents is None:
        cents = profile.hourly_rate_cents
    currency = explanation.get("currency") or profile.currency
    rate = format_money(cents, currency) + "/h"
    cap = task.pay_per_hour_cents
    if task.budget_type == BudgetType.FIXED and task.budget_cents:
        budget = format_money(task.budget_cents, task.currency)
        hours = task.estimated_hours or 0
        cost = format_money(cents * hours, currency)
        if owner:
            return f"Rate: {rate}; about {hours} h comes to {cost} of your {budget} budget"
        return f"Budget: {budget} fixed for about {hours} h; at your {rate} that is {cost}"
    limit = format_money(cap, task.currency) + "/h" if cap else "no limit"
    if owner:
        return f"Rate: {rate}, within your maximum of {limit}"
    return f"Budget: up to {limit}; your rate is {rate}"


def _availability_line(
    explanation: dict, task: Task, profile: AssistantProfile, *, owner: bool
) -> str:
    offered = explanation.get("hours_per_week")
    if offered is None:
        offered = profile.hours_per_week
    if task.engagement == Engagement.RECURRING:
        need = f"{task.hours_per_week} h a week"
    else:
        need = f"about {task.estimated_hours} h in all"
    who = "Available" if owner else "You offer"
    return f"Availability: {who} {_hours(float(offered))} h a week; the task needs {need}"


def _reputation_line(explanation: dict) -> str:
    rep = explanation.get("reputation") or {}
    rating, reviews = rep.get("rating"), rep.get("review_count")
    if rating is None or not reviews:
        return "Reputation: new on Delegate, no reviews yet"
    noun = "review" if reviews == 1 else "reviews"
    return f"Reputation: rated {rating:.1f}/5 from {reviews} {noun}"


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _skills_lines(explanation: dict, *, owner: bool) -> list[str]:
    skills = explanation.get("skills")
    if skills is None:
        return _legacy_skills_lines(explanation)
    exact = [e["has"][0] for e in skills if e["kind"] == "exact"]
    near = [e for e in skills if e["kind"] != "exact"]
    lines = []
    if exact:
        lead = "Skills you asked for: has" if owner else "Your skills the task asks for:"
        lines.append(f"{lead} {', '.join(exact)}")
    if near:
        verb = "uses" if owner else "you list"
        said = [
            f"{verb} {_listing(e['has'])}, "
            f"{'similar' if e['kind'] == 'similar' else 'related'} to {e['asked']}"
            for e in near
        ]
        lines.append(f"Related skills: {'; '.join(said)}")
    if not lines:
        lines.append("Skills: none of the listed skills in common")
    return lines


def _legacy_skills_lines(explanation: dict) -> list[str]:
    # matcher 1.x stored vocabulary concepts ("bookkeeping" for FreshBooks): areas, not skills
    areas = [*(explanation.get("matched_skills") or []), *(explanation.get("related_skills") or [])]
    if not areas:
        return ["Skills: none of the listed skills in common"]
    return [f"Skill areas in common: {', '.join(areas)}"]


def _terms_line(explanation: dict) -> str | None:
    if "skills" not in explanation:
        return None  # matcher 1.x listed any shared stem, filler words included
    terms = explanation.get("matched_terms") or []
    return f"Also in common: {', '.join(terms[:5])}" if terms else None


FACTOR_LABELS = {
    "text": "words of the post",
    "skills": "skills",
    "rate": "rate",
    "overlap": "shared hours",
    "availability": "hours a week",
    "reputation": "reputation",
}


def _weights_line(explanation: dict) -> str | None:
    """When the score was ranked with weights learned from outcomes: what each factor added
    to it (the matcher's own contributions, which sum to the score)."""
    weights = explanation.get("weights") or {}
    contributions = explanation.get("contributions") or {}
    if weights.get("source") != "learned" or not contributions:
        return None
    parts = sorted(
        ((FACTOR_LABELS.get(f, f), v) for f, v in contributions.items() if v * 100 >= 0.5),
        key=lambda p: -p[1],
    )
    added = " + ".join(f"{label} {v * 100:.0f}" for label, v in parts) or "nothing"
    return (
        f"Score {percent(sum(contributions.values()))}% = {added}, "
        "weighed as owners' choices on Delegate suggest"
    )


# matching.exposure.SHOWN_BY_QUOTA (pages never import the matcher: numpy, scikit-learn)
SHOWN_BY_QUOTA = "new_assistant_quota"


def _quota_line(explanation: dict) -> str | None:
    """A newcomer placed by the share of each list kept for new assistants, not by score:
    the owner is told, so a lower match in the list is not a mystery."""
    if explanation.get("shown_by") != SHOWN_BY_QUOTA:
        return None
    return (
        "New on Delegate: shown in a place kept for new assistants with complete profiles, "
        "the best fit among them"
    )


def explain(explanation: dict, task: Task, profile: AssistantProfile, *, owner: bool) -> list[str]:
    """Plain lines: why a newcomer is shown (for the owner), skills, rate against budget,
    shared hours in both zones, hours, reputation."""
    quota = _quota_line(explanation) if owner else None
    lines = [quota] if quota else []
    lines += _skills_lines(explanation, owner=owner)
    lines.append(_rate_line(explanation, task, profile, owner=owner))
    lines.append(_overlap_line(explanation, task, profile, owner=owner))
    lines.append(_availability_line(explanation, task, profile, owner=owner))
    if owner:
        lines.append(_reputation_line(explanation))
    terms = _terms_line(explanation)
    if terms:
        lines.append(terms)
    weights = _weights_line(explanation)
    if weights:
        lines.append(weights)
    return lines
