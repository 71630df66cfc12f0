"""Paying for a fixed contract one milestone at a time (``Contract.funded_per_milestone``).

The owner pays milestone 1 when hiring (the contract is funded then), and each next one once
the one before is approved: less of their money is at risk, and the assistant sees the next
part paid for before starting it. Each milestone has its own Checkout Session (key
``contract-{id}-milestone-{n}-checkout-{attempt}``), PaymentIntent, charge and refund; its
payout comes out of its own charge (``services.pay_out``).

Its payments carry ``milestone_id`` in their metadata, not ``contract_id``, so their events
reach ``payment_event`` (``webhooks.on_payment_intent``) and never the contract handlers.
A payment funds its milestone only when ``services.why_not_fundable`` finds nothing wrong
with it; anything else paid is given back by the ``contracts.refund_milestone`` job after
the commit, so Stripe is never waited on under the contract's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import stripe
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import milestones
from ..contracts import services as contracts
from ..contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from ..db import rows_changed, utcnow
from ..errors import Conflict, NotFound
from ..jobs import enqueue_after_commit
from ..notifications import notices
from . import checkout_attempts, ledger, services
from .gateway import CheckoutRequest, PaymentFacts, StripeGateway, get_gateway
from .models import EntryKind
from .webhooks import on_contract_of, on_dispute, on_payment_intent

log = logging.getLogger(__name__)

METADATA_KEY = "milestone_id"
REFUND_JOB = "contracts.refund_milestone"
# A contract whose next milestone can be paid for: hired, or under way between milestones.
FUNDABLE = (ContractStatus.AWAITING_FUNDING, ContractStatus.FUNDED)
FUNDS = ("checkout.session.completed", "payment_intent.succeeded")


def metadata(milestone: Milestone) -> dict[str, str]:
    return {
        METADATA_KEY: str(milestone.id),
        "milestone_contract_id": str(milestone.contract_id),
        "milestone_number": str(milestone.number),
    }


def to_fund(session: Session, contract: Contract) -> Milestone | None:
    """The milestone the owner is asked to pay for now, if any: the one being worked on,
    while it waits for its money."""
    if not contract.funded_per_milestone or contract.status not in FUNDABLE:
        return None
    current = milestones.current(session, contract.id)
    if current is None or current.status != MilestoneStatus.AWAITING_FUNDING:
        return None
    return current


def check_fundable(
    session: Session, contract: Contract, owner: User, number: int | None = None
) -> Milestone:
    """The milestone this owner may pay for (``number``, or the one due); a clear refusal
    otherwise."""
    if contract.party(owner) is None:
        raise NotFound("This contract does not exist.")
    contracts.require_party(contract, owner, "owner", "fund the contract")
    parts = milestones.of(session, contract.id)
    wanted = next((m for m in parts if m.number == number), None) if number else None
    if number and wanted is None:
        raise NotFound(f"This contract has no milestone {number}.")
    due = to_fund(session, contract)
    if wanted is not None and wanted.status != MilestoneStatus.AWAITING_FUNDING:
        raise Conflict(
            f"Milestone {number} is {wanted.status.label.lower()}; there is nothing to pay."
        )
    if due is None:
        raise Conflict(
            f"This contract is {contract.status.label.lower()}; there is nothing to pay."
        )
    if wanted is not None and wanted.id != due.id:
        raise Conflict(
            f"Milestone {number} is paid for once milestone {due.number} has been approved."
        )
    return due


# Checkout: claim an attempt (committed), ask Stripe with no transaction open, keep its answer
# by a compare-and-set on the attempt, as ``flows.checkout`` does for a whole contract.


def checkout(
    session: Session,
    owner: User,
    contract_id: int,
    number: int | None,
    urls: dict[str, str],
    gateway: Callable[[], StripeGateway] = get_gateway,
) -> str:
    """The URL of the Stripe Checkout page paying for the milestone due (``number``, if the
    page named it): one still open, or a new one for a newly claimed attempt."""
    contract = contracts.contract_for(session, owner, contract_id)
    milestone = check_fundable(session, contract, owner, number)
    session.commit()  # nothing was written: this only ends the transaction before Stripe
    stripe_gateway = gateway()
    url = services.open_session_url(stripe_gateway, milestone.checkout_session_id)
    if url is not None:
        return url
    return checkout_attempts.new_checkout(
        session,
        stripe_gateway,
        milestone,
        contract.id,
        lambda attempt: stripe_gateway.create_checkout_session(
            _request(contract, milestone, attempt, urls)
        ),
    )


def _request(contract: Contract, milestone: Milestone, attempt: int, urls) -> CheckoutRequest:
    key = f"contract-{contract.id}-milestone-{milestone.number}-checkout-{attempt}"
    return CheckoutRequest(
        contract_id=contract.id,
        attempt=attempt,
        amount_cents=milestone.amount_cents,
        currency=contract.currency,
        description=f"Delegate: {contract.task.title}, milestone {milestone.number}: "
        f"{milestone.title}",
        transfer_group=contract.transfer_group,
        customer_email=contract.owner.email,
        success_url=urls["success"],
        cancel_url=urls["cancel"],
        metadata=metadata(milestone),
        idempotency_key=key,
    )


def payment_event(
    session: Session, gateway: StripeGateway, event_type: str, obj: dict, facts: PaymentFacts | None
) -> None:
    milestone = _milestone_of(session, obj)
    if milestone is None:
        return
    contract = contracts.lock(session, milestone.contract_id)
    session.refresh(milestone)
    if event_type in FUNDS and facts is not None:
        if event_type == "checkout.session.completed" and obj.get("payment_status") != "paid":
            return
        take_payment(session, contract, milestone, facts)
    elif event_type == "charge.refunded" and facts is not None:
        record_refunds(session, contract, milestone, facts)
    elif event_type == "payment_intent.payment_failed":
        if milestone.status == MilestoneStatus.AWAITING_FUNDING and not milestone.payment_intent_id:
            error = obj.get("last_payment_error") or {}
            milestone.last_payment_error = error.get("message") or "The payment did not go through."
    elif event_type == "checkout.session.expired" and milestone.checkout_session_id == obj.get(
        "id"
    ):
        milestone.checkout_session_id = None  # the next "Pay" opens a new page
    session.flush()


def _milestone_of(session: Session, obj: dict) -> Milestone | None:
    raw = (obj.get("metadata") or {}).get(METADATA_KEY)
    return session.get(Milestone, int(raw)) if raw and str(raw).isdigit() else None


def take_payment(
    session: Session, contract: Contract, milestone: Milestone, facts: PaymentFacts
) -> None:
    """Stripe says the owner paid for ``milestone`` (its contract locked): fund it, or give
    the money back. A payment applied already (a replay, the other of the two events that
    announce it) changes nothing."""
    intent = facts.payment_intent_id
    if milestone.payment_intent_id == intent or ledger.has(session, EntryKind.CHARGE, intent):
        return
    what = f"milestone {milestone.number}"
    problem = services.why_not_fundable(facts, milestone.amount_cents, contract.currency, what)
    if problem is services.NOT_YET:
        return
    if problem is not None:
        services.record_refused(session, contract, facts, problem)
        if milestone.status == MilestoneStatus.AWAITING_FUNDING:
            milestone.last_payment_error = problem
            milestone.checkout_session_id = None  # spent: the next "Pay" opens a new page
        if facts.amount_cents > facts.amount_refunded and not facts.disputed:
            enqueue_after_commit(session, REFUND_JOB, milestone.id, intent)
        return
    if milestone.payment_intent_id is None and milestone.status == MilestoneStatus.CANCELLED:
        # Paid on a page left open when the owner cancelled: it is refunded, as a whole
        # contract's late payment is.
        _keep(session, contract, milestone, facts, funded_at=None)
        enqueue_after_commit(session, REFUND_JOB, milestone.id, intent)
        return
    due = to_fund(session, contract)
    if milestone.payment_intent_id is not None or due is None or due.id != milestone.id:
        # Paid twice (two tabs), or no longer its turn: the money goes straight back.
        ledger.record(session, contract, EntryKind.CHARGE, facts.amount_cents, intent)
        enqueue_after_commit(session, REFUND_JOB, milestone.id, intent)
        return
    now = utcnow()
    milestones.move(
        session,
        milestone,
        [MilestoneStatus.AWAITING_FUNDING],
        MilestoneStatus.FUNDED,
        payment_intent_id=intent,
        charge_id=facts.charge_id,
        funded_at=now,
        last_payment_error=None,
    )
    _keep(session, contract, milestone, facts, funded_at=now)
    if contract.status == ContractStatus.AWAITING_FUNDING:
        contracts.transition(
            session,
            contract,
            [ContractStatus.AWAITING_FUNDING],
            ContractStatus.FUNDED,
            funded_at=now,
        )
    notices.notify_contract_funded(session, contract, milestone)
    session.flush()


def _keep(session, contract: Contract, milestone: Milestone, facts: PaymentFacts, funded_at):
    """Record a payment taken for this milestone: its ids, and what it brought in."""
    if funded_at is None:
        milestone.payment_intent_id = facts.payment_intent_id
        milestone.charge_id = facts.charge_id
    ledger.record_payment(
        session, contract, facts.payment_intent_id, facts.amount_cents, milestone.fee_cents
    )


def record_refunds(
    session: Session, contract: Contract, milestone: Milestone, facts: PaymentFacts
) -> None:
    """Stripe refunded (part of) a payment of this milestone. Ours of a cancelled one ends
    it, refunded; one made outside Delegate of a milestone still held holds the payouts."""
    for refund_id, amount in facts.refunds:
        ledger.record(session, contract, EntryKind.REFUND, amount, refund_id)
    if facts.payment_intent_id != milestone.payment_intent_id or not facts.amount_refunded:
        return  # a payment refused or paid twice: it funded nothing
    services.reverse_fee_share(
        session,
        contract,
        payment_intent_id=milestone.payment_intent_id,
        paid_cents=milestone.amount_cents,
        fee_cents=milestone.fee_cents,
        refunded_cents=facts.amount_refunded,
    )
    whole = facts.amount_refunded >= milestone.amount_cents
    if whole and milestone.status == MilestoneStatus.CANCELLED:
        last = facts.refunds[-1][0] if facts.refunds else None
        milestones.move(
            session,
            milestone,
            [MilestoneStatus.CANCELLED],
            MilestoneStatus.REFUNDED,
            refund_id=milestone.refund_id or last,
        )
        notices.notify_refund_issued(session, contract)
    elif milestone.status in (*milestones.UNRELEASED, MilestoneStatus.APPROVED):
        contract.payout_hold = services.refunded_outside_hold(
            facts.amount_refunded, contract.currency, f" for milestone {milestone.number}"
        )
    session.flush()


def disputed(session: Session, payment_intent_id: str, facts: PaymentFacts | None) -> bool:
    """A card holder disputed a milestone's payment: the contract's payouts are held."""
    milestone = session.scalar(
        select(Milestone).where(Milestone.payment_intent_id == payment_intent_id)
    )
    if milestone is None:
        return False
    if facts is None or facts.disputed:
        services.hold_for_dispute(session, contracts.lock(session, milestone.contract_id))
    return True


# Refunds, always after the commit and under no lock ----------------------------------------


def refund_key(milestone: Milestone, payment_intent_id: str) -> str:
    """The milestone's own refund (on cancelling), or that of another payment made for it
    (refused, or paid twice), which names the payment."""
    key = f"contract-{milestone.contract_id}-milestone-{milestone.number}-refund"
    return key if payment_intent_id == milestone.payment_intent_id else f"{key}-{payment_intent_id}"


def refund(session: Session, gateway: StripeGateway, milestone_id: int, payment_intent_id: str):
    """Give back a payment made for a milestone (``refund_key``); the refund of its own is
    kept on it. Commits first (nothing was written): no lock is held while Stripe answers.
    A Stripe error is logged: the reconcile command asks again, with the same key."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        return None
    contract_id, key = milestone.contract_id, refund_key(milestone, payment_intent_id)
    own = payment_intent_id == milestone.payment_intent_id
    session.commit()
    try:
        made = gateway.create_refund(
            contract_id=contract_id, payment_intent_id=payment_intent_id, idempotency_key=key
        )
    except stripe.StripeError:
        log.exception("Refund of milestone %s failed; reconcile will retry", milestone_id)
        return None
    if own:
        rows_changed(
            session,
            update(Milestone)
            .where(Milestone.id == milestone_id, Milestone.refund_id.is_(None))
            .values(refund_id=made.id),
        )
    return made


