"""Typed aiohttp application keys (string keys trigger NotAppKeyWarning)."""

from __future__ import annotations

from aiohttp import web

from .middleware import IdempotencyStore
from .webhooks import Dispatcher

PUBLIC_URL = web.AppKey("public_url", str)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyStore)
ACCOUNT_LINKS = web.AppKey("account_links", dict)
