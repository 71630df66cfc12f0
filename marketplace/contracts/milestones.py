"""A fixed contract's milestones: the price split into parts, each delivered, approved and paid
out on its own, in order (number 1 first).

The whole price is paid at hire, in one Checkout, and held; each milestone's share is released
when it is approved. So funding, cancelling and refunding are the contract's and its
milestones follow (``follow_contract``, called by ``services.transition``), while a
submission, an answer and a payout move one milestone by a compare-and-set of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import rows_changed
from ..errors import Conflict, Invalid
from ..filters import format_money
from .models import (
    MAX_MILESTONES,
    MILESTONE_TITLE_MAX,
    Contract,
    ContractStatus,
    Milestone,
    MilestoneStatus,
)
from .pricing import Price, share_of

FIELD = "milestones"
# The milestone being worked on: the first one not yet released.
UNRELEASED = (
    MilestoneStatus.AWAITING_FUNDING,
    MilestoneStatus.FUNDED,
    MilestoneStatus.SUBMITTED,
)
RELEASED = (MilestoneStatus.APPROVED, MilestoneStatus.PAID)
# What the contract's own moves do to its milestones: (from, to) for each contract status.
_FOLLOW: dict[ContractStatus, tuple[tuple[MilestoneStatus, ...], MilestoneStatus]] = {
    ContractStatus.FUNDED: ((MilestoneStatus.AWAITING_FUNDING,), MilestoneStatus.FUNDED),
    ContractStatus.CANCELLED: (UNRELEASED, MilestoneStatus.CANCELLED),
    # Cancelled after some milestones were paid out (fixed work paid a milestone at a time).
    ContractStatus.ENDED: (UNRELEASED, MilestoneStatus.CANCELLED),
    ContractStatus.REFUNDED: (
        (*UNRELEASED, MilestoneStatus.CANCELLED, MilestoneStatus.APPROVED),
        MilestoneStatus.REFUNDED,
    ),
    # Only an operator's settlement pays a contract with milestones still open.
    ContractStatus.PAID: ((*UNRELEASED, MilestoneStatus.APPROVED), MilestoneStatus.PAID),
}


@dataclass(frozen=True)
class Part:
    """One milestone as the owner wrote it on the hire form."""

    title: str
    amount_cents: int
    due_on: date | None = None


@dataclass(frozen=True)
class Planned:
    title: str
    amount_cents: int
    fee_cents: int
    due_on: date | None


def plan(parts: Sequence[Part], price: Price, today: date) -> list[Planned]:
    """The milestones for a fixed contract at ``price``, checked: 1 to 10 of them, each named
    and worth at least a cent, due today or later, adding up to the total the owner was shown.
    No parts: one milestone for the whole price (the contract as it was before milestones).

    Each milestone's fee is the difference of the fee's rounded shares up to it and up to the
    one before, so the shares add up to the contract's fee exactly, whatever the rounding."""
    if not parts:
        return whole("The work", price)
    if len(parts) > MAX_MILESTONES:
        raise Invalid(f"Split the price into at most {MAX_MILESTONES} milestones.", FIELD)
    for number, part in enumerate(parts, 1):
        if not part.title.strip():
            raise Invalid(f"Give milestone {number} a title.", FIELD)
        if len(part.title.strip()) > MILESTONE_TITLE_MAX:
            raise Invalid(
                f"Keep milestone {number}'s title under {MILESTONE_TITLE_MAX} characters.", FIELD
            )
        if part.amount_cents < 1:
            raise Invalid(f"Give milestone {number} an amount of at least 0.01.", FIELD)
        if part.due_on is not None and part.due_on < today:
            raise Invalid(f"Milestone {number}'s due date has passed; choose a later day.", FIELD)
    added = sum(part.amount_cents for part in parts)
    if added != price.total_cents:
        raise Invalid(
            f"The milestones add up to {format_money(added, price.currency)}; they must add up "
            f"to the total of {format_money(price.total_cents, price.currency)}.",
            FIELD,
        )
    planned, before, fee_before = [], 0, 0
    for part in parts:
        before += part.amount_cents
        fee_upto = share_of(price.fee_cents, before, price.total_cents)
        planned.append(
            Planned(part.title.strip(), part.amount_cents, fee_upto - fee_before, part.due_on)
        )
        fee_before = fee_upto
    return planned


def whole(title: str, price: Price) -> list[Planned]:
    """One milestone for the whole price: a contract hired without a split."""
    name = title.strip()[:MILESTONE_TITLE_MAX] or "The work"
    return [Planned(name, price.total_cents, price.fee_cents, None)]


