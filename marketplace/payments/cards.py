"""Saved cards: one Stripe Customer per owner, the card saved on it, and charges made with
the owner away (off-session), for work billed after it is done (hourly weeks).

The owner saves a card on Stripe's hosted page (Checkout in setup mode), or while paying on
it (``setup_future_usage=off_session``). Which card is saved is learnt from Stripe only:
the ``checkout.session.completed`` webhook and the return page both ask Stripe for the
session, whichever comes first; both apply the same compare-and-set, so twice is once, and a
card saved earlier never replaces one saved later, whatever order they arrive in.

No Stripe call is made with a transaction open: each function that asks Stripe first ends
the session's transaction (a rollback; callers call it before writing anything themselves)
and writes only after Stripe has answered. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urljoin

import stripe
from flask import url_for
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..accounts.landing import landing_page
from ..accounts.models import User
from ..db import add_once, rows_changed
from ..errors import Conflict, Invalid, PermissionDenied
from .gateway import CardPaymentRequest, OffSessionCharge, PaymentsNotConfigured, StripeGateway
from .models import BillingProfile

Outcome = Literal["succeeded", "declined", "authentication_required"]

CardSaved = Callable[[Session, int], None]
"""``hook(session, owner_id)``: the owner has just saved a new card, in the transaction that
stored it. For work waiting on a card (hourly weeks whose charge failed): queue what uses it;
no Stripe call here."""
_CARD_SAVED: list[CardSaved] = []


def on_card_saved(hook: CardSaved) -> None:
    """Register once, at import of the module that waits on cards."""
    if hook not in _CARD_SAVED:
        _CARD_SAVED.append(hook)


@dataclass(frozen=True)
class OffSessionResult:
    """What became of one off-session charge. A card problem is an outcome, never raised."""

    outcome: Outcome
    payment_intent_id: str | None
    charge_id: str | None
    amount_cents: int  # what Stripe received: 0 unless it succeeded
    currency: str
    message: (
        str | None
    )  # the card error's words, for the owner ("Your card has insufficient funds.")
    decline_code: str | None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"


@dataclass(frozen=True)
class SavedCardFacts:
    """The card a completed Checkout Session saved on one of our Customers, as Stripe says."""

    user_id: int
    customer_id: str
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    saved_at: datetime  # when the card was entered: Stripe's creation time of the card
    source_id: str  # the SetupIntent / PaymentIntent that saved it (breaks same-second ties)


# Reading ---------------------------------------------------------------------------------
def saved_card(session: Session, user_id: int) -> BillingProfile | None:
    """The owner's saved card (brand, last four, expiry, payment method), or None."""
    profile = session.get(BillingProfile, user_id)
    return profile if profile is not None and profile.payment_method_id else None


def safe_return_path(return_to: str) -> str:
    """``return_to`` if it is a page of this site the browser can open; else Invalid, so no
    link can send an owner from Stripe's page to another site."""
    if (
        not isinstance(return_to, str)
        or any(ord(ch) < 32 for ch in return_to)
        or landing_page(return_to) != return_to
    ):
        raise Invalid("That is not a page of this site to come back to.", field="return_to")
    return return_to


def _require_owner(user: User) -> None:
    if not user.is_owner:
        raise PermissionDenied("Only owners save a card to pay with.")


# Opening Stripe's pages ------------------------------------------------------------------
def card_setup_url(session: Session, gateway: StripeGateway, owner: User, return_to: str) -> str:
    """The URL of Stripe's page where the owner saves (or replaces) their card; afterwards
    they land on ``return_to``, a path of this site. Needs a request or app context (it
    builds Delegate's return URL). Ends the session's transaction before asking Stripe."""
    _require_owner(owner)
    path = safe_return_path(return_to)
    customer_id, attempt = _customer(session, gateway, owner)
    success, cancel = _return_urls(path)
    for _ in range(3):
        attempt += 1
        try:
            checkout = gateway.create_setup_checkout(
                user_id=owner.id,
                attempt=attempt,
                customer_id=customer_id,
                success_url=success,
                cancel_url=cancel,
            )
        except stripe.IdempotencyError:
            continue  # that number was spent on a request whose transaction rolled back
        if checkout.status == "open":
            _remember(session, owner.id, customer_id, attempt)
            return checkout.url
    raise Conflict("Stripe's page could not be opened just now. Try again in a minute.")


