"""Stripe webhook events: verified, recorded once, applied in the same transaction.

Each event id goes into stripe_events with a primary key, in the transaction that applies its
effect: a replay finds the id and does nothing; a concurrent duplicate fails on the key and
rolls back. Handlers look objects up by our ids in metadata and only move state forward.

Payments that are not a contract's (an hourly week's charge, say) carry another key in their
metadata; the module that owns them registers a handler for that key with
``on_payment_intent`` and gets their events instead of the contract handlers. A completed
Checkout Session of one of our Customers that saved a card updates that owner's saved card
(``cards``), whoever else handles the event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contracts import services as contracts
from ..contracts.models import Contract, ContractStatus
from ..db import add_once
from . import card_disputes, cards, ledger, services
from .gateway import PaymentFacts, StripeGateway
from .models import EntryKind, PayoutAccount, StripeEvent

log = logging.getLogger(__name__)

Handler = Callable[[Session, StripeGateway, dict, PaymentFacts | None], None]

PaymentHandler = Callable[[Session, StripeGateway, str, dict, PaymentFacts | None], None]
"""``handler(session, gateway, event_type, obj, facts)``: ``obj`` is the event's object (a
Checkout Session, PaymentIntent or Charge), ``facts`` Stripe's current word on its payment,
read before the transaction began (None if it has no PaymentIntent). Runs in the event's
transaction, after its id is recorded: it must only move state forward (events come twice,
late and out of order) and must not call Stripe while it holds a row lock."""

_PAYMENT_ROUTES: dict[str, PaymentHandler] = {}

DisputeHandler = Callable[[Session, str, PaymentFacts | None], bool]
"""``handler(session, payment_intent_id, facts)``: a dispute was opened on a payment that no
contract was funded by; True when the payment was the handler's (it held what it pays for).
Same rules as a PaymentHandler: forward only, idempotent, no Stripe call."""

_DISPUTE_ROUTES: list[DisputeHandler] = []

ContractOf = Callable[[Session, dict, str | None], int | None]
"""``lookup(session, obj, payment_intent_id)``: the contract a payment that funds no contract
is part of (an hourly week's, say), or None; for the event's line in the contract's history."""

_CONTRACT_LOOKUPS: list[ContractOf] = []

# The events a registered handler receives.
ROUTED_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "charge.refunded",
    }
)


def on_payment_intent(metadata_key: str, handler: PaymentHandler) -> None:
    """Route the payment events (ROUTED_TYPES) of any payment whose metadata holds
    ``metadata_key`` and no ``contract_id`` to ``handler``, instead of the contract handlers.
    Register once, at import of the owning module, e.g.
    ``on_payment_intent("timesheet_id", timesheets.payment_event)``."""
    if metadata_key == "contract_id":
        raise ValueError("contract_id is the contract handlers' own key")
    registered = _PAYMENT_ROUTES.get(metadata_key)
    if registered is not None and registered is not handler:
        raise ValueError(f"a handler for {metadata_key!r} is registered already")
    _PAYMENT_ROUTES[metadata_key] = handler


def on_dispute(handler: DisputeHandler) -> None:
    """Send ``charge.dispute.created`` on payments that fund no contract to ``handler``: a
    Dispute carries no metadata of its payment, only the PaymentIntent's id, so the owning
    module finds its object by that id. Register once, at import of the owning module."""
    if handler not in _DISPUTE_ROUTES:
        _DISPUTE_ROUTES.append(handler)


def on_contract_of(lookup: ContractOf) -> None:
    """Say which contract the events of the payments a module owns are about, so they are
    listed in that contract's history in the operator console. Register once, at import."""
    if lookup not in _CONTRACT_LOOKUPS:
        _CONTRACT_LOOKUPS.append(lookup)


def routed_handler(event: dict) -> PaymentHandler | None:
    """The registered handler an event goes to, or None for the contract handlers."""
    if event["type"] not in ROUTED_TYPES:
        return None
    obj = event["data"]["object"]
    metadata = obj.get("metadata") or {}
    if "contract_id" in metadata or obj.get("client_reference_id"):
        return None
    for key, handler in _PAYMENT_ROUTES.items():
        if key in metadata:
            return handler
    return None


