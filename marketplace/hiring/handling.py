"""Answering proposals: the owner shortlists or declines them, the assistant edits theirs.

Each change is a compare-and-set on the proposal's status (`services.change_status`): a
proposal is only shortlisted, declined or edited while it is still submitted, so an owner
hiring at the same moment (`contracts.services.hire`, the same compare-and-set) and any of
these cannot both win. The loser is told what happened instead.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import utcnow
from ..errors import Conflict, Invalid
from ..matches import events as match_events
from ..matches.models import EventKind
from ..notifications.notices import notify_proposal_declined
from ..tasks.models import Task, TaskStatus
from .models import Proposal, ProposalStatus
from .services import authored_proposal, change_status, owned_proposal

MAX_REASON = 1000
TOO_LONG = f"Keep the reason under {MAX_REASON:,} characters."


def _hold_task(session: Session, proposal: Proposal) -> None:
    """Take the task's row before the proposal's, in the order a hire takes them (it locks
    the task FOR UPDATE, then claims the proposal). Otherwise on PostgreSQL a decline holding
    the proposal and recording its event (whose foreign key needs a share of the task row)
    deadlocks with a hire holding the task and waiting for the proposal. KEY SHARE: owners
    answering several proposals at once do not wait for each other."""
    session.execute(
        select(Task.id)
        .where(Task.id == proposal.task_id)
        .with_for_update(read=True, key_share=True)
    )


def _answered(proposal: Proposal, *, owner: bool) -> Conflict:
    """Why a proposal could not be changed: it was answered (or withdrawn) meanwhile."""
    name = proposal.assistant.display_name
    if proposal.status == ProposalStatus.ACCEPTED:
        return Conflict(
            f"You have hired {name} on this proposal; open the contract to go on."
            if owner
            else "The owner has just hired you on this proposal, so it can no longer be "
            "changed. Open your contracts to see it."
        )
    if proposal.status == ProposalStatus.DECLINED:
        return Conflict(
            "You have declined this proposal already."
            if owner
            else "The owner has declined this proposal, so it can no longer be changed."
        )
    if proposal.status == ProposalStatus.WITHDRAWN:
        return Conflict(
            f"{name} has withdrawn this proposal." if owner else "You withdrew this proposal."
        )
    return Conflict("This task is no longer open, so its proposals can no longer be changed.")


def _task_open():
    return exists().where(Task.id == Proposal.task_id, Task.status == TaskStatus.OPEN)


def shortlist(session: Session, owner: User, proposal_id: int, on: bool) -> Proposal:
    """Put the proposal on the owner's short list (or take it off)."""
    proposal = owned_proposal(session, owner, proposal_id)
    _hold_task(session, proposal)
    changed = change_status(
        session,
        proposal,
        [ProposalStatus.SUBMITTED],
        ProposalStatus.SUBMITTED,
        _task_open(),
        shortlisted_at=utcnow() if on else None,
    )
    if not changed:
        raise _answered(proposal, owner=True)
    if on:  # the first time is the signal; taking it off and on again is not news
        match_events.record(
            session, EventKind.SHORTLIST, proposal.task_id, proposal.assistant_id, str(proposal.id)
        )
    return proposal


def decline(session: Session, owner: User, proposal_id: int, reason: str | None) -> Proposal:
    """Decline the proposal, with the owner's reason if they give one; the assistant is told
    (the email goes out after commit, through the outbox)."""
    proposal = owned_proposal(session, owner, proposal_id)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise Invalid(TOO_LONG, "reason")
    _hold_task(session, proposal)
    declined = change_status(
        session,
        proposal,
        [ProposalStatus.SUBMITTED],
        ProposalStatus.DECLINED,
        declined_at=utcnow(),
        decline_reason=reason,
    )
    if not declined:
        raise _answered(proposal, owner=True)
    match_events.record(
        session, EventKind.DECLINE, proposal.task_id, proposal.assistant_id, str(proposal.id)
    )
    notify_proposal_declined(session, proposal)
    return proposal


def edit(
    session: Session, assistant: User, proposal_id: int, *, cover_note: str, rate_cents: int
) -> Proposal:
    """The assistant changes their note or rate while the proposal waits for an answer.

    A hire in flight at the old rate then fails its own compare-and-set (it checks the rate)
    and the owner is shown the new terms; one that committed first makes this edit fail.
    """
    proposal = authored_proposal(session, assistant, proposal_id)
    if rate_cents <= 0:
        raise Invalid("Enter the hourly rate you propose.", "proposed_rate")
    edited = change_status(
        session,
        proposal,
        [ProposalStatus.SUBMITTED],
        ProposalStatus.SUBMITTED,
        Proposal.assistant_id == assistant.id,
        _task_open(),
        cover_note=cover_note.strip(),
        proposed_rate_cents=rate_cents,
        edited_at=utcnow(),
    )
    if not edited:
        raise _answered(proposal, owner=False)
    return proposal
