"""What operators do: grant and revoke the role, suspend and reinstate people, settle disputes.

Every action writes its audit row (``audit``) in the transaction that does it, and needs a
reason. Services flush; the view or command commits. Settling a dispute moves money in two
steps so Stripe is never called while a row is locked: ``resolve`` decides and claims the
contract (a compare-and-set, committed with its audit row), then ``settle`` calls Stripe with
no transaction open and records what Stripe did under the contract's lock. ``settle`` can be
run again (idempotency keys from our ids; ledger rows keyed by Stripe's ids).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import stripe
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..accounts import sessions
from ..accounts.addresses import lookup_key
from ..accounts.models import User
from ..contracts import milestones
from ..contracts import services as contracts
from ..contracts.models import MONEY_HELD, Contract, ContractStatus
from ..contracts.pricing import share_of
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..filters import format_money
from ..forms import amount_in_cents
from ..notifications.notices import notify_dispute_resolved
from ..payments import ledger
from ..payments import services as payments
from ..payments.gateway import StripeGateway
from ..payments.models import EntryKind, LedgerEntry, PayoutAccount
from ..reviews import services as reviews
from .models import AuditEntry, Outcome, Resolution, ResolutionStatus

log = logging.getLogger(__name__)

MIN_REASON = 5
MAX_TEXT = 2000
SETTLING_HOLD = "Delegate's support is settling this contract; the payout waits for it."


# The audit log -------------------------------------------------------------------------------
def clean_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise Invalid(
            f"Give a reason of at least {MIN_REASON} characters: it goes into the audit log.",
            field,
        )
    if len(text) > MAX_TEXT:
        raise Invalid(f"Keep it under {MAX_TEXT} characters.", field)
    return text


def audit(
    session: Session,
    operator: User | None,
    action: str,
    target_type: str,
    target_id: int,
    reason: str,
    **details,
) -> AuditEntry:
    """Append one row to the audit log, in the caller's transaction."""
    entry = AuditEntry(
        operator_id=operator.id if operator is not None else None,
        created_at=utcnow(),
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=clean_reason(reason),
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry


# The role (command line only) ----------------------------------------------------------------
def _by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email_key == lookup_key(email)))
    if user is None:
        raise NotFound(f"No account has the address {email}.")
    return user


def set_operator(session: Session, email: str, granted: bool, reason: str) -> tuple[User, bool]:
    """Grant or revoke the operator role; (user, whether anything changed)."""
    user = _by_email(session, email)
    changed = rows_changed(
        session,
        update(User)
        .where(User.id == user.id, User.is_operator.is_(not granted))
        .values(is_operator=granted),
    )
    session.refresh(user)
    if changed:
        action = "operator.grant" if granted else "operator.revoke"
        audit(session, None, action, "user", user.id, reason, email=user.email, via="cli")
    return user, bool(changed)


# Suspensions ---------------------------------------------------------------------------------
LIVE_CONTRACTS = (ContractStatus.AWAITING_FUNDING, *MONEY_HELD)


def live_contracts_of(session: Session, user_id: int) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract)
            .where(
                or_(Contract.owner_id == user_id, Contract.assistant_id == user_id),
                Contract.status.in_(LIVE_CONTRACTS),
            )
            .order_by(Contract.id)
        )
    )


def suspend(session: Session, operator: User, user_id: int, reason: str) -> User:
    """The account cannot log in, every session of it ends now, its open tasks and profile
    leave every list, and its live contracts freeze for an operator to settle."""
    reason = clean_reason(reason)
    if user_id == operator.id:
        raise Conflict("You cannot suspend your own account.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    changed = rows_changed(
        session,
        update(User)
        .where(User.id == user_id, User.suspended_at.is_(None))
        .values(suspended_at=utcnow()),
    )
    session.refresh(user)
    if not changed:
        raise Conflict("This account is suspended already.")
    ended = sessions.sign_out_other_sessions(session, user_id, None)
    frozen = [c.id for c in live_contracts_of(session, user_id)]
    audit(
        session,
        operator,
        "user.suspend",
        "user",
        user_id,
        reason,
        email=user.email,
        sessions_ended=ended,
        frozen_contracts=frozen,
    )
    return user


