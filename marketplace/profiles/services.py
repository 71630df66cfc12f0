"""Keeping an assistant's profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import func, select
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
    listed = in_good_standing(AssistantProfile.user_id)  # a suspended assistant is not listed
    total = session.scalar(select(func.count()).select_from(AssistantProfile).where(listed)) or 0
    items = session.scalars(
        select(AssistantProfile)
        .where(listed)
        .options(selectinload(AssistantProfile.skills))
        .order_by(
            AssistantProfile.review_count.desc(),
            AssistantProfile.updated_at.desc(),
            AssistantProfile.user_id.desc(),
        )
        .limit(size)
        .offset((page - 1) * size)
    )
    return Page(list(items), total, page, size)