def _intent_of(obj: dict) -> str | None:
    if obj.get("object") == "payment_intent":
        return obj.get("id")
    return object_id(obj.get("payment_intent"))


# Events whose handler needs Stripe's current word on the payment (captured? refunded?
# disputed?), read by ``ask_stripe`` before the contract row is locked.
ASKS_ABOUT_PAYMENT = {"checkout.session.completed", "charge.refunded", "charge.dispute.created"}


def contract_terms(session: Session, event: dict) -> tuple[int, int, str] | None:
    """(contract id, total, currency) of the contract a paid checkout is for, read unlocked:
    these never change after hiring. The caller ends the read before asking Stripe. None
    when there is nothing to check: above all a late event for the payment that funded the
    contract already, whose refunds since (in part, in Stripe's dashboard) are the
    contract's to record, never a reason to give back the rest."""
    obj = event["data"]["object"]
    if event["type"] != "checkout.session.completed" or obj.get("payment_status") != "paid":
        return None
    contract_id = _contract_id(obj)
    if contract_id is None:
        return None
    row = session.execute(
        select(
            Contract.id, Contract.total_cents, Contract.currency, Contract.payment_intent_id
        ).where(Contract.id == contract_id)
    ).first()
    if row is None or row.payment_intent_id == object_id(obj.get("payment_intent")):
        return None
    return (row.id, row.total_cents, row.currency)


def ask_stripe(
    gateway: StripeGateway, event: dict, terms: tuple[int, int, str] | None
) -> PaymentFacts | None:
    """Stripe's current state of the payment an event is about; None when none is needed."""
    obj = event["data"]["object"]
    if routed_handler(event) is not None:
        routed_intent = _intent_of(obj)
        return gateway.payment_facts(routed_intent) if routed_intent else None
    if event["type"] not in ASKS_ABOUT_PAYMENT:
        return None
    intent = object_id(obj.get("payment_intent"))
    if not intent:
        return None
    if event["type"] == "checkout.session.completed":
        if terms is None:
            return None
        return services.verify_payment(gateway, *terms, intent)
    return gateway.payment_facts(intent)


def already_applied(session: Session, event_id: str) -> bool:
    return session.get(StripeEvent, event_id) is not None


def receive_event(session: Session, gateway: StripeGateway, event: dict) -> str:
    """Ask Stripe what the event's payment really is, with no transaction open, then apply it.

    The read of our own terms is ended before the network call: no lock (SQLite's write lock,
    a PostgreSQL row lock) may be held while Stripe answers. Raises stripe.StripeError when
    Stripe cannot be asked; the caller answers non-2xx so the event is delivered again.
    """
    if already_applied(session, event["id"]):
        return "duplicate"
    terms = contract_terms(session, event)
    card_checkout = cards.card_checkout_of(session, event)
    session.rollback()
    facts = ask_stripe(gateway, event, terms)
    saved = cards.read_card_checkout(gateway, card_checkout) if card_checkout else None
    outcome = apply_event(session, gateway, event, facts)
    if saved is not None:
        cards.record_card(session, saved)  # a compare-and-set: a replay changes nothing
    return outcome


def apply_event(
    session: Session, gateway: StripeGateway, event: dict, facts: PaymentFacts | None = None
) -> str:
    """Apply one verified event; returns 'applied', 'duplicate' or 'ignored'."""
    if session.get(StripeEvent, event["id"]) is not None:
        return "duplicate"
    obj = event["data"]["object"]
    seen = StripeEvent(
        id=event["id"], type=event["type"], contract_id=_about_contract(session, obj)
    )
    if not add_once(session, seen):
        return "duplicate"
    routed = routed_handler(event)
    if routed is not None:
        routed(session, gateway, event["type"], obj, facts)
        return "applied"
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    handler(session, gateway, obj, facts)
    return "applied"


def _about_contract(session: Session, obj: dict) -> int | None:
    """Which of our contracts an event's object is about (by our id, else its payment)."""
    contract_id = _contract_id(obj)
    intent = obj.get("id") if obj.get("object") == "payment_intent" else None
    intent = intent or object_id(obj.get("payment_intent"))
    if contract_id is None and intent:
        contract_id = session.scalar(
            select(Contract.id).where(Contract.payment_intent_id == intent)
        )
    for lookup in _CONTRACT_LOOKUPS if contract_id is None else ():
        contract_id = lookup(session, obj, intent)
        if contract_id is not None:
            break
    return contract_id


