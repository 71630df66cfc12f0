"""Adapters around localstripe's internals (we never edit site-packages).

localstripe was written as a standalone server; to embed it we neutralise the
parts that clash with our requirements:

* its ``Store`` pickles itself to ``/tmp/localstripe.pickle`` on every write:
  the emulator must keep state in memory only;
* ``localstripe.server`` registers bare (non-async) handlers at import time,
  which aiohttp >= 3.8 reports with a DeprecationWarning (fatal under the
  project's ``filterwarnings = error``): we import it with that one warning
  silenced and wrap its handlers in coroutines;
* its webhook sender ignores retries and signs with the event's creation time;
  we reroute ``schedule_webhook`` to our own dispatcher;
* Stripe declines 4000 0000 0000 0002 when *charging*; localstripe only does so
  when attaching it to a customer;
* Stripe renders ``PaymentIntent.latest_charge`` as an id unless expanded;
  localstripe always inlines the charge object.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from localstripe import resources as ls

DECLINED_CARDS = {"4000000000000002", "4000000000009995", "4000000000009987", "4000000000000341"}

_event_sink: Callable[[ls.Event], None] | None = None
_applied = False


def set_event_sink(sink: Callable[[ls.Event], None]) -> None:
    global _event_sink
    _event_sink = sink


def _schedule_webhook(event: ls.Event) -> None:
    if _event_sink is not None:
        _event_sink(event)


_server = None


def import_server():
    """Import ``localstripe.server`` without its import-time DeprecationWarning.

    Cached: ``catch_warnings`` mutates process-global state, so it must run
    once (from ``apply()``, on the thread creating the app), not per request.
    """
    global _server
    if _server is None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Bare functions are deprecated")
            from localstripe import server
        _server = server
    return _server


def apply() -> None:
    """Idempotently patch localstripe for in-process, in-memory use."""
    global _applied
    if _applied:
        return
    _applied = True
    import_server()

    # In-memory state only: no pickle in /tmp.
    ls.Store.dump_to_disk = lambda self: None
    ls.Store.try_load_from_disk = lambda self: None

    # Every ``schedule_webhook(Event(...))`` inside localstripe goes to us.
    ls.schedule_webhook = _schedule_webhook

    original_declined = ls.PaymentMethod._charging_is_declined

    def _charging_is_declined(self):
        if getattr(self, "type", None) == "card" and self._card_number in DECLINED_CARDS:
            return True
        return original_declined(self)

    ls.PaymentMethod._charging_is_declined = _charging_is_declined

    original_pi_export = ls.PaymentIntent._export

    def _pi_export(self, expand=None):
        obj = original_pi_export(self, expand=expand)
        wanted = any(e == "latest_charge" or e.startswith("latest_charge.") for e in expand or [])
        charge = obj.get("latest_charge")
        if isinstance(charge, dict) and not wanted:
            obj["latest_charge"] = charge["id"]
        # Fields Stripe always returns that localstripe lacks.
        obj.setdefault("transfer_group", None)
        obj.setdefault("description", None)
        obj.setdefault("receipt_email", None)
        obj.setdefault("amount_received", self.amount if obj.get("status") == "succeeded" else 0)
        return obj

    ls.PaymentIntent._export = _pi_export

    original_charge_export = ls.Charge._export

    def _charge_export(self, expand=None):
        obj = original_charge_export(self, expand=expand)
        obj.setdefault("transfer_group", None)
        obj.setdefault("amount_captured", self.amount if self.captured and self.paid else 0)
        obj.setdefault("source_transfer", None)
        obj.setdefault("disputed", False)  # set True by /_emulator/charges/{id}/dispute
        return obj

    ls.Charge._export = _charge_export
