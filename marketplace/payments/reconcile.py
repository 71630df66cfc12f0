"""Repair what lost webhooks left behind by asking Stripe for the truth.

Three steps: read what needs asking (no lock), ask Stripe with no transaction open, then
lock each contract and apply what Stripe said, moving state only forward. Payouts that are
owed go out after that has committed (``pay_out``), with no lock held.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contracts import milestones
from ..contracts import services as contracts
from ..contracts.models import MONEY_HELD, Contract, ContractStatus
from . import runner, services
from .gateway import PaymentFacts, StripeGateway
from .models import PayoutAccount
from .webhooks import sync_account

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    funded: list[int] = field(default_factory=list)
    refunded: list[int] = field(default_factory=list)
    paid_out: list[int] = field(default_factory=list)
    to_pay_out: list[int] = field(default_factory=list)  # paid by ``pay_out`` once committed
    held: list[int] = field(default_factory=list)  # payout held: refunded in part, or disputed
    errors: list[str] = field(default_factory=list)


# Money is held for MONEY_HELD contracts: a refund or a dispute made in Stripe's dashboard,
# or by the card issuer, must reach our state even when its webhook never does.
UNSETTLED = (ContractStatus.AWAITING_FUNDING, ContractStatus.CANCELLED, *MONEY_HELD)


@dataclass
class _Ask:
    """One contract as read before asking Stripe, and what Stripe answered."""

    id: int
    status: ContractStatus
    checkout_session_id: str | None
    payment_intent_id: str | None
    refund_id: str | None
    total_cents: int
    currency: str
    payment: PaymentFacts | None = None  # the checkout's payment, or the funding one
    refund: stripe.Refund | None = None  # our refund of a cancelled contract


def reconcile(session: Session, gateway: StripeGateway) -> ReconcileReport:
    """One pass over unsettled contracts; safe to run any number of times."""
    report = ReconcileReport()
    asks = [
        _Ask(*row)
        for row in session.execute(
            select(
                Contract.id,
                Contract.status,
                Contract.checkout_session_id,
                Contract.payment_intent_id,
                Contract.refund_id,
                Contract.total_cents,
                Contract.currency,
            ).where(Contract.status.in_(UNSETTLED))
        )
    ]
    # Nothing is written before this point; ending the read means no lock is held while
    # Stripe answers (SQLite's BEGIN IMMEDIATE locks the whole database).
    session.rollback()
    for ask in asks:
        try:
            _ask_stripe(gateway, ask)
        except stripe.StripeError as exc:
            ask.payment = ask.refund = None
            report.errors.append(f"contract {ask.id}: {exc.user_message or exc}")
    _refresh_accounts(session, gateway)
    for ask in asks:
        try:
            with session.begin_nested():
                _apply(session, gateway, contracts.lock(session, ask.id), ask, report)
        except stripe.StripeError as exc:
            report.errors.append(f"contract {ask.id}: {exc.user_message or exc}")
    return report


def _ask_stripe(gateway: StripeGateway, ask: _Ask) -> None:
    if ask.checkout_session_id and ask.payment_intent_id is None:
        checkout = gateway.retrieve_checkout_session(ask.checkout_session_id)
        if checkout.status == "complete" and checkout.payment_status == "paid":
            ask.payment = services.verify_payment(
                gateway, ask.id, ask.total_cents, ask.currency, _id(checkout.payment_intent)
            )
    elif ask.status in MONEY_HELD and ask.payment_intent_id:
        ask.payment = gateway.payment_facts(ask.payment_intent_id)
    elif ask.status == ContractStatus.CANCELLED and ask.payment_intent_id:
        # Ask about the refund we already made; make it (idempotently) only if there is none.
        if ask.refund_id:
            ask.refund = gateway.retrieve_refund(ask.refund_id)
        else:
            ask.refund = services.refund_payment(gateway, ask.id, ask.payment_intent_id)


def _apply(session, gateway, contract: Contract, ask: _Ask, report: ReconcileReport) -> None:
    payment = ask.payment
    if payment is not None and contract.payment_intent_id is None:
        was = contract.status
        services.fund(session, gateway, contract, payment)
        if was == ContractStatus.AWAITING_FUNDING and contract.status == ContractStatus.FUNDED:
            report.funded.append(contract.id)
    elif payment is not None and payment.payment_intent_id == contract.payment_intent_id:
        held = contract.payout_hold
        if payment.amount_refunded:
            services.record_refunds(session, contract, payment.refunds, payment.amount_refunded)
        if payment.disputed:
            services.hold_for_dispute(session, contract)
        if contract.status == ContractStatus.REFUNDED:
            report.refunded.append(contract.id)
        elif contract.payout_hold and not held:
            report.held.append(contract.id)
    if contract.status == ContractStatus.CANCELLED and ask.refund is not None:
        if contract.refund_id is None:
            contract.refund_id = ask.refund.id
        if ask.refund.status == "succeeded":
            refund = ask.refund
            services.record_refunds(session, contract, [(refund.id, refund.amount)], refund.amount)
            report.refunded.append(contract.id)
    if (
        contract.status in MONEY_HELD
        and not contract.payout_hold
        and milestones.payable(session, contract.id)
    ):
        report.to_pay_out.append(contract.id)


def pay_out(session: Session, gateway: StripeGateway, report: ReconcileReport) -> None:
    """After ``reconcile`` committed: pay out what it found owed, each transfer under no lock
    (``runner.pay_out_contract`` commits)."""
    paid, failed = runner.pay_out_contracts(session, gateway, report.to_pay_out)
    report.paid_out.extend(paid)
    report.errors.extend(f"contract {cid}: {why}" for cid, why in failed.items())


def _refresh_accounts(session: Session, gateway: StripeGateway) -> None:
    for account in session.scalars(
        select(PayoutAccount).where(PayoutAccount.payouts_enabled.is_(False))
    ):
        sync_account(account, gateway.retrieve_account(account.stripe_account_id))
    session.flush()


def _id(value) -> str:
    return value if isinstance(value, str) else value.id
