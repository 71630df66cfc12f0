"""Money flows: checkout, the effects of Stripe's events, payouts, refunds, reconciliation.

Funding is decided only by Stripe (a signed webhook or a reconcile read of the session),
never by a browser arriving on a success URL. State only moves forward, so late or replayed
events change nothing.
"""

from __future__ import annotations

import logging

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..contracts import services as contracts
from ..contracts.models import Contract, ContractStatus
from ..db import utcnow
from ..errors import Conflict
from ..notifications.models import Kind
from ..notifications.services import notify
from . import ledger
from .gateway import CheckoutRequest, PaymentsNotConfigured, StripeGateway
from .models import EntryKind, PayoutAccount

log = logging.getLogger(__name__)


def start_checkout(
    session: Session, gateway: StripeGateway, owner: User, contract_id: int, urls: dict[str, str]
) -> str:
    """The URL of a Stripe Checkout page for this contract, reusing one that is still open."""
    contract = contracts.lock(session, contract_id)
    if contract.party(owner) is None:
        raise contracts.NotFound("This contract does not exist.")
    contracts.require_party(contract, owner, "owner", "fund the contract")
    if contract.status != ContractStatus.AWAITING_FUNDING:
        raise Conflict(
            f"This contract is {contract.status.label.lower()}; there is nothing to pay."
        )
    if contract.checkout_session_id:
        current = gateway.retrieve_checkout_session(contract.checkout_session_id)
        if current.status == "open":
            return current.url
        if current.status == "complete":
            raise Conflict("Your payment went through; we are waiting for Stripe to confirm it.")
    contract.checkout_attempt += 1
    checkout = gateway.create_checkout_session(
        CheckoutRequest(
            contract_id=contract.id,
            attempt=contract.checkout_attempt,
            amount_cents=contract.total_cents,
            currency=contract.currency,
            description=f"Delegate: {contract.task.title} ({contract.hours} h)",
            transfer_group=contract.transfer_group,
            customer_email=owner.email,
            success_url=urls["success"],
            cancel_url=urls["cancel"],
        )
    )
    contract.checkout_session_id = checkout.id
    contract.last_payment_error = None
    session.flush()
    return checkout.url


def fund(
    session: Session, gateway: StripeGateway, contract: Contract, payment_intent_id: str
) -> None:
    """Stripe says the owner paid: hold the money against the contract, or give it back."""
    if contract.payment_intent_id not in (None, payment_intent_id):
        # A second payment for a contract already paid for: it goes straight back.
        ledger.record(session, contract, EntryKind.CHARGE, contract.total_cents, payment_intent_id)
        refund_payment(gateway, contract.id, payment_intent_id, suffix=payment_intent_id)
        return
    if contract.status == ContractStatus.AWAITING_FUNDING:
        contracts.transition(
            session,
            contract,
            [ContractStatus.AWAITING_FUNDING],
            ContractStatus.FUNDED,
            funded_at=utcnow(),
            payment_intent_id=payment_intent_id,
            last_payment_error=None,
        )
        _record_charge(session, contract, payment_intent_id)
        _tell(session, contract, Kind.CONTRACT_FUNDED, contract.owner_id, contract.assistant_id)
    elif contract.status == ContractStatus.CANCELLED and contract.payment_intent_id is None:
        # Paid after the owner cancelled (the checkout page was still open): refund it all.
        contract.payment_intent_id = payment_intent_id
        _record_charge(session, contract, payment_intent_id)
        refund = refund_payment(gateway, contract.id, payment_intent_id)
        contract.refund_id = refund.id if refund else None
    session.flush()


def _tell(session: Session, contract: Contract, kind: Kind, *user_ids: int) -> None:
    """Email through the outbox, in this transaction: sent once, and only if this commits."""
    for user_id in user_ids:
        notify(session, user_id, kind, f"contract:{contract.id}", {"contract_id": contract.id})


