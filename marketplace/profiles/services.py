"""Keeping an assistant's profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from ..accounts.models import User, in_good_standing
from ..errors import Invalid, PermissionDenied
from ..jobs import enqueue_after_commit
from ..paging import Page
from ..skills.services import get_or_create_skills
from .models import AssistantProfile


@dataclass(frozen=True)
class ProfileInput:
    headline: str
    bio: str
    skills: list[str]
    hourly_rate_cents: int
    currency: str
    timezone: str
    work_start: time
    work_end: time
    hours_per_week: int


def save_profile(session: Session, user: User, data: ProfileInput) -> AssistantProfile:
    if not user.is_assistant:
        raise PermissionDenied("Only assistants have a profile.")
    if data.work_start == data.work_end:
        raise Invalid("Working hours must start and end at different times.", "work_end")
    profile = session.get(AssistantProfile, user.id)
    if profile is None:
        profile = AssistantProfile(user_id=user.id, user=user)
        session.add(profile)
    profile.headline = data.headline.strip()
    profile.bio = data.bio.strip()
    profile.hourly_rate_cents = data.hourly_rate_cents
    profile.currency = data.currency
    profile.timezone = data.timezone
    profile.work_start = data.work_start
    profile.work_end = data.work_end
    profile.hours_per_week = data.hours_per_week
    profile.skills = get_or_create_skills(session, data.skills)
    session.flush()
    return profile


def update_profile(session: Session, user: User, data: ProfileInput) -> AssistantProfile:
    """Save the profile and, once the caller commits, re-rank the assistant against open
    tasks: what the profile form and the API both do."""
    before = matching_fields(session.get(AssistantProfile, user.id))
    saved = save_profile(session, user, data)
    # Saving what was already there changes no ranking: nothing to re-rank or announce.
    if matching_fields(saved) != before:
        enqueue_after_commit(session, "matches.match_assistant", user.id)
    return saved


def matching_fields(profile: AssistantProfile | None) -> tuple | None:
    """What the matcher reads of a profile; a save that leaves it unchanged re-ranks nothing."""
    if profile is None:
        return None
    return (
        profile.headline,
        profile.bio,
        tuple(sorted(skill.name for skill in profile.skills)),
        profile.hourly_rate_cents,
        profile.currency,
        profile.timezone,
        profile.work_start,
        profile.work_end,
        profile.hours_per_week,
    )


def get_profile(session: Session, user_id: int) -> AssistantProfile | None:
    return session.get(AssistantProfile, user_id)


DIRECTORY_PAGE_SIZE = 20


def public_profiles(
    session: Session, page: int = 1, size: int = DIRECTORY_PAGE_SIZE
) -> Page[AssistantProfile]:
    """Assistants' public profiles, best reviewed first, then the most recently updated.

    A profile is public by design (it is what owners hire from); what is private to a person,
    such as their email, proposals and contracts, is never read here.
    """
    page = max(1, page)
    total = session.scalar(select(func.count()).select_from(AssistantProfile).where(_LISTED)) or 0
    return Page(best_profiles(session, size, offset=(page - 1) * size), total, page, size)


_LISTED = in_good_standing(AssistantProfile.user_id)  # a suspended assistant is not listed


def best_profiles(session: Session, size: int, *, offset: int = 0) -> list[AssistantProfile]:
    """Listed profiles in the directory's order (read from ix_assistant_profiles_listing)."""
    items = session.scalars(
        select(AssistantProfile)
        .where(_LISTED)
        .options(selectinload(AssistantProfile.skills))
        .order_by(
            AssistantProfile.review_count.desc(),
            AssistantProfile.updated_at.desc(),
            AssistantProfile.user_id.desc(),
        )
        .limit(size)
        .offset(offset)
    )
    return list(items)


@dataclass(frozen=True)
class Count:
    value: int
    approximate: bool = False  # rounded down from the database's estimate


# Counted exactly up to here; beyond it, PostgreSQL's own row estimate: counting 100,000
# profiles past the suspended accounts took 78 ms of every front page.
EXACT_COUNT_UP_TO = 10_000


def listed_profile_count(session: Session) -> Count:
    """How many profiles are listed: exact for a small marketplace, else PostgreSQL's
    estimate of the table's rows (kept by ANALYZE and autovacuum) less the suspended and
    deleted assistants, rounded down to two significant figures and marked approximate."""
    if session.get_bind().dialect.name == "postgresql":
        estimate = session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'assistant_profiles'::regclass")
        )
        if estimate is not None and estimate > EXACT_COUNT_UP_TO:
            gone = session.scalar(
                select(func.count()).select_from(AssistantProfile).where(~_LISTED)
            )
            return Count(_two_significant_figures(int(estimate) - (gone or 0)), approximate=True)
    exact = session.scalar(select(func.count()).select_from(AssistantProfile).where(_LISTED))
    return Count(exact or 0)


def _two_significant_figures(n: int) -> int:
    if n < 100:
        return max(n, 0)
    unit = 10 ** (len(str(n)) - 2)
    return n // unit * unit
