"""Saved cards and off-session charges: what localstripe's PaymentIntents lack.

``POST /v1/payment_intents`` is ours: it takes Stripe's fields (description, transfer_group,
off_session, setup_future_usage ...), checks that a saved card belongs to the customer, and
answers a declined confirmation as Stripe does: HTTP 402, a ``card_error`` with ``code``,
``decline_code``, ``message``, ``charge`` and the whole ``payment_intent`` (left in
``requires_payment_method``), after sending ``charge.failed`` and
``payment_intent.payment_failed``. A card that needs authentication (4000 0027 6000 3184)
fails an off-session confirmation with ``authentication_required``; on-session it goes to
``requires_action``, as in Stripe. ``POST /v1/customers/{id}`` refuses a default payment
method that is not attached to that customer.
"""

from __future__ import annotations

from aiohttp import web
from localstripe import resources as ls

from . import _compat
from ._http import (
    StripeError,
    json_response,
    no_such,
    pop_expand,
    read_params,
    require,
    to_bool,
    to_int,
    unknown_params,
)
from .webhooks import emit

_PI_ALLOWED = {
    "amount",
    "currency",
    "customer",
    "payment_method",
    "payment_method_types",
    "confirm",
    "off_session",
    "description",
    "metadata",
    "transfer_group",
    "receipt_email",
    "capture_method",
    "setup_future_usage",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "error_on_requires_action",
}


def _payment_method(params: dict) -> ls.PaymentMethod | None:
    pm_id = params.get("payment_method")
    if not pm_id:
        return None
    pm = ls.store.get(
        f"payment_method:{pm_id}"
    ) or ls.PaymentMethod._try_get_canonical_test_article(pm_id)
    if pm is None:
        raise no_such("PaymentMethod", pm_id, "payment_method")
    customer = params.get("customer")
    if pm.customer and customer and pm.customer != customer:
        raise StripeError(
            f"The PaymentMethod {pm.id} does not belong to the Customer {customer}. Please use "
            "the Customer that this PaymentMethod belongs to.",
            param="payment_method",
        )
    if to_bool(params.get("off_session")) and not pm.customer:
        raise StripeError(
            f"The PaymentMethod {pm.id} is not attached to a Customer, so it cannot be used "
            "off-session. Attach it to a Customer first.",
            param="payment_method",
        )  # wording approximated
    return pm


def _new_intent(params: dict, pm: ls.PaymentMethod | None) -> ls.PaymentIntent:
    amount = to_int(require(params, "amount"), "amount")
    if amount < 50:
        raise StripeError(
            "Amount must be at least $0.50 usd", param="amount", code="amount_too_small"
        )
    customer = params.get("customer")
    if customer and not ls.store.get(f"customer:{customer}"):
        raise no_such("customer", customer, "customer")
    pi = ls.PaymentIntent(
        amount=amount,
        currency=str(require(params, "currency")).lower(),
        customer=customer,
        payment_method=pm.id if pm else None,
        metadata=dict(params.get("metadata") or {}),
        capture_method=params.get("capture_method") or "automatic",
    )
    pi.transfer_group = params.get("transfer_group")
    pi.description = params.get("description")
    pi.receipt_email = params.get("receipt_email")
    pi.setup_future_usage = params.get("setup_future_usage")
    pi.payment_method_types = ["card"]
    return pi


def _fail_off_session_authentication(pi: ls.PaymentIntent, pm: ls.PaymentMethod) -> None:
    """Stripe declines an off-session charge the issuer wants authenticated: a failed charge
    with decline code authentication_required, the intent back in requires_payment_method."""
    charge = ls.Charge(amount=pi.amount, currency=pi.currency, customer=pi.customer, source=pm.id)
    charge.payment_intent = pi.id
    charge._decline = ("authentication_required", _compat.AUTH_REQUIRED_MESSAGE)
    charge.status = "failed"
    charge.failure_code = "authentication_required"
    charge.failure_message = _compat.AUTH_REQUIRED_MESSAGE
    pi.latest_charge = charge


def _describe_charge(pi: ls.PaymentIntent, pm: ls.PaymentMethod) -> None:
    charge = pi.latest_charge
    charge.transfer_group = pi.transfer_group
    charge.metadata = dict(pi.metadata)
    charge.description = pi.description
    charge.receipt_email = pi.receipt_email
    charge.payment_method_details = {"type": "card", "card": dict(pm.card)}


def confirm(pi: ls.PaymentIntent, pm: ls.PaymentMethod, *, off_session: bool) -> dict | None:
    """Confirm ``pi`` with ``pm``; the card error when it fails (events already sent)."""
    if pm._requires_authentication() and off_session:
        _fail_off_session_authentication(pi, pm)
    elif pm._requires_authentication():
        pi._confirm(on_failure_now=lambda: None)  # requires_action, as on Stripe
        return None
    else:
        pi._create_charge(on_failure_now=lambda: None)
    _describe_charge(pi, pm)
    charge = pi.latest_charge
    if charge.status == "failed":
        pi.payment_method = None  # Stripe detaches a failed method from the intent
        emit("charge.failed", charge)
        emit("payment_intent.payment_failed", pi)
        error = _compat.card_error(charge)
        error["payment_method"] = pm._export()
        return error
    emit("charge.succeeded", charge)  # payment_intent.succeeded comes from localstripe
    return None


async def create_payment_intent(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    unknown_params(params, _PI_ALLOWED)
    off_session = to_bool(params.get("off_session"))
    if off_session and not to_bool(params.get("confirm")):
        raise StripeError("off_session can only be used when confirm=true.", param="off_session")
    pm = _payment_method(params)
    if to_bool(params.get("confirm")) and pm is None:
        raise StripeError(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    pi = _new_intent(params, pm)
    emit("payment_intent.created", pi)
    if to_bool(params.get("confirm")):
        error = confirm(pi, pm, off_session=off_session)
        if error is not None:
            error["payment_intent"] = pi._export(expand=expand)
            raise StripeError(error.pop("message"), status=402, **error)
    return json_response(pi._export(expand=expand))


async def update_customer(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    customer_id = request.match_info["id"]
    if not ls.store.get(f"customer:{customer_id}"):
        raise no_such("customer", customer_id)
    default = (params.get("invoice_settings") or {}).get("default_payment_method")
    if default:
        pm = ls.store.get(f"payment_method:{default}")
        if pm is None or pm.customer != customer_id:
            raise StripeError(
                f"No such PaymentMethod: '{default}'; It's possible this PaymentMethod exists "
                "on one of your connected accounts, in which case you should retry this "
                "request on that connected account.",
                param="invoice_settings[default_payment_method]",
                code="resource_missing",
            )
    if not params:
        raise StripeError("Received no parameters to update.")
    customer = ls.Customer._api_update(customer_id, **params)
    return json_response(customer._export(expand=expand))


def attach(pm: ls.PaymentMethod, customer: str | None) -> None:
    """Save ``pm`` on the customer (Stripe's payment_method.attached)."""
    if customer and pm.customer != customer:
        pm.customer = customer
        emit("payment_method.attached", pm)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/payment_intents", create_payment_intent)
    app.router.add_post("/v1/customers/{id}", update_customer)