def payment_checkout_url(
    session: Session,
    gateway: StripeGateway,
    owner: User,
    *,
    amount_cents: int,
    currency: str,
    description: str,
    idempotency_key: str,
    metadata: dict[str, str],
    return_to: str,
):
    """Stripe's page (its Checkout Session: ``.id``, ``.url``) where the owner pays
    ``amount_cents`` now (after an off-session charge failed: declined, or the bank wants
    them to authenticate); the card they pay with
    becomes their saved card. ``metadata`` goes on the PaymentIntent and the session, so its
    webhooks reach the handler registered for one of its keys (webhooks.on_payment_intent).

    The same ``idempotency_key`` gives back the same page; put an attempt number in it to
    open a new one after that page expired (Conflict says so).
    """
    _require_owner(owner)
    if "contract_id" in metadata:
        raise ValueError("contract_id belongs to the contract checkout (services.flows.checkout)")
    path = safe_return_path(return_to)
    customer_id, attempt = _customer(session, gateway, owner)
    success, cancel = _return_urls(path)
    checkout = gateway.create_card_payment_checkout(
        CardPaymentRequest(
            user_id=owner.id,
            customer_id=customer_id,
            amount_cents=amount_cents,
            currency=currency,
            description=description,
            idempotency_key=idempotency_key,
            metadata={str(k): str(v) for k, v in metadata.items()},
            success_url=success,
            cancel_url=cancel,
        )
    )
    if checkout.status == "complete":
        raise Conflict("This payment has gone through already.")
    if checkout.status != "open":
        raise Conflict("That payment page has expired; open a new one.")
    _remember(session, owner.id, customer_id, attempt)
    return checkout


def _return_urls(path: str) -> tuple[str, str]:
    """Stripe's way back: the page that waits for the card, then ``path`` (a local path,
    safe_return_path's), both on the public address."""
    success = url_for("payments.card_saved", next=path, _external=True)
    # Stripe fills in {CHECKOUT_SESSION_ID}; it must stay unescaped.
    return success + "&session_id={CHECKOUT_SESSION_ID}", urljoin(success, path)


def _customer(session: Session, gateway: StripeGateway, owner: User) -> tuple[str, int]:
    """(the owner's Stripe Customer id, setup sessions asked for so far), creating the
    Customer if there is none. The transaction is ended first: no lock while Stripe answers.
    """
    row = session.execute(
        select(BillingProfile.stripe_customer_id, BillingProfile.setup_attempt).where(
            BillingProfile.user_id == owner.id
        )
    ).first()
    session.rollback()
    if row is not None:
        return row.stripe_customer_id, row.setup_attempt
    created = gateway.create_customer(owner.id, owner.email, owner.display_name)
    return created.id, 0


def _remember(session: Session, user_id: int, customer_id: str, attempt: int) -> None:
    """Store the Customer (once: a racing click inserted the same one) and the number of the
    setup session just opened (only ever raised)."""
    if session.get(BillingProfile, user_id) is None:
        row = BillingProfile(user_id=user_id, stripe_customer_id=customer_id, setup_attempt=attempt)
        if add_once(session, row):
            return
        # Else the other click's row: the same Customer (same idempotency key).
    session.execute(
        update(BillingProfile)
        .where(BillingProfile.user_id == user_id, BillingProfile.setup_attempt < attempt)
        .values(setup_attempt=attempt)
    )
    session.flush()


# Learning what Stripe saved --------------------------------------------------------------
@dataclass(frozen=True)
class CardCheckout:
    """A completed Checkout Session that may have saved a card for one of our Customers,
    and the card stored now (when it was entered, what saved it), read before asking Stripe."""

    user_id: int
    customer_id: str
    checkout_session_id: str
    stored_at: datetime | None
    stored_source: str | None

    def is_newer(self, facts: SavedCardFacts) -> bool:
        if self.stored_at is None:
            return True
        return (facts.saved_at, facts.source_id) > (self.stored_at, self.stored_source or "")


