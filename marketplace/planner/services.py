"""Plans: finding the viewer's, saving the audit, moving a visitor's into their account, and
drafting a task from chosen items. Services flush; views commit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from ..accounts.models import User
from ..errors import Invalid, NotFound
from ..tasks.models import Category, Engagement
from .catalogue import BY_KEY, custom_key
from .figures import weekly_hours
from .market import MarketRange
from .models import MarketFit, Period, Plan, PlanItem

SESSION_KEY = "plan_token"


@dataclass(frozen=True)
class ItemInput:
    catalogue_key: str | None
    label: str
    category: Category
    skills: list[str]
    needs_judgement: bool
    hours: int
    period: Period


@dataclass(frozen=True)
class PlanInput:
    hourly_worth_cents: int | None
    currency: str
    timezone: str
    items: list[ItemInput]


def new_visitor_token() -> str:
    return secrets.token_urlsafe(32)


def find_plan(session: Session, owner: User | None, token: str | None) -> Plan | None:
    """The viewer's plan: the account's when logged in, else the one tied to the browser."""
    query = select(Plan).options(selectinload(Plan.items))
    if owner is not None:
        return session.scalar(query.where(Plan.owner_id == owner.id))
    if token:
        return session.scalar(query.where(Plan.visitor_token == token, Plan.owner_id.is_(None)))
    return None


def save_plan(session: Session, plan: Plan, data: PlanInput) -> Plan:
    """Replace the plan's audit with `data`; items that stay keep their id, price and task."""
    if not data.items:
        raise Invalid("List at least one thing that fills your week, with its hours.", "items")
    plan.hourly_worth_cents = data.hourly_worth_cents
    plan.currency = data.currency
    if plan.timezone != data.timezone:
        for i in plan.items:
            i.overlap_zone = None
    plan.timezone = data.timezone
    kept = {_identity(i.catalogue_key, i.label, i.category): i for i in plan.items}
    items = []
    for position, given in enumerate(data.items):
        item = kept.pop(_identity(given.catalogue_key, given.label, given.category), None)
        if item is None:
            item = PlanItem(catalogue_key=given.catalogue_key)
        if given.catalogue_key is None and item.skill_list != given.skills:
            item.priced_at = None  # typed-in words changed: price it again
        item.label = given.label
        item.category = given.category
        item.skills = ", ".join(given.skills)
        item.needs_judgement = given.needs_judgement
        item.hours = given.hours
        item.period = given.period
        item.position = position
        items.append(item)
    gone = [custom_key(i.id) for i in kept.values() if i.catalogue_key is None and i.id]
    plan.items = items
    if gone:
        session.execute(delete(MarketFit).where(MarketFit.item_key.in_(gone)))
    session.add(plan)
    session.flush()
    return plan


def _identity(key: str | None, label: str, category: Category) -> tuple:
    return (key,) if key else (None, label.strip().casefold(), category)


def claim_visitor_plan(session: Session, user: User, token: str | None) -> Plan | None:
    """At sign-up or log-in as an owner: the browser's plan becomes the account's (the
    account's older plan, if any, gives way to the one just made)."""
    if not token or not user.is_owner:
        return None
    plan = find_plan(session, None, token)
    if plan is None:
        return None
    older = find_plan(session, user, None)
    if older is not None and older.id != plan.id:
        session.delete(older)
        session.flush()
    plan.owner_id = user.id
    plan.visitor_token = None
    session.flush()
    return plan


def judgement_of(item: PlanItem) -> str | None:
    entry = BY_KEY.get(item.catalogue_key or "")
    if entry is not None:
        return entry.judgement
    return "you said this needs you." if item.needs_judgement else None


def chosen_items(plan: Plan | None, ids: list[int]) -> list[PlanItem]:
    """The items of this plan with these ids: someone else's id is a 404, like a missing one."""
    by_id = {i.id: i for i in plan.items} if plan else {}
    if not ids or any(i not in by_id for i in ids):
        raise NotFound("Those items are not in your plan.")
    return [by_id[i] for i in dict.fromkeys(ids)]


# -- from items to a task draft ------------------------------------------------------------------
@dataclass(frozen=True)
class ItemBrief:
    item: PlanItem
    outcome: str
    tools: str
    done: str
    checklist: list[str]


_SECRET = re.compile(r"\b(password|passwd|passcode|pwd|pin)\b\s*(is|[:=])\s*\S", re.I)
ACCESS_LINE = (
    "Access: I will share logins through a password manager once I hire, never in this text."
)


def refuse_secrets(text: str, field: str) -> None:
    if _SECRET.search(text or ""):
        raise Invalid(
            "Don't write passwords here: share access through a password manager "
            "(1Password, Bitwarden…) once you hire.",
            field,
        )


def draft_task(
    plan: Plan,
    briefs: list[ItemBrief],
    markets: dict[int, MarketRange | None],
    *,
    recurring: bool,
    one_off_hours: int | None,
) -> dict:
    """The task form's data for these items: one task, bundled when there are several."""
    items = [b.item for b in briefs]
    hours = sum(weekly_hours(i.hours, i.period) for i in items)
    if len(items) == 1:
        title = items[0].label
    else:
        names = _and([_short(i.label) for i in items])
        title = f"{hours} h/week: {names}" if recurring else names[0].upper() + names[1:]
    skills = list({s.casefold(): s for i in items for s in i.skill_list}.values())
    main = max(items, key=lambda i: weekly_hours(i.hours, i.period))
    highs = [m.high_cents for m in markets.values() if m is not None and m.high_cents]
    lines = []
    for b in briefs:
        lines += [b.item.label, f"Outcome: {b.outcome.strip()}"]
        if b.tools.strip():
            lines.append(f"Tools and accounts: {b.tools.strip()}")
        lines.append(f"Done looks like: {b.done.strip()}")
        if b.checklist:
            lines += ["Steps:", *(f"- {step}" for step in b.checklist)]
        lines.append("")
    lines.append(ACCESS_LINE)
    return {
        "title": _clip(title, 120),
        "description": "\n".join(lines),
        "skills": skills,
        "category": main.category.value,
        "engagement": Engagement.RECURRING.value if recurring else Engagement.ONE_OFF.value,
        "hours_per_week": hours if recurring else None,
        "estimated_hours": None if recurring else one_off_hours,
        "budget_type": "hourly",
        "max_hourly_rate": max(highs) if highs else None,
        "currency": plan.currency,
        "timezone": plan.timezone,
        "overlap_hours": 0,
    }


def _short(label: str) -> str:
    """ "Invoicing and chasing payments" -> "invoicing": a bundle's title names each briefly."""
    first = label.split(" and ")[0]
    return first[0].lower() + first[1:]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def mark_posted(items: list[PlanItem], task_id: int) -> None:
    for item in items:
        item.task_id = task_id