def _contract_id(obj: dict) -> int | None:
    raw = (obj.get("metadata") or {}).get("contract_id") or obj.get("client_reference_id")
    return int(raw) if raw and str(raw).isdigit() else None


def _contract_from(session: Session, obj: dict) -> Contract | None:
    """The contract an object is about (locked): by our id in metadata, else by its payment."""
    contract_id = _contract_id(obj)
    if contract_id is not None:
        return contracts.lock_where(session, Contract.id == contract_id)
    intent = object_id(obj.get("payment_intent"))
    if intent:
        return contracts.lock_where(session, Contract.payment_intent_id == intent)
    return None


def object_id(value) -> str | None:
    """The id of an event field that is an id, or an expanded object holding one."""
    return value.get("id") if isinstance(value, dict) else value


def checkout_session_completed(session, gateway, obj: dict, facts) -> None:
    contract = _contract_from(session, obj)
    if contract is None or obj.get("payment_status") != "paid" or facts is None:
        return
    services.fund(session, gateway, contract, facts)


def payment_intent_succeeded(session, gateway, obj: dict, facts) -> None:
    contract = _contract_from(session, obj)
    if contract is None or contract.payment_intent_id not in (None, obj["id"]):
        return
    if contract.payment_intent_id is None and ledger.has(session, EntryKind.CHARGE, obj["id"]):
        return  # a payment already refused (refunded, disputed, another amount)
    contract.charge_id = contract.charge_id or object_id(obj.get("latest_charge"))
    session.flush()


def payment_intent_payment_failed(session, gateway, obj: dict, facts) -> None:
    contract = _contract_from(session, obj)
    if contract is None or contract.status != ContractStatus.AWAITING_FUNDING:
        return
    if contract.charge_id:
        # A payment succeeded already (its confirmation is on its way): this failure is an
        # older attempt, delivered late, and must not tell the owner their card failed.
        return
    error = obj.get("last_payment_error") or {}
    contract.last_payment_error = error.get("message") or "The payment did not go through."
    session.flush()


def charge_refunded(session, gateway, obj: dict, facts) -> None:
    contract = _contract_from(session, obj)
    if contract is None or facts is None:
        return
    if facts.payment_intent_id != contract.payment_intent_id:
        # The refund of a payment that funds nothing (a duplicate, a refused one): record it,
        # the contract itself is unaffected.
        for refund_id, amount in facts.refunds:
            ledger.record(session, contract, EntryKind.REFUND, amount, refund_id)
        return
    services.record_refunds(session, contract, facts.refunds, facts.amount_refunded)


def charge_dispute_created(session, gateway, obj: dict, facts) -> None:
    intent = object_id(obj.get("payment_intent"))
    contract = (
        contracts.lock_where(session, Contract.payment_intent_id == intent) if intent else None
    )
    if contract is not None:
        card_disputes.record_opened(session, contract, obj)
        if facts is None or facts.disputed:
            services.hold_for_dispute(session, contract)
        return
    if intent:
        for handler in _DISPUTE_ROUTES:
            if handler(session, intent, facts):
                # A milestone's own payment: the operator answers it from the same records as
                # the contract's, under its contract. (A week's or a settlement's dispute is
                # held, and shown, on the week itself.)
                contract_id = _about_contract(session, obj)
                owner = session.get(Contract, contract_id) if contract_id else None
                if owner is not None and owner.funded_per_milestone:
                    card_disputes.record_opened(session, owner, obj, payment_intent_id=intent)
                return


def account_updated(session, gateway, obj: dict, facts) -> None:
    account = session.scalar(
        select(PayoutAccount).where(PayoutAccount.stripe_account_id == obj["id"])
    )
    if account is None:
        return
    sync_account(account, obj)
    session.flush()
    services.payouts_enabled(session, account)


def sync_account(account: PayoutAccount, obj) -> None:
    account.details_submitted = bool(obj["details_submitted"])
    account.payouts_enabled = bool(obj["payouts_enabled"])


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_session_completed,
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_payment_failed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": charge_dispute_created,
    "account.updated": account_updated,
}
