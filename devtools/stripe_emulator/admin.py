"""Test/admin endpoints under /_emulator (not part of Stripe's API).

They let tests and demos inspect events, replay them in any order, delay or
"lose" deliveries (to exercise a reconcile job) and reset state.
"""

from __future__ import annotations

from aiohttp import web
from localstripe import resources as ls

from ._http import StripeError, admin_json, json_response
from ._keys import ACCOUNT_LINKS, DISPATCHER, IDEMPOTENCY
from .webhooks import Dispatcher

_CONFIG_KEYS = {
    "deliver_webhooks": "deliver",
    "webhook_url": "url",
    "webhook_secret": "secret",
    "connect_webhook_url": "connect_url",
    "connect_webhook_secret": "connect_secret",
    "webhook_delay": "delay",
    "retry_delays": "retry_delays",
    "webhook_timeout": "timeout",
}


def _dispatcher(request: web.Request) -> Dispatcher:
    return request.app[DISPATCHER]


def config_view(d: Dispatcher) -> dict:
    c = d.config
    return {
        "deliver_webhooks": c.deliver,
        "webhook_url": c.url,
        "webhook_secret_set": bool(c.secret),
        "connect_webhook_url": c.connect_url,
        "webhook_delay": c.delay,
        "retry_delays": c.retry_delays,
        "webhook_timeout": c.timeout,
        "livemode": False,
    }


async def get_config(request: web.Request) -> web.Response:
    return json_response(config_view(_dispatcher(request)))


async def set_config(request: web.Request) -> web.Response:
    body = await admin_json(request)
    config = _dispatcher(request).config
    for key, value in body.items():
        if key not in _CONFIG_KEYS:
            raise StripeError(f"Unknown config key: {key}", param=key)
        if key == "retry_delays":
            value = [float(v) for v in value]
        elif key in ("webhook_delay", "webhook_timeout"):
            value = float(value)
        elif key == "deliver_webhooks":
            value = bool(value)
        setattr(config, _CONFIG_KEYS[key], value)
    return json_response(config_view(_dispatcher(request)))


async def list_events(request: web.Request) -> web.Response:
    d = _dispatcher(request)
    events = d.events()
    if request.query.get("type"):
        events = [e for e in events if e.type == request.query["type"]]
    return json_response({"object": "list", "data": [d.describe(e) for e in events]})


async def get_event(request: web.Request) -> web.Response:
    d = _dispatcher(request)
    return json_response(d.describe(ls.Event._api_retrieve(request.match_info["id"])))


async def resend_event(request: web.Request) -> web.Response:
    """Deliver one event now (synchronously, no retries); body may set "url"."""
    d = _dispatcher(request)
    event = ls.Event._api_retrieve(request.match_info["id"])
    body = await admin_json(request)
    ok = await d.send(event.id, url=body.get("url"))
    return json_response({"delivered": ok, **d.describe(event)})


async def reset(request: web.Request) -> web.Response:
    """Forget every object, event and idempotency key (the store is shared
    by all emulators in one process)."""
    ls.store.clear()
    d = _dispatcher(request)
    d.order.clear()
    d.deliveries.clear()
    request.app[IDEMPOTENCY].entries.clear()
    request.app[ACCOUNT_LINKS].clear()
    return json_response({"reset": True})


async def health(request: web.Request) -> web.Response:
    return json_response({"ok": True, "emulator": "delegate-stripe-emulator", "livemode": False})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_emulator/health", health)
    app.router.add_get("/_emulator/config", get_config)
    app.router.add_post("/_emulator/config", set_config)
    app.router.add_get("/_emulator/events", list_events)
    app.router.add_get("/_emulator/events/{id}", get_event)
    app.router.add_post("/_emulator/events/{id}/resend", resend_event)
    app.router.add_post("/_emulator/reset", reset)
