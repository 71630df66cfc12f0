"""The one place that talks to Stripe. Keys are passed in; every POST carries an
idempotency key built from our own ids, so a retry or a double-click cannot move money twice.

Stripe forgets a key after 24 hours, and our retries (the reconcile command, the weekly
runner, an operator's retry, a charge retried once the card is fixed) are not bounded by that.
So every create that moves money also stamps its key into the object's metadata
(``delegate_key``), and a retry that may come after the key is forgotten first looks for the
object by that stamp (``_stamped``). The caller says since when a first attempt with the key
can have been made (``since``, a time recorded before any attempt, such as when the week was
approved): a call within 24 hours of it relies on the key alone and costs no extra request;
without ``since`` the gateway always looks first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import stripe
from flask import current_app

from ..config import settings
from ..db import utcnow
from ..errors import Unavailable

if TYPE_CHECKING:
    from stripe.params import (
        PaymentIntentListParams,
        RefundCreateParams,
        TransferListParams,
    )
    from stripe.params.checkout import SessionCreateParams


class PaymentsNotConfigured(Unavailable):
    def __init__(self) -> None:
        super().__init__("Payments are not set up on this server (no STRIPE_SECRET_KEY).")


@dataclass(frozen=True)
class CheckoutRequest:
    contract_id: int
    attempt: int
    amount_cents: int
    currency: str
    description: str
    transfer_group: str
    customer_email: str
    success_url: str
    cancel_url: str
    # A payment of one milestone (``milestone_funding``) names it here instead of being the
    # contract's: its events go to that module's handler, not the contract handlers.
    metadata: dict[str, str] | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PaymentFacts:
    """What Stripe says about one payment now: read before any row is locked, then acted on."""

    payment_intent_id: str
    status: str
    amount_cents: int  # what Stripe received (amount_received), or what was asked if nothing yet
    currency: str
    charge_id: str | None
    captured: bool
    amount_refunded: int
    refunds: tuple[tuple[str, int], ...]  # (refund id, cents), oldest first
    disputed: bool

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded" and self.captured

    @property
    def intact(self) -> bool:
        """Paid, captured, and none of it given back or contested: money that can fund work."""
        return self.succeeded and self.amount_refunded == 0 and not self.disputed

    def with_refund(self, refund_id: str, amount_cents: int) -> PaymentFacts:
        return replace(
            self,
            amount_refunded=self.amount_refunded + amount_cents,
            refunds=(*self.refunds, (refund_id, amount_cents)),
        )


@dataclass(frozen=True)
class CardPaymentRequest:
    """An on-session payment for an owner's Customer that also saves the card it is paid
    with (``setup_future_usage=off_session``): the way out of a failed off-session charge."""

    user_id: int
    customer_id: str
    amount_cents: int
    currency: str
    description: str
    idempotency_key: str
    metadata: dict[str, str]
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class OffSessionCharge:
    customer_id: str
    payment_method_id: str
    amount_cents: int
    currency: str
    description: str
    idempotency_key: str
    metadata: dict[str, str]
    since: datetime | None = None  # no first attempt with this key can be older


KEY_LIFETIME = timedelta(hours=24)  # Stripe keeps an idempotency key at least this long
# Our clock and Stripe's may differ by a little: look a little before the key can go.
CLOCK_MARGIN = timedelta(seconds=30)
KEY_METADATA = "delegate_key"


def key_may_be_forgotten(since: datetime | None) -> bool:
    """Whether a first attempt made at or after ``since`` may be past its key's lifetime."""
    return since is None or utcnow() - since >= KEY_LIFETIME - CLOCK_MARGIN


def _earliest(since: datetime) -> int:
    """``created[gte]`` for objects made at or after ``since`` by Stripe's clock."""
    return int((since - CLOCK_MARGIN).timestamp())