def _card_checkout(session: Session, where, checkout_session_id: str) -> CardCheckout | None:
    row = session.execute(
        select(
            BillingProfile.user_id,
            BillingProfile.stripe_customer_id,
            BillingProfile.card_saved_at,
            BillingProfile.card_source_id,
        ).where(where)
    ).first()
    return CardCheckout(*row[:2], checkout_session_id, *row[2:]) if row is not None else None


def card_checkout_of(session: Session, event: dict) -> CardCheckout | None:
    """The card-saving side of ``event``, if it is a completed Checkout Session (setup or
    payment mode) of one of our Customers; read before any Stripe call."""
    obj = event["data"]["object"]
    if event["type"] != "checkout.session.completed" or not obj.get("customer"):
        return None
    if obj.get("mode") not in ("setup", "payment"):
        return None
    return _card_checkout(session, BillingProfile.stripe_customer_id == obj["customer"], obj["id"])


def read_card_checkout(gateway: StripeGateway, checkout: CardCheckout) -> SavedCardFacts | None:
    """Ask Stripe which card a Checkout Session saved for the Customer, and make it the
    Customer's default if it is newer than the one stored; None if it saved none (not
    complete, another customer's, a payment not set up for later). Call with no
    transaction open. (Two setups finishing at the same instant could leave Stripe's default
    on the older one; ours, which is what we charge, is decided by record_card.)"""
    stripe_session = gateway.retrieve_card_checkout(checkout.checkout_session_id)
    facts = _card_from(stripe_session, checkout.user_id, checkout.customer_id)
    if facts is not None and checkout.is_newer(facts):
        gateway.set_default_card(
            user_id=checkout.user_id,
            customer_id=checkout.customer_id,
            payment_method_id=facts.payment_method_id,
        )
    return facts


def _card_from(checkout, user_id: int, customer_id: str) -> SavedCardFacts | None:
    if checkout.status != "complete" or checkout.customer != customer_id:
        return None
    if checkout.mode == "setup":
        intent = checkout.setup_intent
    elif checkout.payment_status == "paid":
        intent = checkout.payment_intent
        if intent is None or intent.setup_future_usage != "off_session":
            return None
    else:
        return None
    if intent is None or isinstance(intent, str) or intent.status != "succeeded":
        return None
    method = intent.payment_method
    if method is None or isinstance(method, str) or method.customer != customer_id:
        return None
    card = method.card
    return SavedCardFacts(
        user_id=user_id,
        customer_id=customer_id,
        payment_method_id=method.id,
        brand=card.brand,
        last4=card.last4,
        exp_month=int(card.exp_month),
        exp_year=int(card.exp_year),
        saved_at=datetime.fromtimestamp(int(method.created), UTC),
        source_id=intent.id,
    )


def record_card(session: Session, facts: SavedCardFacts) -> bool:
    """Store the card Stripe saved, unless a card saved later is stored already (a
    compare-and-set: replays and late webhooks change nothing). True if it was stored."""
    newer = or_(
        BillingProfile.card_saved_at.is_(None),
        BillingProfile.card_saved_at < facts.saved_at,
        and_(
            BillingProfile.card_saved_at == facts.saved_at,
            BillingProfile.card_source_id < facts.source_id,
        ),
    )
    changed = rows_changed(
        session,
        update(BillingProfile)
        .where(
            BillingProfile.user_id == facts.user_id,
            BillingProfile.stripe_customer_id == facts.customer_id,
            newer,
        )
        .values(
            payment_method_id=facts.payment_method_id,
            card_brand=facts.brand,
            card_last4=facts.last4,
            card_exp_month=facts.exp_month,
            card_exp_year=facts.exp_year,
            card_saved_at=facts.saved_at,
            card_source_id=facts.source_id,
        )
        .execution_options(synchronize_session=False),
    )
    profile = session.get(BillingProfile, facts.user_id)
    if profile is not None:
        session.refresh(profile)
    stored = changed == 1
    if stored:
        for hook in _CARD_SAVED:
            hook(session, facts.user_id)
    return stored


