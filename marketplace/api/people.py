"""/api/v1/me: the token's account, an assistant's profile, and jobs ranked for them."""

from __future__ import annotations

from ..db import get_session
from ..errors import NotFound, PermissionDenied
from ..matches.services import jobs_for_assistant
from ..profiles import services
from ..profiles.forms import ProfileForm
from . import inputs, paging
from .auth import api_blueprint, api_user
from .schemas import AccountOut, JobForYouPage, PageArgs, ProfileIn, ProfileOut

bp = api_blueprint("me", "Your account and your assistant profile.")

PROFILE_FIELDS = {"hourly_rate_cents": "hourly_rate"}
NO_PROFILE = "You have no assistant profile yet: PUT /api/v1/me/profile to create it."
ASSISTANTS_ONLY = "Only assistants have a profile and jobs ranked for them."


@bp.get("/me")
@bp.response(200, AccountOut)
def me():
    """The account the token acts for."""
    return api_user()


@bp.get("/me/profile")
@bp.response(200, ProfileOut)
def my_profile():
    """Your assistant profile, as owners see it."""
    user = api_user()
    if not user.is_assistant:
        raise PermissionDenied(ASSISTANTS_ONLY)
    profile = services.get_profile(get_session(), user.id)
    if profile is None:
        raise NotFound(NO_PROFILE)
    return profile


@bp.put("/me/profile")
@bp.arguments(ProfileIn)
@bp.response(200, ProfileOut)
def save_profile(data: dict):
    """Create or replace your assistant profile; you are re-ranked against open tasks."""
    form = inputs.checked(ProfileForm, data, PROFILE_FIELDS)
    session = get_session()
    with inputs.api_field_names(PROFILE_FIELDS):
        profile = services.update_profile(session, api_user(), form.to_input())
    session.commit()
    return profile


@bp.get("/me/jobs")
@bp.arguments(PageArgs, location="query")
@bp.response(200, JobForYouPage)
def jobs_for_you(args: dict):
    """Open tasks ranked for you (assistants), best first, with the reasons."""
    user = api_user()
    if not user.is_assistant:
        raise PermissionDenied(ASSISTANTS_ONLY)
    start = paging.position(args.get("cursor"))
    found = jobs_for_assistant(get_session(), user, limit=start + args["limit"] + 1)
    if found is None:
        raise NotFound(NO_PROFILE)
    items = [match_fields(r) | {"task": r.task} for r in found]
    return paging.page(items, start, args["limit"])


def match_fields(recommendation) -> dict:
    """A recommendation's match as the API shows it (MatchOut)."""
    match = recommendation.match
    return {
        "task_id": match.task_id,
        "assistant_id": match.assistant_id,
        "score": match.score,
        "reasons": recommendation.lines,
        "invited": bool(recommendation.invited),
    }