def _stamped(objects, key: str):
    """The object whose metadata carries ``key``, reading every page of a Stripe list."""
    for obj in objects.auto_paging_iter():
        if obj.metadata and obj.metadata.to_dict().get(KEY_METADATA) == key:
            return obj
    return None


def _facts(intent) -> PaymentFacts:
    charge = intent.latest_charge
    refunds: tuple[tuple[str, int], ...] = ()
    if isinstance(charge, str) or charge is None:  # not expanded: nothing known about it
        charge_id, captured, refunded, disputed = charge, False, 0, False
    else:
        listed = getattr(charge, "refunds", None)
        rows = sorted(
            (r for r in (listed.data if listed else []) if r.status in ("succeeded", "pending")),
            key=lambda r: (r.created, r.id),
        )
        charge_id = charge.id
        captured = bool(charge.captured)
        refunded = int(charge.amount_refunded or 0)
        refunds = tuple((r.id, int(r.amount)) for r in rows)
        disputed = bool(getattr(charge, "disputed", False))
    received = int(getattr(intent, "amount_received", 0) or 0)
    return PaymentFacts(
        payment_intent_id=intent.id,
        status=intent.status,
        amount_cents=received or int(intent.amount),
        currency=intent.currency.upper(),
        charge_id=charge_id,
        captured=captured,
        amount_refunded=refunded,
        refunds=refunds,
        disputed=disputed,
    )


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        webhook_secrets: list[str | None],  # an unset one (no Connect endpoint) is skipped
        api_base: str | None = None,
    ):
        options: dict[str, Any] = {"max_network_retries": 2}
        if api_base:
            options["base_addresses"] = {"api": api_base}
        self.client = stripe.StripeClient(secret_key, **options)
        self.webhook_secrets = [s for s in webhook_secrets if s]
        self.test_mode = secret_key.startswith("sk_test_")

    # Checkout -----------------------------------------------------------------------------
    def create_checkout_session(self, req: CheckoutRequest):
        metadata = req.metadata or {"contract_id": str(req.contract_id)}
        key = req.idempotency_key or f"contract-{req.contract_id}-checkout-{req.attempt}"
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": req.currency.lower(),
                        "unit_amount": req.amount_cents,
                        "product_data": {"name": req.description[:250]},
                    },
                }
            ],
            # Separate charges and transfers: the money lands on the platform and is
            # transferred to the assistant only when the owner approves the work.
            "payment_intent_data": {"transfer_group": req.transfer_group, "metadata": metadata},
            "metadata": metadata,
            "customer_email": req.customer_email,
            "success_url": req.success_url,
            "cancel_url": req.cancel_url,
        }
        if req.metadata is None:
            params["client_reference_id"] = str(req.contract_id)
        return self.client.v1.checkout.sessions.create(
            params=params, options={"idempotency_key": key}
        )

    def retrieve_checkout_session(self, session_id: str):
        return self.client.v1.checkout.sessions.retrieve(session_id)

    def expire_checkout_session(self, session_id: str, contract_id: int):
        return self.client.v1.checkout.sessions.expire(
            session_id, options={"idempotency_key": f"contract-{contract_id}-expire-{session_id}"}
        )

    def retrieve_payment_intent(self, payment_intent_id: str):
        return self.client.v1.payment_intents.retrieve(payment_intent_id)

    def payment_facts(self, payment_intent_id: str) -> PaymentFacts:
        """The payment, its latest charge and that charge's refunds, in one read."""
        intent = self.client.v1.payment_intents.retrieve(
            payment_intent_id, params={"expand": ["latest_charge.refunds"]}
        )
        return _facts(intent)

    # Saved cards --------------------------------------------------------------------------
    def create_customer(self, user_id: int, email: str, name: str):
        """The owner's one Customer: racing first clicks send the same key, so Stripe makes
        one and answers both with it."""
        return self.client.v1.customers.create(
            params={"email": email, "name": name, "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"customer-user-{user_id}"},
        )

    def create_setup_checkout(
        self, *, user_id: int, attempt: int, customer_id: str, success_url: str, cancel_url: str
    ):
        """Stripe's hosted page that saves a card on the Customer and charges nothing."""
        metadata = {"user_id": str(user_id)}
        # payment_method_types: Stripe's API takes it (and the emulator needs it in setup
        # mode), but stripe-python's typed parameters no longer list it.
        params = cast(
            "SessionCreateParams",
            {
                "mode": "setup",
                "customer": customer_id,
                "payment_method_types": ["card"],
                "setup_intent_data": {"metadata": metadata},
                "metadata": metadata,
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
        )
        return self.client.v1.checkout.sessions.create(
            params=params,
            options={"idempotency_key": f"customer-user-{user_id}-setup-{attempt}"},
        )

    def create_card_payment_checkout(self, req: CardPaymentRequest):
        return self.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer": req.customer_id,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": req.currency.lower(),
                            "unit_amount": req.amount_cents,
                            "product_data": {"name": req.description[:250]},
                        },
                    }
                ],
                "payment_intent_data": {
                    "setup_future_usage": "off_session",
                    "description": req.description[:1000],
                    "metadata": req.metadata,
                },
                # On the session too, so checkout.session.completed routes like the payment.
                "metadata": req.metadata,
                "success_url": req.success_url,
                "cancel_url": req.cancel_url,
            },
            options={"idempotency_key": f"{req.idempotency_key}-checkout"},
        )

    def expire_card_checkout(self, session_id: str, idempotency_key: str):
        """Close a payment page nobody should pay any more (Stripe refuses one not open)."""
        return self.client.v1.checkout.sessions.expire(
            session_id, options={"idempotency_key": idempotency_key}
        )

    def retrieve_card_checkout(self, session_id: str):
        """A Checkout Session with the card it saved (setup mode) or was paid with."""
        return self.client.v1.checkout.sessions.retrieve(
            session_id,
            params={"expand": ["setup_intent.payment_method", "payment_intent.payment_method"]},
        )

    def set_default_card(self, *, user_id: int, customer_id: str, payment_method_id: str):
        return self.client.v1.customers.update(
            customer_id,
            params={"invoice_settings": {"default_payment_method": payment_method_id}},
            options={"idempotency_key": f"customer-user-{user_id}-default-{payment_method_id}"},
        )

    def charge_off_session(self, req: OffSessionCharge):
        """Confirm a PaymentIntent on the saved card with the owner away. Raises
        stripe.CardError when the card is declined or wants authentication. An earlier
        attempt's PaymentIntent found by its stamped key is returned as it is."""
        key = req.idempotency_key
        if key_may_be_forgotten(req.since):
            params: PaymentIntentListParams = {"customer": req.customer_id, "limit": 100}
            if req.since is not None:
                params["created"] = {"gte": _earliest(req.since)}
            found = _stamped(self.client.v1.payment_intents.list(params=params), key)
            if found is not None:
                return found
        return self.client.v1.payment_intents.create(
            params={
                "amount": req.amount_cents,
                "currency": req.currency.lower(),
                "customer": req.customer_id,
                "payment_method": req.payment_method_id,
                "off_session": True,
                "confirm": True,
                "description": req.description[:1000],
                "metadata": {**req.metadata, KEY_METADATA: key},
            },
            options={"idempotency_key": key},
        )

    # Connect ------------------------------------------------------------------------------
    def create_express_account(self, user_id: int, email: str):
        return self.client.v1.accounts.create(
            params={
                "type": "express",
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"user_id": str(user_id)},
            },
            options={"idempotency_key": f"user-{user_id}-express-account"},
        )

    def create_account_link(self, account_id: str, refresh_url: str, return_url: str):
        return self.client.v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )

    def retrieve_account(self, account_id: str):
        return self.client.v1.accounts.retrieve(account_id)

    def create_transfer(
        self,
        *,
        contract_id: int,
        amount_cents: int,
        currency: str,
        destination: str,
        charge_id: str,
        key_suffix: str = "",
        idempotency_key: str | None = None,
        since: datetime | None = None,
    ):
        key = idempotency_key or (
            f"contract-{contract_id}-transfer" + (f"-{key_suffix}" if key_suffix else "")
        )
        group = f"contract-{contract_id}"
        if key_may_be_forgotten(since):
            params: TransferListParams = {
                "transfer_group": group,
                "destination": destination,
                "limit": 100,
            }
            if since is not None:
                params["created"] = {"gte": _earliest(since)}
            found = _stamped(self.client.v1.transfers.list(params=params), key)
            if found is not None:
                return found
        return self.client.v1.transfers.create(
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "destination": destination,
                "transfer_group": group,
                # Tie the transfer to the owner's charge so it can never outrun the money.
                "source_transaction": charge_id,
                "metadata": {"contract_id": str(contract_id), KEY_METADATA: key},
            },
            options={"idempotency_key": key},
        )

    def create_refund(
        self,
        *,
        contract_id: int,
        payment_intent_id: str,
        key_suffix: str = "",
        amount_cents: int | None = None,
        idempotency_key: str | None = None,
        since: datetime | None = None,
    ):
        """Refund what is left of the payment, or only ``amount_cents`` of it."""
        key = idempotency_key or (
            f"contract-{contract_id}-refund" + (f"-{key_suffix}" if key_suffix else "")
        )
        if key_may_be_forgotten(since):
            # A payment has a handful of refunds: no time bound needed to find ours.
            found = _stamped(
                self.client.v1.refunds.list(
                    params={"payment_intent": payment_intent_id, "limit": 100}
                ),
                key,
            )
            if found is not None:
                return found
        params: RefundCreateParams = {
            "payment_intent": payment_intent_id,
            "metadata": {"contract_id": str(contract_id), KEY_METADATA: key},
        }
        if amount_cents is not None:
            params["amount"] = amount_cents
        return self.client.v1.refunds.create(params=params, options={"idempotency_key": key})

    def retrieve_refund(self, refund_id: str):
        return self.client.v1.refunds.retrieve(refund_id)

    # Webhooks -----------------------------------------------------------------------------
    def verify_event(self, payload: bytes, signature: str | None):
        """The event, if the signature verifies against one of our endpoint secrets and was
        made within the tolerance of now, either way (Stripe's library only refuses old ones:
        a timestamp far ahead would let a captured event be replayed for that long)."""
        last_error: Exception | None = None
        for secret in self.webhook_secrets:
            try:
                event = stripe.Webhook.construct_event(
                    payload, signature or "", secret, tolerance=SIGNATURE_TOLERANCE
                )
            except stripe.SignatureVerificationError as exc:
                last_error = exc
                continue
            ahead = _signed_at(signature or "") - utcnow().timestamp()
            if ahead > SIGNATURE_TOLERANCE:
                raise stripe.SignatureVerificationError(
                    f"The signature's timestamp is {int(ahead)} s in the future; "
                    f"at most {SIGNATURE_TOLERANCE} s of clock difference is accepted.",
                    signature,
                )
            return event
        raise stripe.SignatureVerificationError(
            str(last_error or "no webhook secret configured"), signature
        )


SIGNATURE_TOLERANCE = stripe.Webhook.DEFAULT_TOLERANCE  # seconds, either side of now


def _signed_at(signature: str) -> int:
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return 0


def get_gateway() -> StripeGateway:
    app = current_app
    gateway = app.extensions.get("stripe_gateway")
    if gateway is None:
        key = settings(app).stripe_secret_key
        if not key:
            raise PaymentsNotConfigured()
        gateway = StripeGateway(
            key,
            [
                settings(app).stripe_webhook_secret,
                settings(app).stripe_connect_webhook_secret,
            ],
            settings(app).stripe_api_base,
        )
        app.extensions["stripe_gateway"] = gateway
    return gateway