def confirm_card_checkout(
    session: Session, gateway: StripeGateway, owner: User, checkout_session_id: str
) -> BillingProfile | None:
    """The return page's part: ask Stripe (not the query string) what the owner's Checkout
    Session saved, and store it. The saved card, or None when Stripe says nothing was
    saved by this session (not the owner's, not finished). Raises stripe.StripeError when
    Stripe cannot be asked."""
    checkout = _card_checkout(session, BillingProfile.user_id == owner.id, checkout_session_id)
    session.rollback()
    if checkout is None or not checkout_session_id.startswith("cs_"):
        return None
    facts = read_card_checkout(gateway, checkout)
    if facts is None:
        return None
    record_card(session, facts)
    return saved_card(session, owner.id)


# Charging --------------------------------------------------------------------------------
def charge_saved_card(
    gateway: StripeGateway | None,
    *,
    customer_id: str,
    payment_method_id: str,
    amount_cents: int,
    currency: str,
    description: str,
    idempotency_key: str,
    metadata: dict[str, str],
    since: datetime | None = None,
) -> OffSessionResult:
    """Charge the saved card with the owner away. A declined card or one whose bank wants
    the owner to authenticate is an outcome (with the card error's message for the owner),
    never an exception; the same ``idempotency_key`` (e.g. ``timesheet-123-charge``) gets
    back the first attempt's result, so a retry never charges twice; ``since`` (no attempt
    with this key can be older) tells when Stripe may have forgotten the key, so the gateway
    looks for the first attempt's payment instead (see gateway).

    Raises PaymentsNotConfigured without a gateway, and stripe.StripeError (other than a
    card error) when Stripe cannot be reached or refuses the request: nothing is known to
    be charged then; retry later with the same key. Call with no transaction open.
    """
    if gateway is None:
        raise PaymentsNotConfigured()
    request = OffSessionCharge(
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        amount_cents=amount_cents,
        currency=currency,
        description=description,
        idempotency_key=idempotency_key,
        metadata={str(k): str(v) for k, v in metadata.items()},
        since=since,
    )
    try:
        intent = gateway.charge_off_session(request)
    except stripe.CardError as exc:
        return _declined(exc, currency)
    return _result_of(intent, currency)


def _result_of(intent, currency: str) -> OffSessionResult:
    charge = intent.latest_charge
    charge_id = charge if isinstance(charge, str) or charge is None else charge.id
    if intent.status == "succeeded":
        return OffSessionResult(
            outcome="succeeded",
            payment_intent_id=intent.id,
            charge_id=charge_id,
            amount_cents=int(intent.amount_received or 0),
            currency=intent.currency.upper(),
            message=None,
            decline_code=None,
        )
    # A declined intent found again after its key was forgotten says why on the intent.
    error = getattr(intent, "last_payment_error", None)
    code = getattr(error, "code", None) if error else None
    decline_code = getattr(error, "decline_code", None) if error else None
    needs_action = intent.status == "requires_action" or "authentication_required" in (
        code,
        decline_code,
    )
    if error is not None and getattr(error, "message", None):
        message = error.message
    elif needs_action:
        message = "Your bank asks you to confirm this payment."
    else:
        message = f"The payment did not go through (Stripe says it is {intent.status})."
    return OffSessionResult(
        outcome="authentication_required" if needs_action else "declined",
        payment_intent_id=intent.id,
        charge_id=charge_id,
        amount_cents=0,
        currency=currency.upper(),
        message=message,
        decline_code=decline_code,
    )


def _declined(exc: stripe.CardError, currency: str) -> OffSessionResult:
    error = exc.error
    decline_code = getattr(error, "decline_code", None) if error else None
    intent = getattr(error, "payment_intent", None) if error else None
    needs_auth = "authentication_required" in (exc.code, decline_code)
    return OffSessionResult(
        outcome="authentication_required" if needs_auth else "declined",
        payment_intent_id=getattr(intent, "id", None),
        charge_id=getattr(error, "charge", None) if error else None,
        amount_cents=0,
        currency=currency.upper(),
        message=(getattr(error, "message", None) if error else None) or exc.user_message,
        decline_code=decline_code,
    )
