"""Disputes (chargebacks), opened from the admin API the way a card issuer would open one.

Stripe has no API to open a dispute; in test mode a special card number does it. Here a test
calls ``POST /_emulator/charges/{id}/dispute`` to stage one at the moment it chooses.
"""

from __future__ import annotations

from aiohttp import web
from localstripe import resources as ls

from ._http import StripeError, admin_json, json_response, no_such
from .webhooks import emit

REASONS = {"fraudulent", "duplicate", "product_not_received", "general", "unrecognized"}


class Dispute(ls.StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: ls.Charge, reason: str):
        super().__init__()
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.amount = charge.amount - charge.amount_refunded
        self.currency = charge.currency
        self.reason = reason
        self.status = "needs_response"
        self.is_charge_refundable = False
        self.metadata = {}


async def open_dispute(request: web.Request) -> web.Response:
    charge = ls.store.get(f"charge:{request.match_info['id']}")
    if charge is None:
        raise no_such("charge", request.match_info["id"])
    body = await admin_json(request)
    reason = body.get("reason", "fraudulent")
    if reason not in REASONS:
        raise StripeError(f"Invalid reason: {reason}", param="reason")
    if charge.status != "succeeded":
        raise StripeError("Only a succeeded charge can be disputed.", param="charge")
    if getattr(charge, "disputed", False):
        raise StripeError(f"Charge {charge.id} is already disputed.", code="charge_disputed")
    dispute = Dispute(charge, reason)
    charge.disputed = True
    emit("charge.dispute.created", dispute)
    return json_response(dispute._export())


async def retrieve_dispute(request: web.Request) -> web.Response:
    dispute = ls.store.get(f"dispute:{request.match_info['id']}")
    if dispute is None:
        raise no_such("dispute", request.match_info["id"])
    return json_response(dispute._export())


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/charges/{id}/dispute", open_dispute)
    app.router.add_get("/v1/disputes/{id}", retrieve_dispute)