def needs_stripe_to_cancel(session: Session, contract: Contract) -> bool:
    """Whether cancelling has a payment to give back or a payment page to close."""
    return any(
        m.payment_intent_id or m.checkout_session_id
        for m in milestones.of(session, contract.id)
        if m.status in milestones.UNRELEASED
    )


def being_refunded(session: Session, contract: Contract) -> int:
    """The cents paid for milestones cancelled before release: what a cancel gives back."""
    return sum(
        m.amount_cents
        for m in milestones.of(session, contract.id)
        if m.payment_intent_id and m.status in (MilestoneStatus.CANCELLED, MilestoneStatus.REFUNDED)
    )


def settle_cancelled(session: Session, gateway: StripeGateway | None, contract: Contract) -> None:
    """After a cancel has committed: refund each milestone funded and not released, close
    the payment page of those awaiting funding; Stripe is waited on under no lock."""
    cancelled = [
        (m.id, m.payment_intent_id, m.refund_id, m.checkout_session_id)
        for m in milestones.of(session, contract.id)
        if m.status == MilestoneStatus.CANCELLED
    ]
    session.commit()
    for milestone_id, intent, refund_id, checkout_session_id in cancelled:
        if intent:
            if gateway is None:
                raise services.PaymentsNotConfigured()
            if refund_id is None:
                refund(session, gateway, milestone_id, intent)
                session.commit()
        elif checkout_session_id and gateway is not None:
            services.expire_quietly(gateway, contract.id, checkout_session_id)


def contract_of(session: Session, obj: dict, payment_intent_id: str | None) -> int | None:
    """The contract a milestone's own payment is part of (its events carry no contract_id)."""
    if not payment_intent_id:
        return None
    return session.scalar(
        select(Milestone.contract_id).where(Milestone.payment_intent_id == payment_intent_id)
    )


on_payment_intent(METADATA_KEY, payment_event)
on_dispute(disputed)
on_contract_of(contract_of)