def reinstate(session: Session, operator: User, user_id: int, reason: str) -> User:
    reason = clean_reason(reason)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    changed = rows_changed(
        session,
        update(User)
        .where(User.id == user_id, User.suspended_at.is_not(None))
        .values(suspended_at=None),
    )
    session.refresh(user)
    if not changed:
        raise Conflict("This account is not suspended.")
    audit(session, operator, "user.reinstate", "user", user_id, reason, email=user.email)
    return user


# Disputes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisputeSubject:
    """What is disputed, and how much of the contract's money is at stake in it: a whole
    contract, or one milestone of a contract paid a milestone at a time
    (``milestone_disputes``), resolved and settled the same way."""

    type: str
    id: int
    contract_id: int
    amount_cents: int
    label: str


def contract_subject(contract: Contract, held_cents: int | None = None) -> DisputeSubject:
    amount = contract.total_cents if held_cents is None else held_cents
    return DisputeSubject("contract", contract.id, contract.id, amount, "Contract")


def parse_cents(text: str | None, field: str = "refund") -> int:
    """'12.50' or '12' (the contract's currency) as integer cents, read as the site's amount
    fields read them; nothing else."""
    try:
        return amount_in_cents(text or "")
    except ValueError as exc:
        raise Invalid(str(exc), field) from exc


def split(
    contract: Contract, outcome: Outcome, refund_cents: int, held: tuple[int, int] | None = None
) -> tuple[int, int]:
    """(to the owner, to the assistant) in cents, of what is still held: ``held`` is (amount,
    fee) of the milestones not paid out yet (``milestones.held_cents``), the whole contract
    if not given. The platform gives up the refunded share of its fee, with the rounding
    every refund uses, and keeps the rest of it."""
    total, fee = held if held is not None else (contract.total_cents, contract.fee_cents)
    if outcome == Outcome.RELEASE:
        return 0, total - fee
    if not 0 < refund_cents <= total:
        shown = format_money(total, contract.currency)
        raise Invalid(f"Refund more than nothing and at most the {shown} held.", "refund")
    fee_kept = fee - share_of(fee, refund_cents, total)
    return refund_cents, total - refund_cents - fee_kept


def resolve(
    session: Session,
    operator: User,
    contract_id: int,
    outcome: Outcome,
    refund_cents: int,
    note: str,
    reason: str,
) -> Resolution:
    """Decide a dispute on a funded contract and claim it for the settlement.

    The claim is a compare-and-set on the contract (money still held, no settlement begun),
    under its row lock on PostgreSQL and SQLite's write lock: of two operators deciding at
    once, one claims it and the other gets a Conflict, before either has called Stripe.
    """
    contract = contracts.lock(session, contract_id)
    if contract.funded_per_milestone:
        # Each milestone has its own payment: the disputed one is settled on its own.
        raise Conflict(
            "This contract is paid for a milestone at a time: settle the disputed milestone "
            "with its own Resolve form below."
        )
    if contract.status not in MONEY_HELD or contract.payment_intent_id is None:
        raise Conflict(
            f"This contract is {contract.status.label.lower()}: there is no held money to settle."
        )
    held = milestones.held_cents(session, contract)
    subject = contract_subject(contract, held[0])
    return resolve_subject(
        session, operator, contract, subject, held, outcome, refund_cents, note, reason
    )


