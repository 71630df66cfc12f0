"""Payouts and refunds that wait for Stripe, each after the change that owes them commits.

These commit, as a job does (``marketplace.jobs``): a transfer or refund is asked for with no
row lock (on SQLite, no write lock) held, and each result is kept by a compare-and-set in a
transaction of its own, so the next Stripe call waits under no lock either. The idempotency
keys come from our ids: a retried or duplicated job finds what the first one made.
"""

from __future__ import annotations

import logging

import stripe
from sqlalchemy.orm import Session

from ..contracts.models import Contract, ContractStatus
from ..jobs import enqueue_after_commit
from . import ledger, services
from .gateway import StripeGateway
from .models import EntryKind

log = logging.getLogger(__name__)

PAY_OUT_AT_MOST = 20  # contracts one pay-out job pays; it queues itself again for the rest


class StillOwed(Exception):
    """Stripe refused or could not be reached: the money is still owed, so the job fails and
    is retried (its retry intervals); the reconcile command finds it too."""


def pay_out_contract(session: Session, gateway: StripeGateway, contract_id: int) -> bool:
    """Pay out every approved milestone of the contract, one transaction per transfer; True
    when one went out. Raises stripe.StripeError (rolled back) when a transfer failed."""
    paid = False
    try:
        while services.pay_out_approved(session, gateway, contract_id, at_most=1, strict=True):
            session.commit()
            paid = True
    except stripe.StripeError:
        session.rollback()
        raise
    session.commit()
    return paid


def pay_out_now(session: Session, gateway: StripeGateway, contract_id: int) -> bool:
    """Pay out a contract whose approval has just been committed; True when money went out.
    If Stripe fails, the assistant's pay-out job is queued to retry it."""
    try:
        return pay_out_contract(session, gateway, contract_id)
    except stripe.StripeError:
        log.warning("Payout of contract %s failed; a job retries it", contract_id, exc_info=True)
        contract = session.get_one(Contract, contract_id)
        enqueue_after_commit(session, "payments.pay_out_assistant", contract.assistant_id)
        session.commit()
        return False


def pay_out_contracts(
    session: Session, gateway: StripeGateway, contract_ids: list[int]
) -> tuple[list[int], dict[int, str]]:
    """Pay out each contract in turn: the ids of those paid, and why each failed one did."""
    paid: list[int] = []
    failed: dict[int, str] = {}
    for contract_id in contract_ids:
        try:
            if pay_out_contract(session, gateway, contract_id):
                paid.append(contract_id)
        except stripe.StripeError as exc:
            log.warning("Payout of contract %s failed; retried", contract_id, exc_info=True)
            failed[contract_id] = str(exc.user_message or exc)
    return paid, failed


def pay_out_assistant(
    session: Session, gateway: StripeGateway, assistant_id: int, at_most: int | None = None
) -> list[int]:
    """Pay out what the assistant is owed (up to ``at_most`` contracts; the rest in a job of
    its own); the ids of the contracts paid. Raises StillOwed after the others are paid when
    a transfer failed."""
    at_most = at_most or PAY_OUT_AT_MOST
    owed = services.contracts_to_pay(session, assistant_id)
    session.commit()  # only read: ends the transaction before Stripe is asked
    paid, failed = pay_out_contracts(session, gateway, owed[:at_most])
    if failed:
        raise StillOwed(f"payouts of contracts {sorted(failed)} failed")
    if len(owed) > at_most:
        enqueue_after_commit(session, "payments.pay_out_assistant", assistant_id)
        session.commit()
    return paid


def refund_late_payment(session: Session, gateway: StripeGateway, contract_id: int) -> bool:
    """Give back a payment that arrived after its contract was cancelled; True when Stripe
    has the refund (made now, or found by its key)."""
    contract = session.get(Contract, contract_id)
    session.commit()
    if (
        contract is None
        or contract.status != ContractStatus.CANCELLED
        or contract.payment_intent_id is None
        or contract.refund_id is not None
    ):
        return False  # refunded already, or not owed
    if not services.refund_cancelled(session, gateway, contract):
        raise StillOwed(f"the refund of contract {contract_id}'s late payment failed")
    session.commit()
    return True


def refund_second_payment(
    session: Session, gateway: StripeGateway, contract_id: int, payment_intent_id: str
) -> bool:
    """Give back a second payment for a contract that another payment funded (its charge row
    says so; its refund's key is the payment's, so a replay finds the same refund)."""
    contract = session.get(Contract, contract_id)
    owed = (
        contract is not None
        and contract.payment_intent_id != payment_intent_id
        and ledger.has(session, EntryKind.CHARGE, payment_intent_id)
    )
    session.commit()
    if not owed:
        return False
    refund = services.refund_payment(gateway, contract_id, payment_intent_id, payment_intent_id)
    if refund is None:
        raise StillOwed(f"the refund of payment {payment_intent_id} failed")
    return True
