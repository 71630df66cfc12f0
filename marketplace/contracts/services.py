"""Hiring and the contract's life. Every change of state is a compare-and-set on the row
(plus a row lock on PostgreSQL), so two requests racing for the same transition cannot both win:
the loser gets a Conflict and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import utcnow
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..hiring.models import Proposal, ProposalStatus
from ..matches.models import Invitation
from ..notifications.models import Kind
from ..notifications.services import notify
from ..profiles.models import AssistantProfile
from ..tasks.models import Task, TaskStatus
from .models import Contract, ContractStatus
from .pricing import price_for

MAX_HOURS = 500


def hire(session: Session, owner: User, proposal_id: int, hours: int, fee_bps: int) -> Contract:
    """The owner accepts a proposal: a contract at the proposed rate, awaiting funding."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.task.owner_id != owner.id:
        raise NotFound("This proposal does not exist.")
    if not 1 <= hours <= MAX_HOURS:
        raise Invalid(f"Agree between 1 and {MAX_HOURS} hours.", "hours")
    task = _lock_open_task(session, proposal.task_id)
    return _contract_from(session, task, proposal, hours, fee_bps)


def accept_invitation(session: Session, assistant: User, task_id: int, fee_bps: int) -> Contract:
    """An invited assistant takes the job at their profile rate for the task's hours.

    The owner invited them having seen that rate beside the task's budget; funding the
    contract is the owner's confirmation, and until then they can still cancel.
    """
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.task_id == task_id, Invitation.assistant_id == assistant.id
        )
    )
    profile = session.get(AssistantProfile, assistant.id)
    if invitation is None or profile is None:
        raise NotFound("There is no invitation for you on this task.")
    task = _lock_open_task(session, task_id)
    if profile.currency != task.currency:
        raise Conflict(f"Your rate is in {profile.currency}; this task pays in {task.currency}.")
    proposal = session.scalar(
        select(Proposal).where(Proposal.task_id == task_id, Proposal.assistant_id == assistant.id)
    )
    if proposal is None:
        proposal = Proposal(
            task_id=task.id,
            assistant_id=assistant.id,
            cover_note="Accepted the owner's invitation.",
            proposed_rate_cents=profile.hourly_rate_cents,
            currency=profile.currency,
            status=ProposalStatus.SUBMITTED,
        )
        session.add(proposal)
        session.flush()
    contract = _contract_from(session, task, proposal, task.weekly_hours or 1, fee_bps)
    notify(
        session,
        task.owner_id,
        Kind.INVITATION_ACCEPTED,
        f"contract:{contract.id}",
        {"contract_id": contract.id},
    )
    return contract


def _lock_open_task(session: Session, task_id: int) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update(of=Task))
    if task is None:
        raise NotFound("This task does not exist.")
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"This task is {task.status.value}; it can no longer be hired for.")
    return task


def _contract_from(
    session: Session, task: Task, proposal: Proposal, hours: int, fee_bps: int
) -> Contract:
    if proposal.status != ProposalStatus.SUBMITTED:
        raise Conflict(f"This proposal is {proposal.status.value} and cannot be accepted.")
    price = price_for(hours, proposal.proposed_rate_cents, fee_bps, proposal.currency)
    contract = Contract(
        task_id=task.id,
        owner_id=task.owner_id,
        assistant_id=proposal.assistant_id,
        proposal_id=proposal.id,
        hours=hours,
        rate_cents=proposal.proposed_rate_cents,
        currency=price.currency,
        total_cents=price.total_cents,
        fee_cents=price.fee_cents,
        status=ContractStatus.AWAITING_FUNDING,
    )
    try:
        with session.begin_nested():
            session.add(contract)
    except IntegrityError as exc:
        raise Conflict("This proposal has already been accepted.") from exc
    proposal.status = ProposalStatus.ACCEPTED
    task.status = TaskStatus.HIRED  # out of every job feed from this commit on
    session.flush()
    return contract


def contract_for(session: Session, user: User, contract_id: int) -> Contract:
    """A contract its two parties can see; to anyone else it does not exist."""
    contract = session.get(Contract, contract_id)
    if contract is None or contract.party(user) is None:
        raise NotFound("This contract does not exist.")
    return contract


def contracts_of(session: Session, user: User) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract)
            .where(or_(Contract.owner_id == user.id, Contract.assistant_id == user.id))
            .order_by(Contract.created_at.desc(), Contract.id.desc())
        )
    )


def lock(session: Session, contract_id: int) -> Contract:
    """Re-read the contract under a row lock (PostgreSQL) before deciding on a transition."""
    contract = lock_where(session, Contract.id == contract_id)
    if contract is None:
        raise NotFound("This contract does not exist.")
    return contract


def lock_where(session: Session, condition) -> Contract | None:
    return session.scalar(
        select(Contract)
        .where(condition)
        .with_for_update(of=Contract)
        .execution_options(populate_existing=True)
    )


def transition(
    session: Session,
    contract: Contract,
    allowed_from: Iterable[ContractStatus],
    to: ContractStatus,
    **values,
) -> Contract:
    allowed = tuple(allowed_from)
    result = session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.status.in_(allowed))
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(contract)
        now, wanted = contract.status.label.lower(), to.label.lower()
        raise Conflict(f"This contract is {now}; it cannot become {wanted}.")
    session.refresh(contract)
    return contract


def require_party(contract: Contract, user: User, party: str, action: str) -> None:
    if contract.party(user) != party:
        raise PermissionDenied(f"Only the {party} of this contract can {action}.")


def submit_work(session: Session, assistant: User, contract_id: int) -> Contract:
    contract = lock(session, contract_id)
    if contract.party(assistant) is None:
        raise NotFound("This contract does not exist.")
    require_party(contract, assistant, "assistant", "submit the work")
    return transition(
        session, contract, [ContractStatus.FUNDED], ContractStatus.SUBMITTED, submitted_at=utcnow()
    )


def approve_work(session: Session, owner: User, contract_id: int) -> Contract:
    contract = lock(session, contract_id)
    if contract.party(owner) is None:
        raise NotFound("This contract does not exist.")
    require_party(contract, owner, "owner", "approve the work")
    contract = transition(
        session, contract, [ContractStatus.SUBMITTED], ContractStatus.APPROVED, approved_at=utcnow()
    )
    contract.task.status = TaskStatus.COMPLETED
    session.flush()
    return contract


def cancel(session: Session, owner: User, contract_id: int) -> tuple[Contract, bool]:
    """Cancel before the work is submitted. Returns (contract, whether money must go back)."""
    contract = lock(session, contract_id)
    if contract.party(owner) is None:
        raise NotFound("This contract does not exist.")
    require_party(contract, owner, "owner", "cancel the contract")
    was_funded = contract.status == ContractStatus.FUNDED
    transition(
        session,
        contract,
        [ContractStatus.AWAITING_FUNDING, ContractStatus.FUNDED],
        ContractStatus.CANCELLED,
        cancelled_at=utcnow(),
    )
    # The task is open again so the owner can hire someone else.
    if contract.task.status == TaskStatus.HIRED:
        contract.task.status = TaskStatus.OPEN
    session.flush()
    return contract, was_funded
