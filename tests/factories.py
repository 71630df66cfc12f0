"""One-line builders for users, profiles and tasks, going through the real services."""

from __future__ import annotations

import itertools
from datetime import time

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import hash_password
from marketplace.db import utcnow
from marketplace.profiles.services import ProfileInput, save_profile
from marketplace.tasks.models import BudgetType, Category, Engagement, Task
from marketplace.tasks.services import TaskInput, post_task

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: Argon2 is slow on purpose
_counter = itertools.count(1)


def make_user(session, role: Role, **kw) -> User:
    n = next(_counter)
    user = User(
        email=kw.pop("email", f"{role.value}{n}@example.com"),
        password_hash=_PASSWORD_HASH,
        role=role,
        display_name=kw.pop("display_name", f"{role.value.title()} {n}"),
        timezone=kw.pop("timezone", "UTC"),
        # Confirmed, as every account that can log in is; pass None for a pending sign-up.
        email_verified_at=kw.pop("email_verified_at", utcnow()),
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def make_owner(session, **kw) -> User:
    return make_user(session, Role.OWNER, **kw)


def make_assistant(session, *, profile: bool = True, **profile_kw) -> User:
    user_kw = {k: profile_kw.pop(k) for k in ("email", "display_name") if k in profile_kw}
    user = make_user(session, Role.ASSISTANT, **user_kw)
    if profile:
        save_profile(session, user, profile_input(**profile_kw))
    return user


def profile_input(**kw) -> ProfileInput:
    values = dict(
        headline="Bookkeeper for small shops",
        bio="Ten years of QuickBooks bookkeeping.",
        skills=["QuickBooks", "bookkeeping"],
        hourly_rate_cents=2500,
        currency="USD",
        timezone="Asia/Manila",
        work_start=time(9, 0),
        work_end=time(17, 0),
        hours_per_week=20,
    )
    values.update(kw)
    return ProfileInput(**values)


def task_input(**kw) -> TaskInput:
    values = dict(
        title="Monthly bookkeeping in QuickBooks",
        description="Reconcile the bank account and categorise about 200 transactions a month.",
        skills=["QuickBooks", "bookkeeping"],
        category=Category.BOOKKEEPING,
        engagement=Engagement.ONE_OFF,
        estimated_hours=10,
        hours_per_week=None,
        budget_type=BudgetType.FIXED,
        budget_cents=30000,
        max_hourly_rate_cents=None,
        currency="USD",
        timezone="America/New_York",
        overlap_hours=0,
        deadline=None,
    )
    values.update(kw)
    return TaskInput(**values)


def make_task(session, owner: User, **kw) -> Task:
    return post_task(session, owner, task_input(**kw))


def task_form(**kw) -> dict:
    """What the post-a-task form sends for a valid one-off, fixed-price task."""
    data = {
        "title": "Weekly inbox clean-up",
        "description": "Triage my Gmail inbox every morning and draft replies to routine mail.",
        "skills": "Gmail, inbox management",
        "category": "inbox_calendar",
        "engagement": "one_off",
        "estimated_hours": "6",
        "hours_per_week": "",
        "budget_type": "fixed",
        "budget": "180",
        "max_hourly_rate": "",
        "currency": "USD",
        "timezone": "America/New_York",
        "overlap_hours": "2",
        "deadline": "",
    }
    data.update(kw)
    return data


def profile_form(**kw) -> dict:
    data = {
        "headline": "Calendar and inbox manager",
        "bio": "I keep founders' inboxes at zero.",
        "skills": "Gmail, Google Calendar, inbox management",
        "hourly_rate": "22.50",
        "currency": "USD",
        "timezone": "Asia/Manila",
        "work_start": "09:00",
        "work_end": "17:00",
        "hours_per_week": "30",
    }
    data.update(kw)
    return data