def _record_charge(session: Session, contract: Contract, payment_intent_id: str) -> None:
    ledger.record(session, contract, EntryKind.CHARGE, contract.total_cents, payment_intent_id)
    ledger.record(session, contract, EntryKind.FEE, contract.fee_cents, payment_intent_id)


def refund_payment(gateway: StripeGateway, contract_id: int, payment_intent_id: str, suffix=""):
    try:
        return gateway.create_refund(
            contract_id=contract_id, payment_intent_id=payment_intent_id, key_suffix=suffix
        )
    except stripe.StripeError:
        # The reconcile command retries with the same idempotency key; nothing is lost.
        log.exception("Refund for contract %s failed; reconcile will retry", contract_id)
        return None


def cancel_and_refund(
    session: Session, gateway: StripeGateway | None, owner: User, contract_id: int
):
    contract, was_funded = contracts.cancel(session, owner, contract_id)
    if was_funded:
        if gateway is None:
            raise PaymentsNotConfigured()
        refund = refund_payment(gateway, contract.id, contract.payment_intent_id)
        contract.refund_id = refund.id if refund else None
    elif contract.checkout_session_id and gateway is not None:
        _expire_quietly(gateway, contract)
    session.flush()
    return contract


def _expire_quietly(gateway: StripeGateway, contract: Contract) -> None:
    try:
        gateway.expire_checkout_session(contract.checkout_session_id, contract.id)
    except stripe.StripeError:
        # Already complete or expired: a late payment is refunded when its event arrives.
        log.info("Checkout %s could not be expired", contract.checkout_session_id)


def mark_refunded(session: Session, contract: Contract, refund_id: str, amount_cents: int) -> None:
    ledger.record(session, contract, EntryKind.REFUND, amount_cents, refund_id)
    if contract.status in (ContractStatus.CANCELLED, ContractStatus.FUNDED) and (
        amount_cents >= contract.total_cents
    ):
        contracts.transition(
            session,
            contract,
            [ContractStatus.CANCELLED, ContractStatus.FUNDED],
            ContractStatus.REFUNDED,
            refunded_at=utcnow(),
            refund_id=refund_id,
        )
        _tell(session, contract, Kind.REFUND_ISSUED, contract.owner_id)
    session.flush()


def pay_out(session: Session, gateway: StripeGateway, contract: Contract) -> bool:
    """Transfer the assistant's share of an approved contract, if they can be paid."""
    if contract.status != ContractStatus.APPROVED:
        return False
    account = session.get(PayoutAccount, contract.assistant_id)
    if account is None or not account.payouts_enabled:
        return False  # shown as "payout pending until you connect Stripe"
    try:
        charge_id = contract.charge_id or _charge_of(gateway, contract.payment_intent_id)
        transfer = gateway.create_transfer(
            contract_id=contract.id,
            amount_cents=contract.net_cents,
            currency=contract.currency,
            destination=account.stripe_account_id,
            charge_id=charge_id,
        )
    except stripe.StripeError:
        log.exception("Payout for contract %s failed; reconcile will retry", contract.id)
        return False
    contract.charge_id = charge_id
    contracts.transition(
        session,
        contract,
        [ContractStatus.APPROVED],
        ContractStatus.PAID,
        paid_at=utcnow(),
        transfer_id=transfer.id,
    )
    ledger.record(session, contract, EntryKind.TRANSFER, contract.net_cents, transfer.id)
    _tell(session, contract, Kind.PAYMENT_SENT, contract.assistant_id)
    session.flush()
    return True


def _charge_of(gateway: StripeGateway, payment_intent_id: str) -> str:
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    latest = intent.latest_charge
    return latest if isinstance(latest, str) else latest.id


def pending_payouts(session: Session, assistant_id: int) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract).where(
                Contract.assistant_id == assistant_id, Contract.status == ContractStatus.APPROVED
            )
        )
    )