def resolve_subject(
    session: Session,
    operator: User,
    contract: Contract,
    subject: DisputeSubject,
    held: tuple[int, int],
    outcome: Outcome,
    refund_cents: int,
    note: str,
    reason: str,
) -> Resolution:
    """Split what is ``held`` (amount, fee) of the subject, claim its contract (locked by
    the caller, its money checked held) and write the resolution and its audit row."""
    reason = clean_reason(reason)
    note = clean_reason(note, "note")
    if contract.resolution_started_at is not None:
        raise Conflict("Another operator is settling this contract already.")
    to_owner, to_assistant = split(contract, outcome, refund_cents, held)
    claimed = rows_changed(
        session,
        update(Contract)
        .where(
            Contract.id == contract.id,
            Contract.status.in_(MONEY_HELD),
            Contract.resolution_started_at.is_(None),
        )
        .values(resolution_started_at=utcnow(), payout_hold=SETTLING_HOLD)
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        raise Conflict("Another operator is settling this contract already.")
    session.refresh(contract)
    resolution = Resolution(
        contract_id=contract.id,
        subject_type=subject.type,
        subject_id=subject.id,
        operator_id=operator.id,
        outcome=outcome,
        refund_cents=to_owner,
        transfer_cents=to_assistant,
        note=note,
        status=ResolutionStatus.SETTLING,
    )
    session.add(resolution)
    session.flush()
    audit(
        session,
        operator,
        f"dispute.{outcome.value}",
        "contract",
        contract.id,
        reason,
        resolution_id=resolution.id,
        subject=f"{subject.type}:{subject.id}",
        refund_cents=to_owner,
        transfer_cents=to_assistant,
        currency=contract.currency,
        note=note,
        status_before=contract.status.value,
    )
    return resolution


@dataclass(frozen=True)
class _Plan:
    resolution_id: int
    contract_id: int
    payment_intent_id: str
    charge_id: str | None
    currency: str
    refund_cents: int
    refund_id: str | None
    transfer_cents: int
    transfer_id: str | None
    destination: str | None
    decided_at: datetime  # before any of the resolution's money moved
    key_suffix: str


def settle(session: Session, gateway: StripeGateway, resolution_id: int) -> Resolution:
    """Move the money a resolution decided, then record it: returns the resolution, settled
    or still settling (Stripe failed, or the assistant cannot be paid yet; ``last_error``
    says which). Call after ``resolve`` has been committed."""
    plan = _plan(session, resolution_id)
    session.rollback()  # no transaction (no lock) is open while Stripe answers
    refund_id, transfer_id, error = plan.refund_id, plan.transfer_id, None
    try:
        if plan.refund_cents and refund_id is None:
            refund_id = gateway.create_refund(
                contract_id=plan.contract_id,
                payment_intent_id=plan.payment_intent_id,
                key_suffix=plan.key_suffix,
                amount_cents=plan.refund_cents,
                since=plan.decided_at,
            ).id
        if plan.transfer_cents and transfer_id is None:
            if plan.destination is None:
                error = "The assistant has no Stripe account that can receive payouts yet."
            else:
                charge_id = plan.charge_id or payments.charge_of(gateway, plan.payment_intent_id)
                transfer_id = gateway.create_transfer(
                    contract_id=plan.contract_id,
                    amount_cents=plan.transfer_cents,
                    currency=plan.currency,
                    destination=plan.destination,
                    charge_id=charge_id,
                    key_suffix=plan.key_suffix,
                    since=plan.decided_at,
                ).id
    except stripe.StripeError as exc:
        log.exception("Settling resolution %s failed; it can be retried", plan.resolution_id)
        error = f"Stripe: {exc.user_message or exc}"
    return _record(session, plan.resolution_id, refund_id, transfer_id, error)


def _plan(session: Session, resolution_id: int) -> _Plan:
    resolution = session.get(Resolution, resolution_id)
    if resolution is None:
        raise NotFound("No such resolution.")
    if resolution.status == ResolutionStatus.SETTLED:
        raise Conflict("This resolution is settled already.")
    from . import milestone_disputes  # it builds on this module

    contract = session.get_one(Contract, resolution.contract_id)
    # A milestone's settlement moves that milestone's own payment, under keys naming it.
    milestone = milestone_disputes.of(session, resolution)
    paid = milestone or contract
    suffix = f"resolution-{resolution.id}"
    if milestone is not None:
        suffix = milestone_disputes.key_suffix(milestone, resolution.id)
    # resolve() only settles a contract (or milestone) whose payment is held.
    assert paid.payment_intent_id is not None, "a resolved contract was paid"
    account = session.get(PayoutAccount, contract.assistant_id)
    return _Plan(
        resolution_id=resolution.id,
        contract_id=contract.id,
        payment_intent_id=paid.payment_intent_id,
        charge_id=paid.charge_id,
        currency=contract.currency,
        refund_cents=resolution.refund_cents,
        refund_id=resolution.refund_id,
        transfer_cents=resolution.transfer_cents,
        transfer_id=resolution.transfer_id,
        destination=account.stripe_account_id if account and account.payouts_enabled else None,
        decided_at=resolution.created_at,
        key_suffix=suffix,
    )


def _record(
    session: Session,
    resolution_id: int,
    refund_id: str | None,
    transfer_id: str | None,
    error: str | None,
) -> Resolution:
    """Under the contract's lock: write what Stripe did to the ledger and the contract."""
    contract_id = session.scalars(
        select(Resolution.contract_id).where(Resolution.id == resolution_id)
    ).one()
    contract = contracts.lock(session, contract_id)
    resolution = session.scalars(
        select(Resolution)
        .where(Resolution.id == resolution_id)
        .with_for_update(of=Resolution)
        .execution_options(populate_existing=True)
    ).one()
    if resolution.status == ResolutionStatus.SETTLED:
        return resolution  # a concurrent retry recorded it first
    from . import milestone_disputes  # it builds on this module

    milestone = milestone_disputes.of(session, resolution)
    if refund_id and resolution.refund_id is None and milestone is not None:
        resolution.refund_id = refund_id
        milestone_disputes.record_refund(
            session, contract, milestone, refund_id, resolution.refund_cents
        )
        contract.payout_hold = SETTLING_HOLD  # ours, not "refunded outside Delegate"
    elif refund_id and resolution.refund_id is None:
        resolution.refund_id = refund_id
        contract.refund_id = contract.refund_id or refund_id
        session.flush()
        refunded = resolution.refund_cents + _refunded_elsewhere(session, contract, refund_id)
        # The same bookkeeping as any refund: its ledger row and the fee's share given back.
        # A full refund ends the contract there (REFUNDED, the owner told, the task open).
        payments.record_refunds(session, contract, [(refund_id, resolution.refund_cents)], refunded)
        if contract.status in MONEY_HELD:
            contract.payout_hold = SETTLING_HOLD  # ours, not "refunded outside Delegate"
    if transfer_id and resolution.transfer_id is None:
        resolution.transfer_id = transfer_id
        ledger.record(session, contract, EntryKind.TRANSFER, resolution.transfer_cents, transfer_id)
    done = (resolution.refund_id or not resolution.refund_cents) and (
        resolution.transfer_id or not resolution.transfer_cents
    )
    resolution.last_error = None if done else error
    if done and milestone is not None:
        milestone_disputes.finish(session, contract, milestone, resolution)
        _settled(session, contract, resolution)
    elif done:
        _finish(session, contract, resolution)
    session.flush()
    return resolution


def _refunded_elsewhere(session: Session, contract: Contract, refund_id: str) -> int:
    """Refunds of this contract's payment already in the ledger, other than ``refund_id``."""
    return session.scalars(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.contract_id == contract.id,
            LedgerEntry.kind == EntryKind.REFUND,
            LedgerEntry.stripe_object_id != refund_id,
        )
    ).one()


