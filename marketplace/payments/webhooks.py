"""Stripe webhook events: verified, recorded once, applied in the same transaction.

Each event id goes into stripe_events with a primary key, in the transaction that applies its
effect: a replay finds the id and does nothing; a concurrent duplicate fails on the key and
rolls back. Handlers look objects up by our ids in metadata and only move state forward.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..contracts import services as contracts
from ..contracts.models import Contract, ContractStatus
from . import ledger, services
from .gateway import StripeGateway
from .models import EntryKind, PayoutAccount, StripeEvent

log = logging.getLogger(__name__)

Handler = Callable[[Session, StripeGateway, dict], None]


def apply_event(session: Session, gateway: StripeGateway, event: dict) -> str:
    """Apply one verified event; returns 'applied', 'duplicate' or 'ignored'."""
    if session.get(StripeEvent, event["id"]) is not None:
        return "duplicate"
    try:
        with session.begin_nested():
            session.add(StripeEvent(id=event["id"], type=event["type"]))
    except IntegrityError:
        return "duplicate"
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    handler(session, gateway, event["data"]["object"])
    return "applied"


def _contract_from(session: Session, obj: dict) -> Contract | None:
    """The contract an object is about (locked): by our id in metadata, else by its payment."""
    raw = (obj.get("metadata") or {}).get("contract_id") or obj.get("client_reference_id")
    if raw and str(raw).isdigit():
        return contracts.lock_where(session, Contract.id == int(raw))
    intent = _id(obj.get("payment_intent"))
    if intent:
        return contracts.lock_where(session, Contract.payment_intent_id == intent)
    return None


def _id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def checkout_session_completed(session: Session, gateway: StripeGateway, obj: dict) -> None:
    contract = _contract_from(session, obj)
    if contract is None or obj.get("payment_status") != "paid":
        return
    if obj.get("amount_total") != contract.total_cents:
        log.error(
            "Checkout %s paid %s for contract %s of %s",
            obj["id"],
            obj.get("amount_total"),
            contract.id,
            contract.total_cents,
        )
    services.fund(session, gateway, contract, _id(obj["payment_intent"]))


def payment_intent_succeeded(session: Session, gateway: StripeGateway, obj: dict) -> None:
    contract = _contract_from(session, obj)
    if contract is not None and contract.payment_intent_id in (None, obj["id"]):
        contract.charge_id = contract.charge_id or _id(obj.get("latest_charge"))
        session.flush()


def payment_intent_payment_failed(session: Session, gateway: StripeGateway, obj: dict) -> None:
    contract = _contract_from(session, obj)
    if contract is None or contract.status != ContractStatus.AWAITING_FUNDING:
        return
    error = obj.get("last_payment_error") or {}
    contract.last_payment_error = error.get("message") or "The payment did not go through."
    session.flush()


def charge_refunded(session: Session, gateway: StripeGateway, obj: dict) -> None:
    contract = _contract_from(session, obj)
    if contract is None:
        return
    refunds = (obj.get("refunds") or {}).get("data") or []
    refund_id = refunds[0]["id"] if refunds else f"refund-of-{obj['id']}"
    if _id(obj.get("payment_intent")) != contract.payment_intent_id:
        # The refund of a duplicate payment: record it, the contract itself is unaffected.
        ledger.record(session, contract, EntryKind.REFUND, obj.get("amount_refunded", 0), refund_id)
        return
    services.mark_refunded(session, contract, refund_id, obj.get("amount_refunded", 0))


def account_updated(session: Session, gateway: StripeGateway, obj: dict) -> None:
    account = session.scalar(
        select(PayoutAccount).where(PayoutAccount.stripe_account_id == obj["id"])
    )
    if account is None:
        return
    sync_account(account, obj)
    session.flush()
    if account.payouts_enabled:
        for contract in services.pending_payouts(session, account.user_id):
            services.pay_out(session, gateway, contracts.lock(session, contract.id))


def sync_account(account: PayoutAccount, obj) -> None:
    account.details_submitted = bool(obj["details_submitted"])
    account.payouts_enabled = bool(obj["payouts_enabled"])


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_session_completed,
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_payment_failed,
    "charge.refunded": charge_refunded,
    "account.updated": account_updated,
}
