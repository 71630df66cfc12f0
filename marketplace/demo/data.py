"""Deterministic demo data: same seed, same people and tasks."""

from __future__ import annotations

import random
from datetime import time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import Role, User
from ..accounts.services import hash_password
from ..db import today_in, utcnow
from ..profiles.services import ProfileInput, save_profile
from ..tasks.models import BudgetType, Engagement, TaskStatus
from ..tasks.services import TaskInput, post_task
from . import catalog

DEMO_DOMAIN = "demo.delegate.test"
DEMO_PASSWORD = "delegate-demo"


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights, k=1)[0]


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(catalog.FIRST_NAMES)} {rng.choice(catalog.LAST_NAMES)}"


def plural(noun: str) -> str:
    """The demo's business names in the plural: bakery -> bakeries, business -> businesses."""
    head, _, last = noun.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "sh", "ch", "x", "z")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


def with_article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _fill(text: str, biz: str, tool: str) -> str:
    return text.replace("{a_biz}", with_article(biz)).replace("{biz}", biz).replace("{tool}", tool)


def load_demo_data(
    session: Session, *, seed: int, assistants: int, owners: int, tasks: int
) -> dict[str, int] | None:
    """Create demo accounts, profiles and tasks; None when demo data already exists."""
    exists = session.scalar(select(func.count(User.id)).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    if exists:
        return None
    rng = random.Random(seed)
    # One Argon2 hash shared by every demo account: hashing 360 passwords would take a minute.
    password_hash = hash_password(DEMO_PASSWORD)
    owner_users = [
        _make_user(session, rng, Role.OWNER, i, password_hash) for i in range(1, owners + 1)
    ]
    for i in range(1, assistants + 1):
        user = _make_user(session, rng, Role.ASSISTANT, i, password_hash)
        save_profile(session, user, profile_input(rng))
    session.flush()
    for i in range(tasks):
        owner = owner_users[i % len(owner_users)]
        task = post_task(session, owner, task_input(rng, owner.timezone))
        # Spread posting times over the last month so "newest" sorting means something.
        task.created_at = utcnow() - timedelta(minutes=rng.randint(5, 60 * 24 * 30))
        if rng.random() < 0.06:
            task.status = TaskStatus.CLOSED
    session.flush()
    return {"owners": owners, "assistants": assistants, "tasks": tasks}


def _make_user(
    session: Session, rng: random.Random, role: Role, n: int, password_hash: str
) -> User:
    zones = catalog.OWNER_ZONES if role == Role.OWNER else catalog.ASSISTANT_ZONES
    user = User(
        email=f"{role.value}{n}@{DEMO_DOMAIN}",
        password_hash=password_hash,
        role=role,
        display_name=person_name(rng),
        timezone=_weighted(rng, zones),
        email_verified_at=utcnow(),  # demo log-ins work without a confirmation email
    )
    session.add(user)
    session.flush()
    return user


def profile_input(rng: random.Random) -> ProfileInput:
    categories = rng.sample(list(catalog.WORK), k=rng.choice([1, 2, 2, 3]))
    skills: list[str] = []
    for category in categories:
        templates, tools, _ = catalog.WORK[category]
        for _title, _desc, task_skills in rng.sample(templates, k=min(2, len(templates))):
            skills += [s for s in task_skills if "{tool}" not in s]
        skills += rng.sample(tools, k=min(2, len(tools)))
    skills = list(dict.fromkeys(skills))[:12]
    main = categories[0]
    headline = rng.choice(catalog.WORK[main][2])
    focus = " and ".join(c.label.lower() for c in categories)
    bio = " ".join(
        [
            rng.choice(catalog.BIO_OPENERS).format(
                years=rng.randint(1, 15),
                focus=focus,
                businesses=plural(rng.choice(catalog.BUSINESSES)),
            ),
            f"Tools I use every day: {', '.join(skills[-3:])}.",
            rng.choice(catalog.BIO_CLOSERS),
        ]
    )
    start = rng.choice([6, 7, 8, 9, 9, 9, 10, 13, 20, 22])
    length = rng.choice([4, 6, 8, 8, 8, 9])
    rate = rng.choice(range(800, 6001, 100))
    return ProfileInput(
        headline=headline,
        bio=bio,
        skills=skills,
        hourly_rate_cents=rate,
        currency="USD",
        timezone=_weighted(rng, catalog.ASSISTANT_ZONES),
        work_start=time(start, 0),
        work_end=time((start + length) % 24, 0),
        hours_per_week=rng.choice([10, 15, 20, 20, 25, 30, 40, 40]),
    )


def task_input(rng: random.Random, zone: str, recurring: bool | None = None) -> TaskInput:
    category = rng.choice(list(catalog.WORK))
    templates, tools, _ = catalog.WORK[category]
    title, description, skills = rng.choice(templates)
    biz, tool = rng.choice(catalog.BUSINESSES), rng.choice(tools)
    recurring = rng.random() < 0.45 if recurring is None else recurring
    hourly = recurring or rng.random() < 0.4
    hours = rng.choice([3, 5, 8, 10, 15, 20, 30, 40])
    rate = rng.choice(range(1000, 6001, 250))
    deadline = (
        None
        if recurring or rng.random() < 0.4
        else today_in(zone) + timedelta(days=rng.randint(3, 60))
    )
    if "{biz}" not in title and rng.random() < 0.7:
        title += rng.choice([" for {a_biz}", " for our {biz}", " ({biz})"])
    return TaskInput(
        title=_fill(title, biz, tool)[:120],
        description=_fill(description, biz, tool),
        skills=[_fill(s, biz, tool) for s in skills],
        category=category,
        engagement=Engagement.RECURRING if recurring else Engagement.ONE_OFF,
        estimated_hours=None if recurring else hours,
        hours_per_week=rng.choice([5, 10, 10, 15, 20]) if recurring else None,
        budget_type=BudgetType.HOURLY if hourly else BudgetType.FIXED,
        budget_cents=None if hourly else rate * hours // 100 * 100,
        max_hourly_rate_cents=rate if hourly else None,
        currency="USD",
        timezone=zone,
        overlap_hours=rng.choice([0, 0, 1, 2, 2, 3, 4]),
        deadline=deadline,
    )
