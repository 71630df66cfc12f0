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
  when attaching it to a customer. Each declining card fails with Stripe's own
  ``decline_code`` and message (``DECLINES``), and only 0002 fails when it is
  saved (4000 0000 0000 9995 saves, then every charge is declined);
* Stripe renders ``PaymentIntent.latest_charge`` as an id unless expanded;
  localstripe always inlines the charge object.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from localstripe import resources as ls

# Card number -> (decline_code, message) when it is charged, as Stripe's test cards answer.
DECLINES = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("lost_card", "Your card was declined."),
    "4000000000000341": ("generic_decline", "Your card was declined."),
}
DECLINED_CARDS = set(DECLINES)
# Cards that fail already when they are saved (SetupIntent, attach): Stripe's plain decline.
# (localstripe also refuses 9995 and 9987 there; Stripe's test cards save them.)
ATTACH_DECLINED = {"4000000000000002"}
AUTH_REQUIRED_MESSAGE = "Your card was declined. This transaction requires authentication."

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

    def _attaching_is_declined(self):
        return getattr(self, "type", None) == "card" and self._card_number in ATTACH_DECLINED

    ls.PaymentMethod._attaching_is_declined = _attaching_is_declined

    def _set_auth_failure(self):
        """A declined charge says why, as Stripe's does: ``outcome.reason`` and the
        card's own message (``failure_code`` stays ``card_declined``)."""
        pm = ls.PaymentMethod._api_retrieve(self.payment_method)
        number = getattr(pm, "_card_number", "")
        if getattr(self, "_decline", None) is None:
            self._decline = DECLINES.get(number, ("generic_decline", "Your card was declined."))
        self.status = "failed"
        self.failure_code = "card_declined"
        self.failure_message = self._decline[1]

    ls.Charge._set_auth_failure = _set_auth_failure

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
        obj.setdefault("setup_future_usage", None)
        obj["last_payment_error"] = _last_payment_error(self)
        return obj

    ls.PaymentIntent._export = _pi_export

    original_charge_export = ls.Charge._export

    def _charge_export(self, expand=None):
        obj = original_charge_export(self, expand=expand)
        obj.setdefault("transfer_group", None)
        obj.setdefault("amount_captured", self.amount if self.captured and self.paid else 0)
        obj.setdefault("source_transfer", None)
        obj.setdefault("disputed", False)  # set True by /_emulator/charges/{id}/dispute
        decline = getattr(self, "_decline", None)
        if decline is not None and obj.get("status") == "failed":
            obj["outcome"] = {
                **(obj.get("outcome") or {}),
                "type": "issuer_declined",
                "network_status": "declined_by_network",
                "reason": decline[0],
                "seller_message": "The bank did not return any further details with this decline.",
            }
        return obj

    ls.Charge._export = _charge_export


def card_error(charge) -> dict:
    """The ``error`` body of a declined charge (and the PaymentIntent's last_payment_error),
    shaped like Stripe's: type card_error, code, decline_code, message, charge."""
    decline_code, message = getattr(charge, "_decline", None) or (
        "generic_decline",
        charge.failure_message or "Your card was declined.",
    )
    code = "authentication_required" if decline_code == "authentication_required" else None
    return {
        "type": "card_error",
        "code": code or charge.failure_code or "card_declined",
        "decline_code": decline_code,
        "message": message,
        "charge": charge.id,
        "doc_url": f"https://stripe.com/docs/error-codes/{code or 'card-declined'}",
    }


def _last_payment_error(pi) -> dict | None:
    """Stripe's last_payment_error: the card error of the latest failed attempt, with the
    PaymentMethod that failed (Stripe detaches it from the intent on failure)."""
    charge = pi.latest_charge
    if getattr(pi, "_authentication_failed", False):
        return {
            "type": "card_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication.",
        }
    if charge is None or isinstance(charge, str) or charge.status != "failed":
        return None
    error = card_error(charge)
    pm = ls.store.get(f"payment_method:{charge.payment_method}")
    if pm is not None:
        error["payment_method"] = pm._export()
    return error