def _finish(session: Session, contract: Contract, resolution: Resolution) -> None:
    now = utcnow()
    if resolution.transfer_cents and contract.status in MONEY_HELD:
        contracts.transition(
            session,
            contract,
            MONEY_HELD,
            ContractStatus.PAID,
            approved_at=contract.approved_at or now,
            paid_at=now,
            transfer_id=resolution.transfer_id,
            payout_hold=None,
        )
        contracts.finish_task(session, contract.task)
        reviews.contract_ended(session, contract)  # paid out (in part): both may review it
    elif contract.payout_hold == SETTLING_HOLD:
        contract.payout_hold = None
    _settled(session, contract, resolution)


def _settled(session: Session, contract: Contract, resolution: Resolution) -> None:
    """The resolution is settled: both parties told, the audit log says so."""
    now = utcnow()
    resolution.status = ResolutionStatus.SETTLED
    resolution.settled_at = now
    notify_dispute_resolved(session, resolution, contract)
    audit(
        session,
        resolution.operator,
        "dispute.settled",
        "contract",
        contract.id,
        f"Settlement of resolution {resolution.id} recorded",
        resolution_id=resolution.id,
        refund_id=resolution.refund_id,
        transfer_id=resolution.transfer_id,
        status_after=contract.status.value,
    )
    session.flush()


def retry(
    session: Session, gateway: StripeGateway, operator: User, resolution_id: int, reason: str
) -> int:
    """An operator asks again for a settlement that did not finish; the audit row commits
    before Stripe is called. Returns the resolution id for ``settle``."""
    resolution = session.get(Resolution, resolution_id)
    if resolution is None:
        raise NotFound("No such resolution.")
    if resolution.status == ResolutionStatus.SETTLED:
        raise Conflict("This resolution is settled already.")
    audit(
        session,
        operator,
        "dispute.retry",
        "contract",
        resolution.contract_id,
        reason,
        resolution_id=resolution.id,
        last_error=resolution.last_error,
    )
    return resolution.id
