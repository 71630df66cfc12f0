"""Hiring and the contract's life. Every change of state is a compare-and-set on the row
(plus a row lock on PostgreSQL), so two requests racing for the same transition cannot both win:
the loser gets a Conflict and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import add_once, rows_changed, today_in, utcnow
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..filters import format_money
from ..hiring import services as proposals
from ..hiring.models import Proposal, ProposalStatus
from ..matches import events as match_events
from ..matches.models import EventKind, Invitation
from ..notifications import notices
from ..tasks.models import MAX_OPENINGS, Engagement, Task, TaskStatus
from . import milestones
from .models import ENDED_UNPAID, UNDER_WAY, Contract, ContractKind, ContractStatus, hired_count
from .pricing import Price, price_for

MAX_HOURS = 500
MAX_WEEKLY_HOURS = 60


class PriceChanged(Conflict):
    """The hours sent give another price than the one the owner was shown: nothing is hired,
    the page shows the new price and asks again."""

    def __init__(self, price: Price, hours: int):
        total = format_money(price.total_cents, price.currency)
        super().__init__(
            f"For {hours} h the price is {total}, not the price you were shown. "
            "Check the new price below and confirm to hire.",
            "hours",
        )
        self.price = price


def quote(proposal: Proposal, hours: int, fee_bps: int) -> Price:
    return price_for(hours, proposal.proposed_rate_cents, fee_bps, proposal.currency)


def hire(
    session: Session,
    owner: User,
    proposal_id: int,
    hours: int,
    fee_bps: int,
    quoted_total_cents: int | None,
    kind: ContractKind = ContractKind.FIXED,
    ends_on: date | None = None,
    openings: int | None = None,
    parts: Sequence[milestones.Part] = (),
) -> Contract:
    """The owner accepts a proposal at the price they were shown: a fixed contract awaiting
    funding, split into ``parts`` (none: one milestone for the whole price), or an hourly one
    whose weekly limit is ``hours`` (and whose quoted total is the most one week can cost).
    ``openings``: how many assistants the owner wants on the task, if they changed it on the
    hire form."""
    proposal = proposals.owned_proposal(session, owner, proposal_id)
    most = MAX_WEEKLY_HOURS if kind == ContractKind.HOURLY else MAX_HOURS
    if not 1 <= hours <= most:
        what = "a week" if kind == ContractKind.HOURLY else ""
        raise Invalid(f"Agree between 1 and {most} hours{' ' + what if what else ''}.", "hours")
    price = quote(proposal, hours, fee_bps)
    if quoted_total_cents != price.total_cents:
        raise PriceChanged(price, hours)
    today = today_in(owner.timezone or "UTC")
    hourly_end = ends_on if kind == ContractKind.HOURLY else None
    if hourly_end is not None and hourly_end < today:
        raise Invalid("The end date has passed; choose today or a later day.", "ends_on")
    planned = milestones.plan(parts, price, today) if kind == ContractKind.FIXED else []
    task = _lock_opening(session, proposal.task_id, openings)
    # The rate is part of the compare-and-set: a proposal re-sent at another rate since the
    # page was shown is not hired at a price nobody saw.
    _claim(session, proposal, [ProposalStatus.SUBMITTED], rate_cents=proposal.proposed_rate_cents)
    contract = _contract_from(session, task, proposal, hours, fee_bps, kind, planned)
    if kind == ContractKind.HOURLY:
        contract.ends_on = ends_on
        session.flush()
    return contract


def accept_invitation(session: Session, assistant: User, task_id: int, fee_bps: int) -> Contract:
    """An invited assistant takes the job on the terms the owner saw when inviting them.

    Those terms are stored on the invitation; a rate changed on the profile since then does
    not apply (to ask for another rate, the assistant sends a proposal, which the owner must
    accept). Funding the contract is the owner's confirmation; until then they can cancel.
    """
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.task_id == task_id, Invitation.assistant_id == assistant.id
        )
    )
    if invitation is None:
        raise NotFound("There is no invitation for you on this task.")
    if invitation.rate_cents is None or invitation.hours is None:
        raise Conflict("This invitation has no terms on record; send a proposal instead.")
    task = _lock_opening(session, task_id)
    if invitation.currency != task.currency:
        raise Conflict(
            f"The invitation is in {invitation.currency}; this task pays in {task.currency}."
        )
    proposal = session.scalar(
        select(Proposal).where(Proposal.task_id == task_id, Proposal.assistant_id == assistant.id)
    )
    if proposal is None:
        proposal = Proposal(
            task_id=task.id,
            assistant_id=assistant.id,
            cover_note="Accepted the owner's invitation.",
            proposed_rate_cents=invitation.rate_cents,
            currency=invitation.currency,
            status=ProposalStatus.ACCEPTED,
        )
        if not add_once(session, proposal):  # the unique (task, assistant) key settles a race
            raise Conflict("You have answered this invitation already.")
    else:
        # Accepting the invitation is accepting its terms, whatever an earlier proposal said.
        _claim(
            session,
            proposal,
            [ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN],
            proposed_rate_cents=invitation.rate_cents,
            currency=invitation.currency,
        )
    # Ongoing work is hired by the hour, the invitation's hours being the weekly limit.
    kind = ContractKind.HOURLY if task.engagement == Engagement.RECURRING else ContractKind.FIXED
    contract = _contract_from(session, task, proposal, invitation.hours, fee_bps, kind)
    notices.notify_invitation_accepted(session, contract)
    return contract


def _claim(
    session: Session,
    proposal: Proposal,
    allowed_from: list[ProposalStatus],
    rate_cents: int | None = None,
    **values,
) -> None:
    """Compare-and-set the proposal to accepted: of a hire and a withdrawal racing, exactly
    one changes the row; the other gets a Conflict and changes nothing."""
    same_rate = [] if rate_cents is None else [Proposal.proposed_rate_cents == rate_cents]
    claimed = proposals.change_status(
        session, proposal, allowed_from, ProposalStatus.ACCEPTED, *same_rate, **values
    )
    if not claimed:
        if proposal.status == ProposalStatus.WITHDRAWN:
            raise Conflict(
                "The assistant has withdrawn this proposal; it can no longer be accepted."
            )
        if proposal.status == ProposalStatus.DECLINED:
            raise Conflict("You have declined this proposal; it can no longer be accepted.")
        if proposal.status == ProposalStatus.SUBMITTED:
            raise Conflict("The assistant changed this proposal; look at it again before hiring.")
        raise Conflict(f"This proposal is {proposal.status.value} and cannot be accepted.")


class TaskFull(Conflict):
    """Every opening of the task is taken: nothing is hired; the owner may raise the number."""

    def __init__(self, openings: int):
        wanted = "the assistant" if openings == 1 else f"the {openings} assistants"
        super().__init__(
            f"This task already has {wanted} you asked for. To hire another, raise the "
            "number of assistants you want on it.",
            "openings",
        )


def _lock_opening(session: Session, task_id: int, openings: int | None = None) -> Task:
    """The task, locked, with an opening free for the hire about to be made (``openings``:
    the number of assistants the owner now wants on it, if they changed it while hiring).

    Every hire takes the task's row lock first (on SQLite, the write lock) and counts the
    task's contracts only then, so of two hires for its last opening the second waits for
    the first to commit, counts its contract and is refused.
    """
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update(of=Task))
    if task is None:
        raise NotFound("This task does not exist.")
    if task.owner.is_suspended:
        raise NotFound("This task does not exist or is no longer open.")
    if task.status not in (TaskStatus.OPEN, TaskStatus.HIRED):
        raise Conflict(f"This task is {task.status.value}; it can no longer be hired for.")
    hired = session.scalar(hired_count(task.id)) or 0
    if openings is not None and openings != task.openings:
        if not hired < openings <= MAX_OPENINGS:
            raise Invalid(
                f"You have hired {hired} on this task: ask for between {hired + 1} and "
                f"{MAX_OPENINGS} assistants to hire one more.",
                "openings",
            )
        task.openings = openings
    if hired >= task.openings:
        raise TaskFull(task.openings)
    return task


def _contract_from(
    session: Session,
    task: Task,
    proposal: Proposal,
    hours: int,
    fee_bps: int,
    kind: ContractKind = ContractKind.FIXED,
    planned: Sequence[milestones.Planned] = (),
) -> Contract:
    """The contract for a proposal just claimed (accepted), at its rate. A fixed one waits
    for its money, split into its milestones (``planned``; none: one for the whole price);
    an hourly one is active at once (time is billed after each week, and can be logged once
    the owner has a card saved: timesheets.services.why_no_time)."""
    price = quote(proposal, hours, fee_bps)
    hourly = kind == ContractKind.HOURLY
    contract = Contract(
        task_id=task.id,
        owner_id=task.owner_id,
        assistant_id=proposal.assistant_id,
        proposal_id=proposal.id,
        kind=kind,
        hours=hours,
        rate_cents=proposal.proposed_rate_cents,
        currency=price.currency,
        total_cents=0 if hourly else price.total_cents,
        fee_cents=0 if hourly else price.fee_cents,
        fee_bps=fee_bps if hourly else None,
        status=ContractStatus.ACTIVE if hourly else ContractStatus.AWAITING_FUNDING,
        # Paid a part at a time, as each is started: less of the owner's money at risk.
        funded_per_milestone=len(planned) >= 2,
    )
    if not add_once(session, contract):
        raise Conflict("This proposal has already been accepted.")
    session.flush()
    if not hourly:
        milestones.create(session, contract, planned or milestones.whole(task.title, price))
    # Out of every job feed from this commit on once every opening is taken.
    full = (session.scalar(hired_count(task.id)) or 0) >= task.openings
    task.status = TaskStatus.HIRED if full else TaskStatus.OPEN
    session.flush()
    # both ways of hiring (a proposal, an accepted invitation) come through here
    match_events.record(session, EventKind.HIRE, task.id, proposal.assistant_id, str(contract.id))
    return contract


def ended_without_payout(session: Session, contract: Contract) -> None:
    """A contract cancelled or refunded before any payout: its opening on the task is free
    again, the
    assistant's proposal can be hired again, and the assistant is told to stop."""
    if contract.task.status == TaskStatus.HIRED:
        contract.task.status = TaskStatus.OPEN
    proposal = session.get(Proposal, contract.proposal_id) if contract.proposal_id else None
    if proposal is not None:
        proposals.change_status(
            session, proposal, [ProposalStatus.ACCEPTED], ProposalStatus.SUBMITTED
        )
    notices.notify_contract_cancelled(session, contract)
    session.flush()


