"""``flask payments reconcile`` for milestones funded on their own: a payment page paid whose
webhooks never came, and a cancelled milestone's refund not made or not yet confirmed.

As ``reconcile``: read what needs asking (no lock), ask Stripe with no transaction open,
then lock each contract and apply Stripe's answer through the webhooks' own rules, which
only move state forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..contracts import services as contracts
from ..contracts.models import Contract, Milestone, MilestoneStatus
from . import milestone_funding
from .gateway import PaymentFacts, StripeGateway


@dataclass
class MilestoneReport:
    funded: list[int] = field(default_factory=list)  # milestone ids
    refunded: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Ask:
    id: int
    checkout_session_id: str | None
    payment_intent_id: str | None
    refund_id: str | None
    payment: PaymentFacts | None = None


# A page may still be paid (awaiting funding), or was paid after a cancel; a cancelled
# milestone that was paid for is refunded, and asked about until Stripe confirms it.
_WAITING = or_(
    and_(
        Milestone.checkout_session_id.is_not(None),
        Milestone.payment_intent_id.is_(None),
        Milestone.status.in_((MilestoneStatus.AWAITING_FUNDING, MilestoneStatus.CANCELLED)),
    ),
    and_(Milestone.status == MilestoneStatus.CANCELLED, Milestone.payment_intent_id.is_not(None)),
)


def reconcile(session: Session, gateway: StripeGateway) -> MilestoneReport:
    report = MilestoneReport()
    asks = [
        _Ask(*row)
        for row in session.execute(
            select(
                Milestone.id,
                Milestone.checkout_session_id,
                Milestone.payment_intent_id,
                Milestone.refund_id,
            )
            .join(Contract, Contract.id == Milestone.contract_id)
            .where(Contract.funded_per_milestone.is_(True), _WAITING)
            .order_by(Milestone.id)
        )
    ]
    session.rollback()  # no lock is held while Stripe answers
    for ask in asks:
        try:
            _ask_stripe(session, gateway, ask)
        except stripe.StripeError as exc:
            ask.payment = None
            report.errors.append(f"milestone {ask.id}: {exc.user_message or exc}")
    session.commit()  # a refund's id kept by _ask_stripe
    for ask in asks:
        if ask.payment is None:
            continue
        with session.begin_nested():
            _apply(session, ask, report)
    return report


def _ask_stripe(session: Session, gateway: StripeGateway, ask: _Ask) -> None:
    if ask.payment_intent_id is None and ask.checkout_session_id:
        checkout = gateway.retrieve_checkout_session(ask.checkout_session_id)
        if checkout.status == "complete" and checkout.payment_status == "paid":
            intent = checkout.payment_intent
            ask.payment = gateway.payment_facts(intent if isinstance(intent, str) else intent.id)
    elif ask.payment_intent_id:
        if ask.refund_id is None:  # never made, or its answer was lost: the same key again
            milestone_funding.refund(session, gateway, ask.id, ask.payment_intent_id)
            session.commit()
        ask.payment = gateway.payment_facts(ask.payment_intent_id)


def _apply(session: Session, ask: _Ask, report: MilestoneReport) -> None:
    milestone = session.get(Milestone, ask.id)
    assert milestone is not None and ask.payment is not None
    contract = contracts.lock(session, milestone.contract_id)
    session.refresh(milestone)
    was = milestone.status
    if ask.payment_intent_id is None:
        milestone_funding.take_payment(session, contract, milestone, ask.payment)
    else:
        milestone_funding.record_refunds(session, contract, milestone, ask.payment)
    if was != MilestoneStatus.FUNDED and milestone.status == MilestoneStatus.FUNDED:
        report.funded.append(milestone.id)
    if was != MilestoneStatus.REFUNDED and milestone.status == MilestoneStatus.REFUNDED:
        report.refunded.append(milestone.id)