def create(session: Session, contract: Contract, planned: Iterable[Planned]) -> list[Milestone]:
    rows = [
        Milestone(
            contract_id=contract.id,
            number=number,
            title=p.title,
            amount_cents=p.amount_cents,
            fee_cents=p.fee_cents,
            due_on=p.due_on,
            status=MilestoneStatus.AWAITING_FUNDING,
        )
        for number, p in enumerate(planned, 1)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def of(session: Session, contract_id: int) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.contract_id == contract_id)
            .order_by(Milestone.number)
            .execution_options(populate_existing=True)
        )
    )


def of_each(session: Session, contract_ids: Iterable[int]) -> dict[int, list[Milestone]]:
    """``of`` for several contracts in one query (lists, the operator console)."""
    ids = list(contract_ids)
    found: dict[int, list[Milestone]] = {}
    if ids:
        for row in session.scalars(
            select(Milestone)
            .where(Milestone.contract_id.in_(ids))
            .order_by(Milestone.contract_id, Milestone.number)
        ):
            found.setdefault(row.contract_id, []).append(row)
    return found


def current(session: Session, contract_id: int) -> Milestone | None:
    """The milestone being worked on (or waiting for the owner): the first not released."""
    return session.scalar(
        select(Milestone)
        .where(Milestone.contract_id == contract_id, Milestone.status.in_(UNRELEASED))
        .order_by(Milestone.number)
        .limit(1)
        .execution_options(populate_existing=True)
    )


def released_any(session: Session, contract_id: int) -> Milestone | None:
    """A milestone already released to the assistant (approved or paid), if any."""
    return session.scalar(
        select(Milestone)
        .where(
            Milestone.contract_id == contract_id,
            Milestone.status.in_(RELEASED),
        )
        .order_by(Milestone.number)
        .limit(1)
    )


def payable(session: Session, contract_id: int) -> list[Milestone]:
    """Milestones approved and not yet paid out, in order."""
    return list(
        session.scalars(
            select(Milestone)
            .where(
                Milestone.contract_id == contract_id,
                Milestone.status == MilestoneStatus.APPROVED,
            )
            .order_by(Milestone.number)
            .execution_options(populate_existing=True)
        )
    )


def move(
    session: Session,
    milestone: Milestone,
    allowed_from: Iterable[MilestoneStatus],
    to: MilestoneStatus,
    **values,
) -> None:
    """Compare-and-set one milestone's status: a Conflict when another request moved it."""
    changed = rows_changed(
        session,
        update(Milestone)
        .where(Milestone.id == milestone.id, Milestone.status.in_(tuple(allowed_from)))
        .values(status=to, **values)
        .execution_options(synchronize_session=False),
    )
    session.refresh(milestone)
    if not changed:
        raise Conflict(
            f"Milestone {milestone.number} is {milestone.status.label.lower()}; "
            f"it cannot become {to.label.lower()}."
        )


def follow_contract(session: Session, contract: Contract, to: ContractStatus) -> None:
    """Move the milestones a contract-wide change concerns (funded, cancelled, refunded,
    settled by an operator); the others keep their state."""
    if contract.is_hourly or to not in _FOLLOW:
        return
    if contract.funded_per_milestone and to == ContractStatus.FUNDED:
        return  # each milestone is funded by its own payment (payments.milestone_funding)
    allowed_from, becomes = _FOLLOW[to]
    session.execute(
        update(Milestone)
        .where(Milestone.contract_id == contract.id, Milestone.status.in_(allowed_from))
        .values(status=becomes)
        .execution_options(synchronize_session="fetch")
    )


def transfer_key(milestone: Milestone, count: int) -> str:
    """The idempotency key of a milestone's transfer. A one-milestone contract is the contract
    as it was before milestones and keeps its key, so a transfer asked for before the upgrade
    is found again, never made twice."""
    if count == 1:
        return f"contract-{milestone.contract_id}-transfer"
    return f"contract-{milestone.contract_id}-milestone-{milestone.number}-transfer"


def held_cents(session: Session, contract: Contract) -> tuple[int, int]:
    """(amount, fee) of the contract's price not yet paid out to the assistant: what an
    operator can still refund or release."""
    rows = [m for m in of(session, contract.id) if m.status != MilestoneStatus.PAID]
    if not rows and not of(session, contract.id):
        return contract.total_cents, contract.fee_cents
    return sum(m.amount_cents for m in rows), sum(m.fee_cents for m in rows)


HELD = (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED, MilestoneStatus.APPROVED)


def held_now(session: Session, contract: Contract) -> tuple[int, int]:
    """(amount, the assistant's share) of the owner's money held for this contract now: of
    a price paid as a whole, what is not paid out yet (``held_cents``); where each milestone
    is paid for on its own (``funded_per_milestone``), the milestones paid for and not paid
    out."""
    if not contract.funded_per_milestone:
        amount, fee = held_cents(session, contract)
        return amount, amount - fee
    rows = [m for m in of(session, contract.id) if m.status in HELD]
    return sum(m.amount_cents for m in rows), sum(m.net_cents for m in rows)