def _end_partly_done(session: Session, contract: Contract) -> None:
    """Cancelled after milestones were paid out: the contract ends as an hourly one does.
    What was paid for stays paid, the rest is cancelled (and refunded after the commit), the
    task is done and the proposal stays hired (work happened), and both may review it."""
    from ..reviews import services as reviews  # reviews import this module

    transition(
        session,
        contract,
        [ContractStatus.AWAITING_FUNDING, ContractStatus.FUNDED],
        ContractStatus.ENDED,
        ended_at=utcnow(),
        cancelled_at=utcnow(),
    )
    finish_task(session, contract.task)
    notices.notify_contract_cancelled(session, contract)
    reviews.contract_ended(session, contract)
    session.flush()


def finish_task(session: Session, task: Task) -> None:
    """A contract of the task has finished: the task is completed once it has every
    assistant it asked for and none of their contracts is still under way."""
    if task.status != TaskStatus.HIRED:
        return
    still = session.scalar(
        select(Contract.id).where(Contract.task_id == task.id, Contract.status.in_(UNDER_WAY))
    )
    if still is None:
        task.status = TaskStatus.COMPLETED


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


def working_on(session: Session, task_id: int) -> list[Contract]:
    """The task's contracts that did not end unpaid: who is (or was) doing the work."""
    return working_on_each(session, [task_id]).get(task_id, [])


