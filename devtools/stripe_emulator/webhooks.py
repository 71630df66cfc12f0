"""Event creation and signed webhook delivery with retries.

Events are localstripe ``Event`` objects (so ``GET /v1/events/{id}`` works);
every event -- ours and localstripe's own -- is routed here by ``_compat``.
Delivery is asynchronous: a single worker sends first attempts in creation
order (deterministic for demos and tests), failed ones are retried in their own
tasks with backoff so one dead endpoint never blocks a checkout POST.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import stripe
from localstripe import resources as ls

log = logging.getLogger("devtools.stripe_emulator.webhooks")

API_VERSION = stripe.api_version  # what the installed library expects


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's v1 scheme: ``t=<ts>,v1=HMAC_SHA256(secret, "<ts>.<payload>")``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), b"%d." % t + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class Delivery:
    status: str = "pending"  # pending | delivered | failed | skipped
    attempts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WebhookConfig:
    url: str | None = None
    secret: str | None = None
    # Connect events (those with ``account``) go here when set, like Stripe's
    # separate Connect endpoints; otherwise to ``url``.
    connect_url: str | None = None
    connect_secret: str | None = None
    deliver: bool = True
    delay: float = 0.0
    retry_delays: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0, 8.0, 16.0])
    timeout: float = 5.0

    def target(self, event: ls.Event) -> tuple[str | None, str | None]:
        if getattr(event, "account", None) and self.connect_url:
            return self.connect_url, self.connect_secret or self.secret
        return self.url, self.secret


class Dispatcher:
    """Per-emulator event log and delivery machinery (lives on its loop)."""

    def __init__(self, config: WebhookConfig):
        self.config = config
        self.order: list[str] = []
        self.deliveries: dict[str, Delivery] = {}
        self._queue: asyncio.Queue[str] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._session = aiohttp.ClientSession()
        self._spawn(self._worker())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- recording -------------------------------------------------------
    def record(self, event: ls.Event) -> None:
        """Called synchronously for every new event (from request handlers)."""
        event.api_version = API_VERSION
        event.pending_webhooks = 1
        event.request = getattr(event, "request", None) or {"id": None, "idempotency_key": None}
        self.order.append(event.id)
        if not self.config.deliver or not self.config.target(event)[0]:
            self.deliveries[event.id] = Delivery(status="skipped")
            event.pending_webhooks = 0
            return
        self.deliveries[event.id] = Delivery()
        if self._queue is not None:
            self._queue.put_nowait(event.id)

    def events(self) -> list[ls.Event]:
        # The store is shared by every emulator in the process, and another one's reset
        # forgets events this one still lists: those are gone, not an error.
        found = (ls.store.get(f"{ls.Event.object}:{eid}") for eid in self.order)
        return [event for event in found if event is not None]

    def describe(self, event: ls.Event) -> dict[str, Any]:
        d = self.deliveries.get(event.id, Delivery(status="skipped"))
        return {"event": event._export(), "delivery": {"status": d.status, "attempts": d.attempts}}

    # -- sending ---------------------------------------------------------
    async def _worker(self) -> None:
        assert self._queue is not None
        while True:
            event_id = await self._queue.get()
            if self.config.delay:
                await asyncio.sleep(self.config.delay)
            try:
                ok = await self.send(event_id)
            except Exception:  # an emulator bug must not stop all deliveries
                log.exception("webhook %s: delivery crashed", event_id)
                ok = False
            if not ok:
                self._spawn(self._retry(event_id))

    async def _retry(self, event_id: str) -> None:
        for delay in self.config.retry_delays:
            await asyncio.sleep(delay)
            if await self.send(event_id):
                return
        delivery = self.deliveries.get(event_id)
        if delivery is not None and delivery.status != "delivered":
            delivery.status = "failed"
        log.warning("webhook %s abandoned after retries", event_id)

    async def send(self, event_id: str, url: str | None = None) -> bool:
        """One signed delivery attempt; records the outcome. Returns success."""
        event = ls.store.get(f"event:{event_id}")
        if event is None:  # forgotten by /_emulator/reset while queued
            return True
        target, secret = self.config.target(event)
        url = url or target
        delivery = self.deliveries.setdefault(event_id, Delivery())
        if not url or not secret:
            delivery.attempts.append({"at": int(time.time()), "error": "no webhook url/secret"})
            return False
        payload = json.dumps(event._export(), indent=2).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) DelegateEmulator",
        }
        attempt: dict[str, Any] = {"at": int(time.time()), "url": url}
        assert self._session is not None
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.timeout)
            async with self._session.post(
                url, data=payload, headers=headers, timeout=timeout
            ) as resp:
                attempt["status"] = resp.status
                await resp.read()
                ok = 200 <= resp.status < 300
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            attempt["error"] = f"{type(exc).__name__}: {exc}"
            ok = False
        delivery.attempts.append(attempt)
        if ok:
            delivery.status = "delivered"
            event.pending_webhooks = 0
        log.info("webhook %s %s -> %s", event.type, event_id, attempt)
        return ok


def emit(type: str, obj: Any, account: str | None = None) -> ls.Event:
    """Create (and, through the patched schedule hook, dispatch) an event."""
    event = ls.Event.__new__(ls.Event)
    if account:
        event.account = account  # set before recording so routing sees it
    ls.Event.__init__(event, type, obj)
    ls.schedule_webhook(event)
    return event
