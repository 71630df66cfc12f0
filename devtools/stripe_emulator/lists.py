"""List endpoints with Stripe's filters and paging, where localstripe's refuse filters:
``GET /v1/payment_intents`` (``customer``), ``GET /v1/refunds`` (``payment_intent``,
``charge``) and ``GET /v1/transfers`` (``destination``, ``transfer_group``), each with
``created[gt|gte|lt|lte]``, ``limit`` (1 to 100) and ``starting_after`` / ``ending_before``.
Newest first, as Stripe lists; objects made in the same second keep the newest first too, so
paging by ``starting_after`` sees each object once. What finds an object again after its
idempotency key is forgotten (the gateway's ``delegate_key`` lookup).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from localstripe import resources as ls

from ._http import StripeError, json_response, no_such, pop_expand, read_params, to_int

_CREATED = {
    "gt": lambda created, bound: created > bound,
    "gte": lambda created, bound: created >= bound,
    "lt": lambda created, bound: created < bound,
    "lte": lambda created, bound: created <= bound,
}


def stored(prefix: str) -> list[Any]:
    """Objects of one kind, oldest first (the store keeps creation order)."""
    return [v for k, v in ls.store.items() if k.startswith(f"{prefix}:")]


def _created_filter(created: Any) -> Callable[[Any], bool]:
    if created is None:
        return lambda obj: True
    if not isinstance(created, dict):  # created=<timestamp>: that exact second
        bound = to_int(created, "created")
        return lambda obj: obj.created == bound
    checks = []
    for op, value in created.items():
        if op not in _CREATED:
            raise StripeError(f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
        checks.append((_CREATED[op], to_int(value, f"created[{op}]")))
    return lambda obj: all(check(obj.created, bound) for check, bound in checks)


def page(request: web.Request, params: dict[str, Any], items: Iterable[Any]) -> web.Response:
    """One page of ``items`` (oldest first, already filtered by the caller's fields)."""
    expand = [e.removeprefix("data.") for e in pop_expand(params)]
    limit = to_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise StripeError("This value must be between 1 and 100.", param="limit")
    keep = _created_filter(params.get("created"))
    # sorted() is stable: reversing first keeps the newer of two same-second objects first.
    rows = sorted((o for o in reversed(list(items)) if keep(o)), key=lambda o: -o.created)
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [o.id for o in rows]
    if after:
        if after not in ids:
            raise no_such("object", after, "starting_after")
        rows = rows[ids.index(after) + 1 :]
        chosen = rows[:limit]
    elif before:
        if before not in ids:
            raise no_such("object", before, "ending_before")
        rows = rows[: ids.index(before)]
        chosen = rows[-limit:]
    else:
        chosen = rows[:limit]
    return json_response(
        {
            "object": "list",
            "url": request.path,
            "has_more": len(rows) > limit,
            "data": [o._export(expand=expand) for o in chosen],
        }
    )


def _matching(items: list[Any], params: dict[str, Any], fields: dict[str, Callable]) -> list:
    for name, value_of in fields.items():
        wanted = params.get(name)
        if wanted:
            items = [o for o in items if value_of(o) == wanted]
    return items


def _charge_id(obj: Any) -> str | None:
    charge = getattr(obj, "latest_charge", None)
    return charge if isinstance(charge, str) or charge is None else charge.id


async def list_payment_intents(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    items = _matching(stored("payment_intent"), params, {"customer": lambda o: o.customer})
    return page(request, params, items)


async def list_refunds(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    refunds = stored("refund")
    intent_id = params.get("payment_intent")
    if intent_id:
        # A refund made by charge id belongs to the intent too, as at Stripe.
        intent = ls.store.get(f"payment_intent:{intent_id}")
        charge = _charge_id(intent) if intent is not None else None
        refunds = [
            r
            for r in refunds
            if r.payment_intent == intent_id or (charge is not None and r.charge == charge)
        ]
    items = _matching(refunds, params, {"charge": lambda o: o.charge})
    return page(request, params, items)


async def list_transfers(request: web.Request) -> web.Response:
    params = dict(await read_params(request))
    fields = {"destination": lambda o: o.destination, "transfer_group": lambda o: o.transfer_group}
    return page(request, params, _matching(stored("transfer"), params, fields))


# Routes that replace localstripe's own (core_routes skips these when it mounts them).
ROUTES = {
    ("GET", "/v1/payment_intents"): list_payment_intents,
    ("GET", "/v1/refunds"): list_refunds,
}


def add_routes(app: web.Application) -> None:
    for (method, path), handler in ROUTES.items():
        app.router.add_route(method, path, handler)
