"""localstripe's own v1 routes, mounted in our app, plus the refunds override."""

from __future__ import annotations

import inspect

from aiohttp import web
from localstripe import resources as ls

from . import _compat, lists
from ._http import StripeError, json_response, pop_expand, read_params, to_int
from .webhooks import emit

# Routes we replace with richer versions (webhooks, Stripe-like validation).
OVERRIDDEN = {
    ("POST", "/v1/refunds"),
    ("POST", "/v1/payment_intents"),  # cards.py
    ("POST", "/v1/customers/{id}"),  # cards.py
    *lists.ROUTES,
}


def _wrap(handler):
    if inspect.iscoroutinefunction(handler):
        return handler

    async def run(request: web.Request):
        return handler(request)

    return run


def mount_localstripe(app: web.Application) -> None:
    server = _compat.import_server()
    for route in server.app.router.routes():
        path = route.resource.canonical if route.resource else None
        if not path or not path.startswith("/v1/") or route.method == "HEAD":
            continue
        if (route.method, path) in OVERRIDDEN:
            continue
        app.router.add_route(route.method, path, _wrap(route.handler))


async def create_refund(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    reason = params.pop("reason", None)
    if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
        raise StripeError(f"Invalid reason: {reason}", param="reason")
    # Accepted for compatibility; transfers are not reversed automatically here.
    for ignored in ("reverse_transfer", "refund_application_fee", "instructions_email"):
        params.pop(ignored, None)
    charge = _charge_for(params)
    if getattr(charge, "disputed", False):
        raise StripeError(
            f"Charge {charge.id} has been charged back; it cannot be refunded.",
            code="charge_disputed",
        )
    remaining = charge.amount - charge.amount_refunded
    if remaining <= 0:
        raise StripeError(
            f"Charge {charge.id} has already been refunded.", code="charge_already_refunded"
        )
    if "amount" in params:
        amount = to_int(params["amount"], "amount")
        if amount > remaining:
            raise StripeError(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                param="amount",
                code="amount_too_large",
            )
    else:
        # Stripe refunds what is left of the charge, not its whole amount again.
        params["amount"] = remaining
    refund = ls.Refund._api_create(**params)
    refund.reason = reason
    emit("refund.created", refund)
    emit("charge.refunded", charge)
    return json_response(refund._export(expand=expand))


def _charge_for(params: dict) -> ls.Charge:
    if params.get("charge"):
        return ls.Charge._api_retrieve(params["charge"])
    if params.get("payment_intent"):
        pi = ls.PaymentIntent._api_retrieve(params["payment_intent"])
        if pi.latest_charge is None or pi.status == "requires_payment_method":
            raise StripeError(
                "This PaymentIntent does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        return pi.latest_charge
    raise StripeError(
        "One of the following params should be provided for this request: "
        "payment_intent or charge.",
        code="parameter_missing",
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/refunds", create_refund)
    mount_localstripe(app)
