"""Application factory, in-thread runner for tests, and the blocking server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import _compat, admin, cards, checkout, checkout_page, connect, core_routes, disputes, lists
from ._keys import ACCOUNT_LINKS, DISPATCHER, IDEMPOTENCY, PUBLIC_URL
from .middleware import IdempotencyStore, auth_middleware, error_middleware
from .webhooks import Dispatcher, WebhookConfig

HOST = "127.0.0.1"  # never listen beyond loopback: this is a dev/test tool

log = logging.getLogger("devtools.stripe_emulator")

# localstripe reports events through one module-level hook; route each to the
# emulator whose event loop is handling the request that created it.
_DISPATCHERS: dict[asyncio.AbstractEventLoop, Dispatcher] = {}


def _event_sink(event) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    dispatcher = _DISPATCHERS.get(loop)
    if dispatcher is not None:
        dispatcher.record(event)


def create_app(
    config: WebhookConfig | None = None, public_url: str | None = None
) -> web.Application:
    _compat.apply()
    _compat.set_event_sink(_event_sink)
    idempotency = IdempotencyStore()
    app = web.Application(middlewares=[error_middleware, auth_middleware, idempotency.middleware()])
    app[PUBLIC_URL] = (public_url or "").rstrip("/")
    app[DISPATCHER] = Dispatcher(config or WebhookConfig())
    app[IDEMPOTENCY] = idempotency
    app[ACCOUNT_LINKS] = {}
    # Our routes first: aiohttp matches in registration order.
    checkout.add_routes(app)
    checkout_page.add_routes(app)
    connect.add_routes(app)
    admin.add_routes(app)
    disputes.add_routes(app)
    cards.add_routes(app)
    lists.add_routes(app)
    core_routes.add_routes(app)
    app.on_startup.append(_on_startup)
    app.on_cleanup.append(_on_cleanup)
    return app


async def _on_startup(app: web.Application) -> None:
    dispatcher = app[DISPATCHER]
    _DISPATCHERS[asyncio.get_running_loop()] = dispatcher
    await dispatcher.start()


async def _on_cleanup(app: web.Application) -> None:
    _DISPATCHERS.pop(asyncio.get_running_loop(), None)
    await app[DISPATCHER].close()


async def _start_site(app: web.Application, port: int, access_log) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=access_log)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, bound


@dataclass
class EmulatorHandle:
    """A running emulator in a background thread (see ``run_in_thread``)."""

    port: int
    app: web.Application
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread
    _runner: web.AppRunner
    _stopped: bool = field(default=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def dispatcher(self) -> Dispatcher:
        return self.app[DISPATCHER]

    def configure(self, **settings: Any) -> None:
        """Same keys as ``POST /_emulator/config`` (thread-safe)."""

        async def apply():
            cfg = self.dispatcher.config
            for key, value in settings.items():
                setattr(cfg, admin._CONFIG_KEYS[key], value)

        asyncio.run_coroutine_threadsafe(apply(), self._loop).result(5)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_in_thread(
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    *,
    public_url: str | None = None,
    **config: Any,
) -> EmulatorHandle:
    """Start an emulator on 127.0.0.1 (port 0 = a free port) in a daemon thread
    with its own event loop. Extra keyword arguments set ``WebhookConfig``
    fields (deliver, delay, retry_delays, timeout, connect_url, connect_secret).

    localstripe keeps objects in one module-level store, so emulators running
    in the same process share objects (events and config are per emulator).
    """
    loop = asyncio.new_event_loop()
    app = create_app(
        WebhookConfig(url=webhook_url, secret=webhook_secret, **config), public_url=public_url
    )
    ready = threading.Event()
    result: dict[str, Any] = {}

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            result["runner"], result["port"] = loop.run_until_complete(
                _start_site(app, port, access_log=None)
            )
        except BaseException as exc:  # surface bind errors to the caller
            result["error"] = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=main, name="stripe-emulator", daemon=True)
    thread.start()
    ready.wait(15)
    if "error" in result:
        raise result["error"]
    return EmulatorHandle(
        port=result["port"], app=app, _loop=loop, _thread=thread, _runner=result["runner"]
    )


def serve(port: int, config: WebhookConfig, public_url: str | None = None) -> None:
    """Blocking server for ``python -m devtools.stripe_emulator``."""
    app = create_app(config, public_url=public_url)

    async def main() -> None:
        runner, bound = await _start_site(app, port, access_log=logging.getLogger("aiohttp.access"))
        log.warning("Delegate Stripe emulator (TEST MODE) listening on http://%s:%d", HOST, bound)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
