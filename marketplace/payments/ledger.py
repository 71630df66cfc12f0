"""The append-only ledger: recording a movement twice is a no-op, never a second row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import milestones
from ..contracts.models import MONEY_HELD, Contract
from ..db import add_once
from .models import EntryKind, LedgerEntry


def record(
    session: Session,
    contract: Contract,
    kind: EntryKind,
    amount_cents: int,
    stripe_object_id: str,
    timesheet_id: int | None = None,
) -> LedgerEntry | None:
    if has(session, kind, stripe_object_id):
        return None
    entry = LedgerEntry(
        contract_id=contract.id,
        timesheet_id=timesheet_id,
        kind=kind,
        amount_cents=amount_cents,
        currency=contract.currency,
        stripe_object_id=stripe_object_id,
    )
    if not add_once(session, entry):  # a concurrent webhook recorded it first
        return None
    return entry


def record_payment(
    session: Session, contract: Contract, payment_intent_id: str, paid_cents: int, fee_cents: int
) -> None:
    """A payment that funds work: what the client paid, and the platform's fee out of it.
    Both rows are keyed by the PaymentIntent, so a webhook and the return page recording the
    same payment leave one of each."""
    record(session, contract, EntryKind.CHARGE, paid_cents, payment_intent_id)
    record(session, contract, EntryKind.FEE, fee_cents, payment_intent_id)


def has(session: Session, kind: EntryKind, stripe_object_id: str) -> bool:
    return (
        session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.kind == kind, LedgerEntry.stripe_object_id == stripe_object_id
            )
        )
        is not None
    )


def total(session: Session, contract: Contract, kind: EntryKind) -> int:
    """The contract's entries of this kind, summed."""
    return session.scalars(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.contract_id == contract.id, LedgerEntry.kind == kind
        )
    ).one()


def total_keyed(session: Session, contract: Contract, kind: EntryKind, prefix: str) -> int:
    """The contract's entries of this kind whose Stripe key starts with ``prefix``, summed."""
    return session.scalars(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.contract_id == contract.id,
            LedgerEntry.kind == kind,
            LedgerEntry.stripe_object_id.startswith(prefix, autoescape=True),
        )
    ).one()


def entries_for(session: Session, user: User) -> list[LedgerEntry]:
    """The movements on contracts this user is party to; assistants never see other people's."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .join(Contract, Contract.id == LedgerEntry.contract_id)
            .where(or_(Contract.owner_id == user.id, Contract.assistant_id == user.id))
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        )
    )


def payouts_to(session: Session, assistant: User) -> list[LedgerEntry]:
    """Every transfer of an assistant's share to their Stripe account, newest first."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .join(Contract, Contract.id == LedgerEntry.contract_id)
            .where(Contract.assistant_id == assistant.id, LedgerEntry.kind == EntryKind.TRANSFER)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        )
    )


@dataclass
class Balances:
    paid_cents: int = 0  # owner: charged; assistant: transferred to them
    refunded_cents: int = 0
    held_cents: int = 0  # funded and not yet paid out or refunded
    fees_cents: int = 0


def balances_for(session: Session, user: User) -> dict[str, Balances]:
    """Per currency: what moved, and what is held for work in progress."""
    result: dict[str, Balances] = {}
    for entry in entries_for(session, user):
        b = result.setdefault(entry.currency, Balances())
        owner_view = entry.contract.owner_id == user.id
        if (
            entry.kind == EntryKind.CHARGE
            and owner_view
            or entry.kind == EntryKind.TRANSFER
            and not owner_view
        ):
            b.paid_cents += entry.amount_cents
        elif entry.kind == EntryKind.REFUND and owner_view:
            b.refunded_cents += entry.amount_cents
        elif entry.kind == EntryKind.FEE:
            b.fees_cents += entry.amount_cents
        elif entry.kind == EntryKind.FEE_REVERSAL:
            b.fees_cents -= entry.amount_cents
    contracts = session.scalars(
        select(Contract).where(
            or_(Contract.owner_id == user.id, Contract.assistant_id == user.id),
            Contract.status.in_(MONEY_HELD),
        )
    )
    for contract in contracts:
        b = result.setdefault(contract.currency, Balances())
        amount, net = milestones.held_now(session, contract)
        b.held_cents += amount if contract.owner_id == user.id else net
    # Hourly weeks the owner has paid for and whose payout has not gone out yet.
    # Imported here: timesheets import the ledger.
    from ..timesheets.models import DisputeSettlement, SettlementStatus, Timesheet, TimesheetStatus

    weeks = session.scalars(
        select(Timesheet)
        .join(Contract, Contract.id == Timesheet.contract_id)
        .where(
            or_(Contract.owner_id == user.id, Contract.assistant_id == user.id),
            Timesheet.status == TimesheetStatus.CHARGED,
        )
    )
    for week in weeks:
        b = result.setdefault(week.contract.currency, Balances())
        amount, _fee, net = week.billed
        b.held_cents += amount if week.contract.owner_id == user.id else net
    # Disputed time an operator settled: charged, its payout not gone out yet.
    settlements = session.scalars(
        select(DisputeSettlement)
        .join(Timesheet, Timesheet.id == DisputeSettlement.timesheet_id)
        .join(Contract, Contract.id == Timesheet.contract_id)
        .where(
            or_(Contract.owner_id == user.id, Contract.assistant_id == user.id),
            DisputeSettlement.status == SettlementStatus.CHARGED,
        )
    )
    for settlement in settlements:
        contract = settlement.timesheet.contract
        b = result.setdefault(contract.currency, Balances())
        owner_view = contract.owner_id == user.id
        b.held_cents += settlement.amount_cents if owner_view else settlement.net_cents
    return result
