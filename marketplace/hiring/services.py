"""Applying to tasks and reading proposals, each side seeing only what is theirs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload, selectinload

from ..accounts.models import User
from ..db import add_once, rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..matches import events as match_events
from ..matches.explain import explain, percent
from ..matches.models import EventKind, Match
from ..messages.services import open_conversation
from ..notifications.notices import notify_new_proposal
from ..profiles.models import AssistantProfile
from ..tasks.models import Task, TaskStatus
from ..tasks.services import get_owned_task, visible_task
from .models import MAX_SUBMISSIONS, Proposal, ProposalStatus

ALREADY_APPLIED = "You have already applied to this task."
WITHDRAWN_FOR_GOOD = (
    "You withdrew this proposal after sending it again, so it cannot be sent a third time."
)


class AlreadyApplied(Conflict):
    def __init__(self) -> None:
        super().__init__(ALREADY_APPLIED)


def apply_to_task(
    session: Session, assistant: User, task_id: int, *, cover_note: str, proposed_rate_cents: int
) -> Proposal:
    if not assistant.is_assistant:
        raise PermissionDenied("Only assistants can apply to tasks.")
    task = visible_task(session, assistant, task_id)
    if task.status != TaskStatus.OPEN or task.owner.is_suspended:
        raise Conflict("This task is no longer open for applications.")
    if session.get(AssistantProfile, assistant.id) is None:
        raise Conflict("Fill in your profile before you apply, so the owner can see who you are.")
    if proposed_rate_cents <= 0:
        raise Invalid("Enter the hourly rate you propose.", "proposed_rate")
    earlier = proposal_of(session, task_id, assistant.id)
    if earlier is not None:
        proposal = _submit_again(session, earlier, cover_note, proposed_rate_cents, task.currency)
    else:
        proposal = Proposal(
            task_id=task.id,
            assistant_id=assistant.id,
            cover_note=cover_note.strip(),
            proposed_rate_cents=proposed_rate_cents,
            currency=task.currency,
            status=ProposalStatus.SUBMITTED,
        )
        if not add_once(session, proposal):  # the unique key decides a double-click race
            raise AlreadyApplied()
    match_events.record(
        session, EventKind.PROPOSAL, task.id, assistant.id, f"{proposal.id}:{proposal.revision}"
    )
    # Owner and assistant can talk about it from now on (the same conversation if the owner
    # wrote first or invited).
    open_conversation(session, task, assistant.id)
    # Same transaction as the proposal: the owner's email cannot be lost or doubled.
    notify_new_proposal(session, proposal)
    return proposal


def can_apply_again(proposal: Proposal | None) -> bool:
    return proposal is not None and proposal.can_be_sent_again


def change_status(
    session: Session,
    proposal: Proposal,
    allowed_from: list[ProposalStatus],
    to: ProposalStatus,
    *conditions,
    **values,
) -> bool:
    """The one way a proposal's status changes: a compare-and-set on the row, so of two
    requests racing (a hire and a withdrawal) exactly one wins. True when this call changed
    it; the proposal is re-read either way, so the caller can say why it did not."""
    changed = rows_changed(
        session,
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status.in_(allowed_from), *conditions)
        .values(status=to, **values)
        .execution_options(synchronize_session=False),
    )
    session.refresh(proposal)
    return changed == 1


def _submit_again(
    session: Session, proposal: Proposal, cover_note: str, rate_cents: int, currency: str
) -> Proposal:
    """A withdrawn proposal sent again: the same row, back to submitted with the new terms.

    Compare-and-set on the status and the count, so a double click (or any other proposal
    state) is refused rather than sent twice, and a proposal is sent again only once.
    """
    sent = change_status(
        session,
        proposal,
        [ProposalStatus.WITHDRAWN],
        ProposalStatus.SUBMITTED,
        Proposal.revision < MAX_SUBMISSIONS,
        shortlisted_at=None,
        edited_at=None,
        cover_note=cover_note.strip(),
        proposed_rate_cents=rate_cents,
        currency=currency,
        revision=Proposal.revision + 1,
        created_at=utcnow(),
    )
    if not sent:
        if proposal.status == ProposalStatus.WITHDRAWN:
            raise Conflict(WITHDRAWN_FOR_GOOD)
        raise AlreadyApplied()
    return proposal


def proposal_of(session: Session, task_id: int, assistant_id: int) -> Proposal | None:
    return session.scalar(
        select(Proposal).where(Proposal.task_id == task_id, Proposal.assistant_id == assistant_id)
    )


@dataclass(frozen=True)
class ProposalRow:
    """A proposal as its owner reads it: who sent it, and how the matcher scored the pair
    (from the stored match, if the matcher ranked them; None otherwise)."""

    proposal: Proposal
    profile: AssistantProfile | None
    match: Match | None
    lines: list[str]

    @property
    def percent(self) -> int | None:
        return None if self.match is None else percent(self.match.score)


def proposals_for_task(
    session: Session, owner: User, task_id: int
) -> tuple[Task, list[ProposalRow]]:
    """The task's proposals with each assistant's profile and stored match, in one query;
    only the task's owner may read them."""
    task = get_owned_task(session, owner, task_id)
    query = (
        select(Proposal, AssistantProfile, Match)
        .outerjoin(AssistantProfile, AssistantProfile.user_id == Proposal.assistant_id)
        .outerjoin(
            Match,
            (Match.task_id == Proposal.task_id) & (Match.assistant_id == Proposal.assistant_id),
        )
        .where(Proposal.task_id == task_id)
        .order_by(Proposal.created_at.asc(), Proposal.id.asc())
        .options(
            selectinload(AssistantProfile.skills),  # one query for every profile's skills
            lazyload(Match.task),  # the task is in hand
        )
    )
    return task, [
        ProposalRow(
            proposal,
            profile,
            match,
            explain(match.explanation, task, profile, owner=True) if match and profile else [],
        )
        for proposal, profile, match in session.execute(query)
    ]


def my_proposals(session: Session, assistant: User) -> list[Proposal]:
    return list(
        session.scalars(
            select(Proposal)
            .where(Proposal.assistant_id == assistant.id)
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )


def owned_proposal(session: Session, owner: User, proposal_id: int) -> Proposal:
    """A proposal on one of the owner's tasks; to anyone else it does not exist."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.task.owner_id != owner.id:
        raise NotFound("This proposal does not exist.")
    return proposal


def authored_proposal(session: Session, assistant: User, proposal_id: int) -> Proposal:
    """The assistant's own proposal; anyone else's is reported as missing."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.assistant_id != assistant.id:
        raise NotFound("This proposal does not exist.")
    return proposal


def withdraw_proposal(session: Session, assistant: User, proposal_id: int) -> Proposal:
    proposal = authored_proposal(session, assistant, proposal_id)
    # An owner hiring at this moment and this withdrawal cannot both win.
    withdrawn = change_status(
        session,
        proposal,
        [ProposalStatus.SUBMITTED],
        ProposalStatus.WITHDRAWN,
        Proposal.assistant_id == assistant.id,
    )
    if not withdrawn:
        if proposal.status == ProposalStatus.ACCEPTED:
            raise Conflict(
                "The owner has just hired you on this proposal, so it can no longer be "
                "withdrawn. Open your contracts to see it."
            )
        raise Conflict(f"This proposal is {proposal.status.value} and cannot be withdrawn.")
    return proposal
