"""Checkout Sessions on top of localstripe's PaymentIntents and SetupIntents: mode=payment
(optionally saving the card for a customer with ``payment_intent_data.setup_future_usage``)
and mode=setup (the hosted page saves a card and charges nothing)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from localstripe import resources as ls

from ._http import (
    StripeError,
    json_response,
    no_such,
    pop_expand,
    random_id,
    read_params,
    require,
    to_int,
    unknown_params,
)
from ._keys import PUBLIC_URL
from .webhooks import emit

SESSION_TTL = 24 * 3600

_ALLOWED = {
    "mode",
    "line_items",
    "payment_intent_data",
    "client_reference_id",
    "metadata",
    "success_url",
    "cancel_url",
    "customer_email",
    "customer",
    "expires_at",
    "currency",
    # Accepted and ignored: presentation options the hosted page does not model.
    "payment_method_types",
    "locale",
    "billing_address_collection",
    "submit_type",
    "allow_promotion_codes",
    "phone_number_collection",
    "custom_text",
    "ui_mode",
    "customer_creation",
    "automatic_tax",
    "consent_collection",
    "invoice_creation",
    "setup_intent_data",
}
_SETUP_DATA_ALLOWED = {"metadata", "description"}
_PI_DATA_ALLOWED = {
    "metadata",
    "transfer_group",
    "description",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "capture_method",
    "setup_future_usage",
}


class CheckoutSession(ls.StripeObject):
    """Exported by localstripe's ``_export`` (public attributes only), so all
    helpers here are underscored to stay out of the JSON."""

    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(
        self,
        *,
        line_items: list[dict],
        currency: str | None,
        base_url: str,
        params: dict[str, Any],
    ):
        self.id = random_id("cs_test_", 40)  # before super(): it keys the store
        super().__init__(id=self.id)
        setup = params.get("mode") == "setup"
        amount = None if setup else sum(li["amount_total"] for li in line_items)
        self.mode = "setup" if setup else "payment"
        self.status = "open"
        self.payment_status = "no_payment_required" if setup else "unpaid"
        self.payment_intent = None
        self.setup_intent = None
        self.amount_subtotal = amount
        self.amount_total = amount
        self.currency = currency
        self.client_reference_id = params.get("client_reference_id")
        self.metadata = dict(params.get("metadata") or {})
        self.success_url = params.get("success_url")
        self.cancel_url = params.get("cancel_url")
        self.customer = params.get("customer")
        self.customer_email = params.get("customer_email")
        self.customer_details = None
        self.payment_method_types = ["card"]
        self.expires_at = to_int(
            params.get("expires_at") or self.created + SESSION_TTL, "expires_at"
        )
        self.url = f"{base_url}/c/pay/{self.id}"
        self.ui_mode = "hosted"
        self._line_items = line_items
        self._pi_data = dict(params.get("payment_intent_data") or {})
        self._setup_data = dict(params.get("setup_intent_data") or {})

    def _check_expiry(self) -> None:
        if self.status == "open" and time.time() >= self.expires_at:
            self._expire()

    def _expire(self) -> None:
        self.status = "expired"
        self.url = None
        emit("checkout.session.expired", self)

    def _line_items_list(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": self._line_items,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{self.id}/line_items",
        }

    def _export(self, expand=None):
        expand = list(expand or [])
        want_items = "line_items" in expand
        obj = super()._export(expand=[e for e in expand if e != "line_items"])
        if want_items:
            obj["line_items"] = self._line_items_list()
        return obj

    @classmethod
    def _get(cls, id: str) -> CheckoutSession:
        session = ls.store.get(f"{cls.object}:{id}")
        if session is None:
            raise no_such("checkout.session", id)
        session._check_expiry()
        return session


def _parse_line_items(raw: Any) -> tuple[list[dict], str]:
    if not raw or not isinstance(raw, list):
        raise StripeError(
            "Missing required param: line_items.", param="line_items", code="parameter_missing"
        )
    items, currencies = [], set()
    for i, item in enumerate(raw):
        p = f"line_items[{i}]"
        unknown_params(item, {"price_data", "quantity", "price", "adjustable_quantity"}, p)
        if "price" in item:
            raise StripeError(
                f"No such price: '{item['price']}' (the emulator only supports price_data)",
                param=f"{p}[price]",
                code="resource_missing",
            )
        pd = item.get("price_data")
        if not isinstance(pd, dict):
            raise StripeError(
                f"Missing required param: {p}[price_data].",
                param=f"{p}[price_data]",
                code="parameter_missing",
            )
        currency = str(require(pd, "currency", f"{p}[price_data][currency]")).lower()
        unit = to_int(
            require(pd, "unit_amount", f"{p}[price_data][unit_amount]"),
            f"{p}[price_data][unit_amount]",
        )
        quantity = to_int(item.get("quantity", 1), f"{p}[quantity]")
        if unit < 0 or quantity < 1:
            raise StripeError("Invalid amount or quantity.", param=p)
        product = pd.get("product_data") or {}
        name = require(product, "name", f"{p}[price_data][product_data][name]")
        currencies.add(currency)
        items.append(
            {
                "id": random_id("li_", 24),
                "object": "item",
                "amount_subtotal": unit * quantity,
                "amount_total": unit * quantity,
                "currency": currency,
                "description": name,
                "quantity": quantity,
                "price": {
                    "object": "price",
                    "currency": currency,
                    "unit_amount": unit,
                    "product_data": {"name": name},
                },
            }
        )
    if len(currencies) > 1:
        raise StripeError("All line items must use the same currency.", param="line_items")
    total = sum(li["amount_total"] for li in items)
    if total < 50:
        raise StripeError(
            "The Checkout Session's total amount due must add up to at least $0.50 usd",
            param="line_items",
            code="amount_too_small",
        )
    return items, currencies.pop()


def base_url_of(request: web.Request) -> str:
    return request.app[PUBLIC_URL] or f"{request.scheme}://{request.host}"


async def create_session(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = pop_expand(params)
    unknown_params(params, _ALLOWED)
    mode = require(params, "mode")
    if mode not in ("payment", "setup"):
        raise StripeError("The emulator only supports mode=payment and mode=setup.", param="mode")
    unknown_params(params.get("payment_intent_data") or {}, _PI_DATA_ALLOWED, "payment_intent_data")
    unknown_params(params.get("setup_intent_data") or {}, _SETUP_DATA_ALLOWED, "setup_intent_data")
    if params.get("customer"):
        if not ls.store.get(f"customer:{params['customer']}"):
            raise no_such("customer", params["customer"], "customer")
        if params.get("customer_email"):
            raise StripeError(
                "You may only specify one of these parameters: customer, customer_email.",
                param="customer_email",
            )
    for url_param in ("success_url", "cancel_url"):
        url = params.get(url_param)
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise StripeError("Not a valid URL", param=url_param, code="url_invalid")
    if mode == "setup":
        for wrong in ("line_items", "payment_intent_data"):
            if params.get(wrong):
                raise StripeError(
                    f"You can not pass `{wrong}` in `setup` mode.", param=wrong
                )  # wording approximated
        line_items = []
        currency = str(params["currency"]).lower() if params.get("currency") else None
    else:
        if params.get("setup_intent_data"):
            raise StripeError(
                "You can not pass `setup_intent_data` in `payment` mode.", param="setup_intent_data"
            )
        future = (params.get("payment_intent_data") or {}).get("setup_future_usage")
        if future not in (None, "", "off_session", "on_session"):
            raise StripeError(
                f"Invalid setup_future_usage: {future}",
                param="payment_intent_data[setup_future_usage]",
            )
        line_items, currency = _parse_line_items(params.get("line_items"))
    session = CheckoutSession(
        line_items=line_items, currency=currency, base_url=base_url_of(request), params=params
    )
    return json_response(session._export(expand=expand))


async def retrieve_session(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    session = CheckoutSession._get(request.match_info["id"])
    return json_response(session._export(expand=pop_expand(params)))


async def expire_session(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    session = CheckoutSession._get(request.match_info["id"])
    if session.status != "open":
        raise StripeError(
            'Only Checkout Sessions with a status in ["open"] can be expired.',
            code="checkout_session_not_open",
        )  # exact code unknown
    session._expire()
    return json_response(session._export(expand=pop_expand(params)))


async def list_line_items(request: web.Request) -> web.Response:
    session = CheckoutSession._get(request.match_info["id"])
    return json_response(session._line_items_list())


async def list_sessions(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    expand = [e.removeprefix("data.") for e in pop_expand(params)]
    limit = to_int(params.get("limit", 10), "limit")
    sessions = [v for k, v in ls.store.items() if k.startswith("checkout.session:")]
    for key in ("payment_intent", "setup_intent", "customer", "status"):
        if params.get(key):
            sessions = [s for s in sessions if getattr(s, key) == params[key]]
    sessions.sort(key=lambda s: s.created, reverse=True)
    return json_response(
        {
            "object": "list",
            "url": "/v1/checkout/sessions",
            "has_more": len(sessions) > limit,
            "data": [s._export(expand=expand) for s in sessions[:limit]],
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/checkout/sessions", create_session)
    app.router.add_get("/v1/checkout/sessions", list_sessions)
    app.router.add_get("/v1/checkout/sessions/{id}", retrieve_session)
    app.router.add_post("/v1/checkout/sessions/{id}/expire", expire_session)
    app.router.add_get("/v1/checkout/sessions/{id}/line_items", list_line_items)