def working_on_each(session: Session, task_ids: Iterable[int]) -> dict[int, list[Contract]]:
    """``working_on`` for several tasks in one query (the planner's posted items)."""
    ids = list(task_ids)
    found: dict[int, list[Contract]] = {}
    if not ids:
        return found
    for contract in session.scalars(
        select(Contract)
        .where(Contract.task_id.in_(ids), Contract.status.not_in(ENDED_UNPAID))
        .order_by(Contract.created_at, Contract.id)
    ):
        found.setdefault(contract.task_id, []).append(contract)
    return found


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
    moved = rows_changed(
        session,
        update(Contract)
        .where(Contract.id == contract.id, Contract.status.in_(allowed))
        .values(status=to, **values)
        .execution_options(synchronize_session=False),
    )
    if moved != 1:
        session.refresh(contract)
        now, wanted = contract.status.label.lower(), to.label.lower()
        raise Conflict(f"This contract is {now}; it cannot become {wanted}.")
    session.refresh(contract)
    milestones.follow_contract(session, contract, to)
    return contract


def require_party(contract: Contract, user: User, party: str, action: str) -> None:
    """Every change a party makes goes through here: the right party, on a contract that is
    not frozen (a suspended party, or an operator settling it)."""
    if contract.party(user) != party:
        raise PermissionDenied(f"Only the {party} of this contract can {action}.")
    if contract.frozen_reason:
        raise Conflict(contract.frozen_reason)


