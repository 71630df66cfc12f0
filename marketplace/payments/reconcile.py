"""Repair what lost webhooks left behind by asking Stripe for the truth."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contracts import services as contracts
from ..contracts.models import Contract, ContractStatus
from . import services
from .gateway import StripeGateway
from .models import PayoutAccount
from .webhooks import sync_account

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    funded: list[int] = field(default_factory=list)
    refunded: list[int] = field(default_factory=list)
    paid_out: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


UNSETTLED = (
    ContractStatus.AWAITING_FUNDING,
    ContractStatus.CANCELLED,
    ContractStatus.APPROVED,
)


def reconcile(session: Session, gateway: StripeGateway) -> ReconcileReport:
    """One pass over unsettled contracts; safe to run any number of times."""
    report = ReconcileReport()
    _refresh_accounts(session, gateway)
    ids = session.scalars(select(Contract.id).where(Contract.status.in_(UNSETTLED))).all()
    for contract_id in ids:
        try:
            with session.begin_nested():
                _reconcile_one(session, gateway, contracts.lock(session, contract_id), report)
        except stripe.StripeError as exc:
            report.errors.append(f"contract {contract_id}: {exc.user_message or exc}")
    return report


def _reconcile_one(session, gateway, contract: Contract, report: ReconcileReport) -> None:
    if contract.checkout_session_id and contract.payment_intent_id is None:
        checkout = gateway.retrieve_checkout_session(contract.checkout_session_id)
        if checkout.status == "complete" and checkout.payment_status == "paid":
            was = contract.status
            services.fund(session, gateway, contract, _id(checkout.payment_intent))
            if was == ContractStatus.AWAITING_FUNDING:
                report.funded.append(contract.id)
    if contract.status == ContractStatus.CANCELLED and contract.payment_intent_id:
        # Ask about the refund we already made; make it (idempotently) only if there is none.
        if contract.refund_id:
            refund = gateway.retrieve_refund(contract.refund_id)
        else:
            refund = services.refund_payment(gateway, contract.id, contract.payment_intent_id)
            contract.refund_id = refund.id if refund else None
        if refund is not None and refund.status == "succeeded":
            services.mark_refunded(session, contract, refund.id, refund.amount)
            report.refunded.append(contract.id)
    if contract.status == ContractStatus.APPROVED and services.pay_out(session, gateway, contract):
        report.paid_out.append(contract.id)


def _refresh_accounts(session: Session, gateway: StripeGateway) -> None:
    for account in session.scalars(
        select(PayoutAccount).where(PayoutAccount.payouts_enabled.is_(False))
    ):
        sync_account(account, gateway.retrieve_account(account.stripe_account_id))
    session.flush()


def _id(value) -> str:
    return value if isinstance(value, str) else value.id
