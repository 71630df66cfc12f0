"""A marketplace-sized database for the load benchmark: 100,000 assistants and 10,000 tasks.

The demo loader (``flask demo load``) saves each profile through ``save_profile``, a flush per
row: right for 320 people, about 25 CPU-minutes for 100,000. Here profiles are built from the
same generators (``marketplace.demo.data``) and flushed in blocks, so the ORM sends one
multi-row INSERT per block; tasks still go through ``post_task`` (its checks are the point).
Every account's password is the demo's.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import hash_password
from marketplace.db import utcnow
from marketplace.demo import catalog
from marketplace.demo.data import DEMO_PASSWORD, person_name, profile_input, task_input
from marketplace.profiles.models import AssistantProfile
from marketplace.skills.models import Skill
from marketplace.skills.services import get_or_create_skills, parse_skill_list, skill_key
from marketplace.tasks.services import post_task

DOMAIN = "load.delegate.test"
BLOCK = 5_000


def load(session: Session, *, assistants: int, owners: int, tasks: int, seed: int) -> bool:
    """Fill an empty database; False (and nothing written) when it was loaded before."""
    if session.scalar(select(func.count(User.id)).where(User.email.like(f"%@{DOMAIN}"))):
        return False
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    skills = _SkillCache(session)
    owner_users = [_user(rng, Role.OWNER, n, password_hash) for n in range(1, owners + 1)]
    session.add_all(owner_users)
    session.flush()
    for start in range(1, assistants + 1, BLOCK):
        for n in range(start, min(start + BLOCK, assistants + 1)):
            data = profile_input(rng)
            user = _user(rng, Role.ASSISTANT, n, password_hash)
            user.timezone = data.timezone
            session.add(user)
            session.add(
                AssistantProfile(
                    user=user,
                    headline=data.headline,
                    bio=data.bio,
                    hourly_rate_cents=data.hourly_rate_cents,
                    currency=data.currency,
                    work_start=data.work_start,
                    work_end=data.work_end,
                    hours_per_week=data.hours_per_week,
                    skills=skills.get(data.skills),
                )
            )
        session.flush()
        session.expunge_all()  # a block at a time in memory, not 100,000 profiles
        owner_users = [session.merge(owner, load=False) for owner in owner_users]
    for i in range(tasks):
        owner = owner_users[i % len(owner_users)]
        task = post_task(session, owner, task_input(rng, owner.timezone))
        task.created_at = utcnow() - timedelta(minutes=rng.randint(5, 60 * 24 * 30))
        if i % BLOCK == BLOCK - 1:
            session.flush()
    session.flush()
    return True


def _user(rng: random.Random, role: Role, n: int, password_hash: str) -> User:
    return User(
        email=f"{role.value}{n}@{DOMAIN}",
        password_hash=password_hash,
        role=role,
        display_name=person_name(rng),
        timezone=_zone(rng) if role == Role.OWNER else "UTC",
        email_verified_at=utcnow(),
    )


def _zone(rng: random.Random) -> str:
    zones, weights = zip(*catalog.OWNER_ZONES, strict=True)
    return rng.choices(zones, weights=weights, k=1)[0]


def rank_open_tasks(session: Session, app) -> int:
    """Stored recommendations for every open task (what `flask matches rebuild` does for
    tasks; its other half, each assistant's job feed, is not on the benchmark's pages)."""
    from marketplace.matches.index import matcher_index, to_matching_task
    from marketplace.matches.services import store_task_matches
    from marketplace.tasks.models import Task, TaskStatus

    matcher = matcher_index(app).current(session)
    per_task = app.config["MATCHES_PER_TASK"]
    tasks = list(session.scalars(select(Task).where(Task.status == TaskStatus.OPEN)))
    for start in range(0, len(tasks), 1_000):
        block = tasks[start : start + 1_000]
        ranked = matcher.rank_assistants_batch(
            [to_matching_task(t) for t in block], k=per_task, reference_date=utcnow().date()
        )
        for task, matches in zip(block, ranked, strict=True):
            store_task_matches(session, task, matches, per_task)
        session.flush()
    return len(tasks)


class _SkillCache:
    """Skill rows by key: a few hundred distinct skills across 100,000 profiles."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_key: dict[str, Skill] = {}

    def get(self, names: list[str]) -> list[Skill]:
        wanted = {skill_key(name): name for name in parse_skill_list(names)}
        missing = [wanted[key] for key in wanted if key not in self.by_key]
        if missing:
            for skill in get_or_create_skills(self.session, missing):
                self.by_key[skill.key] = skill
        return [self.session.merge(self.by_key[key], load=False) for key in wanted]