def submit_work(session: Session, assistant: User, contract_id: int, note: str) -> Contract:
    """The assistant delivers the work, saying what was delivered (``submissions.submit``)."""
    from . import submissions  # it builds on this module

    return submissions.submit(session, assistant, contract_id, note).contract


def approve_work(session: Session, owner: User, contract_id: int) -> Contract:
    """The owner approves the submission waiting for them (``submissions.approve``)."""
    from . import submissions

    return submissions.approve(session, owner, contract_id)


def cancel(session: Session, owner: User, contract_id: int) -> tuple[Contract, bool]:
    """Cancel before the work is submitted. Returns (contract, whether money must go back)."""
    contract = lock(session, contract_id)
    if contract.party(owner) is None:
        raise NotFound("This contract does not exist.")
    require_party(contract, owner, "owner", "cancel the contract")
    released = milestones.released_any(session, contract.id)
    if contract.funded_per_milestone:
        # Each milestone was paid for on its own: those released stay the assistant's, the
        # others are refunded (payments.milestone_funding.settle_cancelled); only a payout
        # still on its way must go out first, or it would never go.
        pending = milestones.payable(session, contract.id)
        if pending:
            raise Conflict(
                f"Milestone {pending[0].number}'s payout to {contract.assistant.display_name} "
                "has not gone out yet; cancel once it has."
            )
        if released is not None:
            _end_partly_done(session, contract)
            return contract, False
    if released is not None:
        # The whole price was paid at hire: a full refund would give back money already
        # released to the assistant.
        raise Conflict(
            f"Milestone {released.number} has been released to "
            f"{contract.assistant.display_name}, so this contract can no longer be cancelled "
            "with a refund. Ask Delegate's support to settle the rest."
        )
    was_funded = contract.status == ContractStatus.FUNDED and not contract.funded_per_milestone
    transition(
        session,
        contract,
        [ContractStatus.AWAITING_FUNDING, ContractStatus.FUNDED],
        ContractStatus.CANCELLED,
        cancelled_at=utcnow(),
    )
    # The owner can hire someone else, or this assistant again.
    ended_without_payout(session, contract)
    return contract, was_funded
