"""Money flows: checkout, the effects of Stripe's events, payouts, refunds, reconciliation.

Funding is decided only by Stripe (a signed webhook or a reconcile read of the session),
never by a browser arriving on a success URL. State only moves forward, so late or replayed
events change nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

import stripe
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import milestones
from ..contracts import services as contracts
from ..contracts.models import MONEY_HELD, Contract, ContractStatus, Milestone, MilestoneStatus
from ..contracts.pricing import share_of
from ..db import rows_changed, utcnow
from ..errors import Conflict
from ..filters import format_money
from ..jobs import enqueue_after_commit
from ..notifications import notices
from ..reviews import services as reviews
from . import ledger
from .gateway import CheckoutRequest, PaymentFacts, PaymentsNotConfigured, StripeGateway
from .models import EntryKind, PayoutAccount

log = logging.getLogger(__name__)


def check_fundable(contract: Contract, owner: User) -> None:
    """Only the owner pays, and only a contract waiting for its money (a stranger's 404)."""
    if contract.party(owner) is None:
        raise contracts.NotFound("This contract does not exist.")
    contracts.require_party(contract, owner, "owner", "fund the contract")
    if contract.status != ContractStatus.AWAITING_FUNDING:
        raise Conflict(
            f"This contract is {contract.status.label.lower()}; there is nothing to pay."
        )


def open_checkout_url(gateway: StripeGateway, contract: Contract) -> str | None:
    """The URL of the contract's Checkout Session while it is open (asks Stripe, no row)."""
    return open_session_url(gateway, contract.checkout_session_id)


def open_session_url(gateway: StripeGateway, checkout_session_id: str | None) -> str | None:
    """The URL of a Checkout Session of ours while it is open; a Conflict once it was paid."""
    if not checkout_session_id:
        return None
    current = gateway.retrieve_checkout_session(checkout_session_id)
    if current.status == "open":
        return current.url
    if current.status == "complete":
        raise Conflict("Your payment went through; we are waiting for Stripe to confirm it.")
    return None


def create_checkout(
    gateway: StripeGateway, contract: Contract, attempt: int, owner: User, urls: dict[str, str]
):
    """A new Checkout Session for the contract's total; its idempotency key is the attempt's."""
    return gateway.create_checkout_session(
        CheckoutRequest(
            contract_id=contract.id,
            attempt=attempt,
            amount_cents=contract.total_cents,
            currency=contract.currency,
            description=f"Delegate: {contract.task.title} ({contract.hours} h)",
            transfer_group=contract.transfer_group,
            customer_email=owner.email,
            success_url=urls["success"],
            cancel_url=urls["cancel"],
        )
    )


def verify_payment(
    gateway: StripeGateway,
    contract_id: int,
    total_cents: int,
    currency: str,
    payment_intent_id: str,
) -> PaymentFacts:
    """Ask Stripe about a payment before any row is locked, and give back money that cannot
    fund the contract: a payment of another amount, or what is left of one partly refunded.

    The contract's amount and currency never change after hiring, so the caller may read them
    without a lock. The refund's idempotency key is built from our ids: a retried webhook
    finds the same refund, never a second one.
    """
    facts = gateway.payment_facts(payment_intent_id)
    if not facts.succeeded or facts.disputed:
        return facts  # nothing to give back yet (or a card issuer is deciding)
    mismatch = (facts.amount_cents, facts.currency) != (total_cents, currency.upper())
    left = facts.amount_cents - facts.amount_refunded
    if left > 0 and (mismatch or facts.amount_refunded > 0):
        refund = refund_payment(gateway, contract_id, payment_intent_id, suffix="refused")
        if refund is not None:
            facts = facts.with_refund(refund.id, int(refund.amount))
    return facts


def fund(session: Session, gateway: StripeGateway, contract: Contract, facts: PaymentFacts) -> None:
    """Stripe says the owner paid: hold the money against the contract, or give it back.

    ``facts`` come from ``verify_payment``, read before the contract was locked: the contract
    is funded only by a payment of its exact amount that is captured and neither refunded
    nor disputed.
    """
    payment_intent_id = facts.payment_intent_id
    if contract.payment_intent_id == payment_intent_id:
        return  # this payment was applied already: a late or repeated event
    problem = why_not_fundable(facts, contract.total_cents, contract.currency)
    if problem is NOT_YET:
        log.info("Payment %s for contract %s is %s", payment_intent_id, contract.id, facts.status)
        return
    if problem is not None:
        _refuse(session, contract, facts, problem)
    elif contract.payment_intent_id is not None:
        # A second payment for a contract already paid for: it goes straight back, once this
        # is committed (the charge row is what says it is owed back).
        ledger.record(session, contract, EntryKind.CHARGE, facts.amount_cents, payment_intent_id)
        enqueue_after_commit(
            session, "payments.refund_second_payment", contract.id, payment_intent_id
        )
    elif contract.status == ContractStatus.AWAITING_FUNDING:
        contracts.transition(
            session,
            contract,
            [ContractStatus.AWAITING_FUNDING],
            ContractStatus.FUNDED,
            funded_at=utcnow(),
            payment_intent_id=payment_intent_id,
            charge_id=facts.charge_id,
            last_payment_error=None,
        )
        ledger.record_payment(
            session, contract, facts.payment_intent_id, facts.amount_cents, contract.fee_cents
        )
        notices.notify_contract_funded(session, contract)
    elif contract.status == ContractStatus.CANCELLED:
        # Paid after the owner cancelled (the checkout page was still open): refund it all,
        # once this is committed (a cancelled contract with a payment and no refund id is
        # what says it is owed back; the reconcile command finds it too).
        contract.payment_intent_id = payment_intent_id
        contract.charge_id = facts.charge_id
        ledger.record_payment(
            session, contract, facts.payment_intent_id, facts.amount_cents, contract.fee_cents
        )
        enqueue_after_commit(session, "payments.refund_late_payment", contract.id)
    session.flush()


NOT_YET = "not yet"


def why_not_fundable(
    facts: PaymentFacts, amount_cents: int, currency: str, what: str = "this contract"
) -> str | None:
    """Why a payment cannot fund ``what`` (a contract, or one milestone of one) of
    ``amount_cents``: NOT_YET while it is not captured, else None when it can; only a payment
    of the exact amount, captured, and neither refunded nor disputed funds work."""
    paid = format_money(facts.amount_cents, facts.currency)
    if not facts.succeeded:
        return NOT_YET
    if (facts.amount_cents, facts.currency) != (amount_cents, currency.upper()):
        total = format_money(amount_cents, currency)
        return (
            f"Stripe received {paid}, but {what} is for {total}, so that payment did "
            "not fund it and is refunded in full. Pay again to fund it."
        )
    if facts.disputed:
        return (
            f"Your card issuer opened a dispute on your payment of {paid}, so it cannot fund "
            "the contract. Settle it with your bank, then pay again."
        )
    if facts.amount_refunded:
        return (
            f"Your payment of {paid} was refunded before Stripe confirmed it, so the contract "
            "is not funded. Pay again to start the work."
        )
    return None


def _refuse(session: Session, contract: Contract, facts: PaymentFacts, problem: str) -> None:
    """Record what Stripe says happened to a payment that funds nothing; no email goes out."""
    record_refused(session, contract, facts, problem)
    if contract.charge_id == facts.charge_id:
        contract.charge_id = None  # seen by payment_intent.succeeded; it is not our charge
    if contract.status == ContractStatus.AWAITING_FUNDING and contract.payment_intent_id is None:
        contract.last_payment_error = problem
        # That Checkout Session is spent: the next "Pay" opens a new one.
        contract.checkout_session_id = None


def record_refused(session: Session, contract: Contract, facts: PaymentFacts, problem: str) -> None:
    """The ledger's record of a payment that funds nothing: what Stripe took and gave back."""
    log.warning("Contract %s not funded by %s: %s", contract.id, facts.payment_intent_id, problem)
    ledger.record(session, contract, EntryKind.CHARGE, facts.amount_cents, facts.payment_intent_id)
    for refund_id, amount in facts.refunds:
        ledger.record(session, contract, EntryKind.REFUND, amount, refund_id)


def refund_payment(
    gateway: StripeGateway,
    contract_id: int,
    payment_intent_id: str,
    suffix="",
    since: datetime | None = None,
):
    """``since``: no attempt with this refund's key can be older (None: the gateway looks for
    an earlier refund before making one, whatever its age)."""
    try:
        return gateway.create_refund(
            contract_id=contract_id,
            payment_intent_id=payment_intent_id,
            key_suffix=suffix,
            since=since,
        )
    except stripe.StripeError:
        # The reconcile command retries with the same idempotency key; nothing is lost.
        log.exception("Refund for contract %s failed; reconcile will retry", contract_id)
        return None


def settle_cancelled(
    session: Session, gateway: StripeGateway | None, contract: Contract, was_funded: bool
) -> Contract:
    """After a cancel: refund what was paid, or close the payment page still open. Called
    after the cancel committed (the API) it waits on Stripe under no lock; a refund that
    fails is retried by the reconcile command with the same idempotency key."""
    if was_funded:
        if gateway is None:
            raise PaymentsNotConfigured()
        refund_cancelled(session, gateway, contract)
    elif contract.checkout_session_id and gateway is not None:
        expire_quietly(gateway, contract.id, contract.checkout_session_id)
    session.flush()
    return contract


def refund_cancelled(session: Session, gateway: StripeGateway, contract: Contract) -> bool:
    """Refund the payment of a cancelled contract and keep the refund's id (a compare-and-set:
    a second caller finds the same refund by its key and changes nothing). Call it with no
    lock held. False when Stripe could not be reached: the refund is still owed."""
    assert contract.payment_intent_id, "a paid contract was paid through its intent"
    # Every attempt at this refund follows the cancel.
    refund = refund_payment(
        gateway, contract.id, contract.payment_intent_id, since=contract.cancelled_at
    )
    if refund is None:
        return False
    rows_changed(
        session,
        update(Contract)
        .where(Contract.id == contract.id, Contract.refund_id.is_(None))
        .values(refund_id=refund.id),
    )
    session.refresh(contract)
    return True


def expire_quietly(gateway: StripeGateway, contract_id: int, checkout_session_id: str) -> None:
    try:
        gateway.expire_checkout_session(checkout_session_id, contract_id)
    except stripe.StripeError:
        # Already complete or expired: a late payment is refunded when its event arrives.
        log.info("Checkout %s could not be expired", checkout_session_id)


REFUNDABLE = (ContractStatus.CANCELLED, *MONEY_HELD)


def record_refunds(session: Session, contract: Contract, refunds, refunded_cents: int) -> None:
    """Stripe refunded ``refunded_cents`` in all of the payment that funded this contract.

    Each refund is a ledger row of its own; the platform gives up the same share of its fee;
    a full refund ends the contract (whoever made it: us on cancelling, or someone in
    Stripe's dashboard), a partial one outside Delegate holds the payout.
    """
    for refund_id, amount in refunds:
        ledger.record(session, contract, EntryKind.REFUND, amount, refund_id)
    if refunded_cents:
        _reverse_fee(session, contract, refunded_cents)
    if refunded_cents >= contract.total_cents and contract.status in REFUNDABLE:
        was = contract.status
        contracts.transition(
            session,
            contract,
            REFUNDABLE,
            ContractStatus.REFUNDED,
            refunded_at=utcnow(),
            refund_id=contract.refund_id or (refunds[-1][0] if refunds else None),
        )
        notices.notify_refund_issued(session, contract)
        if was != ContractStatus.CANCELLED:
            contracts.ended_without_payout(session, contract)
    elif 0 < refunded_cents < contract.total_cents and contract.status in MONEY_HELD:
        contract.payout_hold = refunded_outside_hold(refunded_cents, contract.currency)
    session.flush()


def refunded_outside_hold(refunded_cents: int, currency: str, of: str = "") -> str:
    """Why a payout waits after a partial refund made in Stripe's dashboard, not by us: the
    owner's payment (``of`` names a part, e.g. " for milestone 2") was partly given back."""
    refunded = format_money(refunded_cents, currency)
    return (
        f"{refunded} of the owner's payment{of} was refunded outside Delegate, so the payout "
        "waits until Delegate's support has settled it with both of you."
    )


def hold_for_dispute(session: Session, contract: Contract) -> None:
    if contract.status not in MONEY_HELD:
        # Nothing is held to stop: the operator console lists it for someone to answer.
        log.warning("Dispute opened on contract %s, %s", contract.id, contract.status.value)
    elif not contract.payout_hold:
        contract.payout_hold = (
            "The owner's card issuer opened a dispute on this payment; the payout waits for "
            "its outcome."
        )
        session.flush()


def _reverse_fee(session: Session, contract: Contract, refunded_cents: int) -> None:
    reverse_fee_share(
        session,
        contract,
        payment_intent_id=contract.payment_intent_id,
        paid_cents=contract.total_cents,
        fee_cents=ledger.total(session, contract, EntryKind.FEE),
        refunded_cents=refunded_cents,
    )


def reverse_fee_share(
    session: Session,
    contract: Contract,
    *,
    payment_intent_id: str | None,
    paid_cents: int,
    fee_cents: int,
    refunded_cents: int,
    timesheet_id: int | None = None,
) -> None:
    """Give up the fee's share of what was refunded of one payment (``paid_cents``, on which
    ``fee_cents`` was taken): proportional, rounded half up, so a full refund reverses the
    whole fee and the Money page nets it to zero. A fixed contract's payment, a milestone's,
    or one week's (``timesheet_id``, kept on the row) of an hourly one."""
    if not fee_cents:
        return  # this payment never funded the work: no fee was taken on it
    refunded = min(refunded_cents, paid_cents)
    due = share_of(fee_cents, refunded, paid_cents)
    # What was given up of this payment's fee alone: a contract paid by milestone, or by
    # week, has one payment per part, and each part's refund is reversed on its own.
    prefix = f"{payment_intent_id}:refunded:"
    owed = due - ledger.total_keyed(session, contract, EntryKind.FEE_REVERSAL, prefix)
    if owed > 0:
        # One row per refunded level of this payment: a replayed event finds it and adds none.
        key = f"{prefix}{refunded}"
        ledger.record(session, contract, EntryKind.FEE_REVERSAL, owed, key, timesheet_id)


def pay_out(
    session: Session,
    gateway: StripeGateway,
    contract: Contract,
    *,
    at_most: int | None = None,
    strict: bool = False,
) -> bool:
    """Transfer the assistant's share of each approved milestone of a contract (``at_most``
    of them), if they can be paid; True when at least one went out. After the last milestone
    the contract is paid. A transfer Stripe refuses is left for a retry; ``strict`` raises
    its StripeError (a job, to be retried) instead of logging it."""
    if contract.status not in MONEY_HELD or contract.payout_hold:
        return False
    account = session.get(PayoutAccount, contract.assistant_id)
    if account is None or not account.payouts_enabled:
        return False  # shown as "payout pending until you connect Stripe"
    count = len(milestones.of(session, contract.id))
    paid = False
    for milestone in milestones.payable(session, contract.id)[:at_most]:
        if not _pay_out_milestone(session, gateway, contract, milestone, account, count, strict):
            break
        paid = True
    if (
        paid
        and contract.status == ContractStatus.APPROVED
        and not milestones.payable(session, contract.id)
    ):
        contracts.transition(
            session,
            contract,
            [ContractStatus.APPROVED],
            ContractStatus.PAID,
            paid_at=utcnow(),
            transfer_id=contract.transfer_id or _last_transfer(session, contract),
        )
        reviews.contract_ended(session, contract)  # the work is paid for: both may review it
    session.flush()
    return paid


def _pay_out_milestone(
    session: Session,
    gateway: StripeGateway,
    contract: Contract,
    milestone: Milestone,
    account: PayoutAccount,
    count: int,
    strict: bool,
) -> bool:
    # A milestone funded on its own is paid out of its own charge, else of the contract's.
    own = milestone.payment_intent_id is not None
    intent = milestone.payment_intent_id or contract.payment_intent_id
    assert intent, "a contract paying out was paid through its intent"
    try:
        charge_id = (milestone.charge_id if own else contract.charge_id) or charge_of(
            gateway, intent
        )
        transfer = gateway.create_transfer(
            contract_id=contract.id,
            amount_cents=milestone.net_cents,
            currency=contract.currency,
            destination=account.stripe_account_id,
            charge_id=charge_id,
            idempotency_key=milestones.transfer_key(milestone, count),
            since=milestone.approved_at,  # no transfer of a milestone before its approval
        )
    except stripe.StripeError:
        if strict:
            raise
        log.exception("Payout of milestone %s failed; reconcile will retry", milestone.id)
        return False
    if not own:
        contract.charge_id = charge_id
    milestones.move(
        session,
        milestone,
        [MilestoneStatus.APPROVED],
        MilestoneStatus.PAID,
        paid_at=utcnow(),
        transfer_id=transfer.id,
        charge_id=charge_id if own else None,
    )
    ledger.record(session, contract, EntryKind.TRANSFER, milestone.net_cents, transfer.id)
    notices.notify_payment_sent(session, contract, milestone, count)
    return True


def _last_transfer(session: Session, contract: Contract) -> str | None:
    paid = [m for m in milestones.of(session, contract.id) if m.transfer_id]
    return paid[-1].transfer_id if paid else None


def pay_out_approved(
    session: Session,
    gateway: StripeGateway,
    contract_id: int,
    *,
    at_most: int | None = None,
    strict: bool = False,
) -> bool:
    """Pay out a contract whose approval (the owner's, or the automatic release) has been
    committed: read it afresh with no row lock, so Stripe is never waited on under one. The
    transfer's idempotency key and the APPROVED -> PAID compare-and-set make a second caller
    (another worker, the reconcile command) find the same transfer and change nothing."""
    contract = session.scalar(
        select(Contract).where(Contract.id == contract_id).execution_options(populate_existing=True)
    )
    if contract is None:
        return False
    try:
        return pay_out(session, gateway, contract, at_most=at_most, strict=strict)
    except Conflict:
        log.info("Contract %s was paid out by another worker", contract_id)
        session.expire_all()
        return False


def charge_of(gateway: StripeGateway, payment_intent_id: str) -> str:
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    latest = intent.latest_charge
    return latest if isinstance(latest, str) else latest.id


def pending_payouts(session: Session, assistant_id: int) -> list[Milestone]:
    """Milestones approved for this assistant whose share has not gone out yet."""
    return list(
        session.scalars(
            select(Milestone)
            .join(Contract, Contract.id == Milestone.contract_id)
            .where(
                Contract.assistant_id == assistant_id,
                Milestone.status == MilestoneStatus.APPROVED,
            )
            .order_by(Milestone.contract_id, Milestone.number)
        )
    )


def contracts_to_pay(session: Session, assistant_id: int) -> list[int]:
    """The ids of the contracts of ``pending_payouts`` that can be paid out now (not held),
    each once, oldest first."""
    seen: dict[int, None] = {}
    for milestone in pending_payouts(session, assistant_id):
        contract = milestone.contract
        if contract.status in MONEY_HELD and not contract.payout_hold:
            seen.setdefault(contract.id)
    return list(seen)


def payouts_enabled(session: Session, account: PayoutAccount) -> None:
    """The assistant can be paid now (Stripe said so): what waited for it is paid out once
    this is committed, by a job, with no lock held while Stripe answers."""
    if account.payouts_enabled and contracts_to_pay(session, account.user_id):
        enqueue_after_commit(session, "payments.pay_out_assistant", account.user_id)
