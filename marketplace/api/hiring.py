"""/api/v1 recommendations, invitations, proposals and contracts, each side seeing only
what is theirs (the hiring, matches and contracts services decide that, as on the site)."""

from __future__ import annotations

from ..config import settings
from ..contracts import services as contracts
from ..db import get_session
from ..hiring import services as hiring
from ..hiring.forms import ProposalForm
from ..matches.services import invite_assistant, recommended_for_task
from ..rate_limits import PROPOSAL_PER_ACCOUNT, PROPOSAL_PER_IP, limited
from . import inputs, paging
from .auth import api_blueprint, api_user
from .people import match_fields
from .schemas import (
    ContractOut,
    ContractPage,
    InvitationIn,
    InvitationOut,
    PageArgs,
    ProposalIn,
    ProposalOut,
    ProposalPage,
    RecommendationPage,
)
from .tasks import NOT_YOURS

bp = api_blueprint("hiring", "Recommendations, proposals and contracts.")

PROPOSAL_FIELDS = {"proposed_rate_cents": "proposed_rate"}


@bp.get("/tasks/<int:task_id>/recommendations")
@bp.arguments(PageArgs, location="query")
@bp.response(200, RecommendationPage)
def recommendations(args: dict, task_id: int):
    """Assistants ranked for one of your open tasks, best first, with the reasons."""
    start = paging.position(args.get("cursor"))
    with inputs.hidden_from_strangers(NOT_YOURS):
        found = recommended_for_task(
            get_session(), api_user(), task_id, limit=start + args["limit"] + 1
        )
    items = [match_fields(r) | {"assistant": r.profile} for r in found]
    return paging.page(items, start, args["limit"])


@bp.post("/tasks/<int:task_id>/invitations")
@bp.arguments(InvitationIn)
@bp.response(201, InvitationOut)
def invite(data: dict, task_id: int):
    """Invite an assistant to one of your open tasks at the rate you were shown."""
    session = get_session()
    with inputs.hidden_from_strangers(NOT_YOURS):
        invitation = invite_assistant(
            session,
            api_user(),
            task_id,
            data["assistant_id"],
            data["rate_cents"],
            settings().invitations_per_owner_per_day,
        )
    session.commit()
    return invitation


@bp.get("/tasks/<int:task_id>/proposals")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ProposalPage)
def task_proposals(args: dict, task_id: int):
    """The proposals on one of your tasks, oldest first."""
    with inputs.hidden_from_strangers(NOT_YOURS):
        _task, rows = hiring.proposals_for_task(get_session(), api_user(), task_id)
    proposals = [row.proposal for row in rows]
    return paging.page(proposals, paging.position(args.get("cursor")), args["limit"])


@bp.get("/proposals")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ProposalPage)
def my_proposals(args: dict):
    """Your proposals (assistants), newest first."""
    proposals = hiring.my_proposals(get_session(), api_user())
    return paging.page(proposals, paging.position(args.get("cursor")), args["limit"])


@bp.post("/proposals")
@bp.arguments(ProposalIn)
@bp.response(201, ProposalOut)
@limited(PROPOSAL_PER_ACCOUNT, PROPOSAL_PER_IP)
def apply(data: dict):
    """Apply to an open task (assistants with a profile); a withdrawn proposal is sent again."""
    task_id = data.pop("task_id")
    form = inputs.checked(ProposalForm, data, PROPOSAL_FIELDS)
    session = get_session()
    with inputs.api_field_names(PROPOSAL_FIELDS):
        proposal = hiring.apply_to_task(
            session,
            api_user(),
            task_id,
            cover_note=form.cover_note.data,
            proposed_rate_cents=form.proposed_rate.data,
        )
    session.commit()
    return proposal


@bp.post("/proposals/<int:proposal_id>/withdraw")
@bp.response(200, ProposalOut)
def withdraw(proposal_id: int):
    """Withdraw one of your proposals while the owner has not hired on it."""
    session = get_session()
    proposal = hiring.withdraw_proposal(session, api_user(), proposal_id)
    session.commit()
    return proposal


@bp.get("/contracts")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ContractPage)
def my_contracts(args: dict):
    """Your contracts, as owner or assistant, newest first."""
    found = contracts.contracts_of(get_session(), api_user())
    return paging.page(found, paging.position(args.get("cursor")), args["limit"])


@bp.get("/contracts/<int:contract_id>")
@bp.response(200, ContractOut)
def contract(contract_id: int):
    """One of your contracts."""
    return contracts.contract_for(get_session(), api_user(), contract_id)
