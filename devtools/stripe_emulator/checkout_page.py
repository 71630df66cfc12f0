"""The hosted Checkout page: a card form that pays a CheckoutSession.

Card outcomes follow Stripe's test cards: 4242 4242 4242 4242 succeeds,
4000 0000 0000 0002 (and the other decline cards) is declined, each with its own
message (4000 0000 0000 9995: "Your card has insufficient funds."). Cards that
need 3-D Secure (4000 0027 6000 3184) are "authenticated" on this page without a
challenge: the customer is present, so they pass.

In setup mode the page saves the card instead ("Save card"): a SetupIntent for the
session's customer, the card attached to that customer. 4000 0000 0000 0002 is
declined there too; 0341 and 9995 save fine and are declined only when charged.
A payment-mode session for a customer with
``payment_intent_data.setup_future_usage`` also saves the card it was paid with.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from aiohttp import web
from localstripe import resources as ls

from . import cards
from ._http import StripeError
from .checkout import CheckoutSession
from .pages import BANNER, link, money, render
from .webhooks import emit


class CardInputError(Exception):
    pass


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        n = int(digit) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _parse_card(form) -> tuple[str, int, int, str]:
    number = "".join(ch for ch in form.get("cardNumber", "") if ch.isdigit())
    if len(number) != 16:
        raise CardInputError("Your card number is incomplete.")
    if not _luhn_ok(number):
        raise CardInputError("Your card number is invalid.")
    exp = "".join(ch for ch in form.get("cardExpiry", "") if ch.isdigit())
    if len(exp) not in (4, 6):
        raise CardInputError("Your card's expiration date is incomplete.")
    month, year = int(exp[:2]), int(exp[2:])
    year += 2000 if year < 100 else 0
    today = dt.date.today()
    if not 1 <= month <= 12:
        raise CardInputError("Your card's expiration date is invalid.")
    if (year, month) < (today.year, today.month):
        raise CardInputError("Your card's expiration year is in the past.")
    cvc = form.get("cardCvc", "").strip()
    if len(cvc) != 3 or not cvc.isdigit():
        raise CardInputError("Your card's security code is incomplete.")
    return number, month, year, cvc


def _summary(session: CheckoutSession) -> str:
    if session.mode == "setup":
        return (
            "<p id=setup-summary>Save a card for future payments to Delegate. "
            "You will not be charged now.</p>"
        )
    rows = "".join(
        f"<tr><td>{escape(li['description'])} × {li['quantity']}</td>"
        f"<td class=r>{money(li['amount_total'], li['currency'])}</td></tr>"
        for li in session._line_items
    )
    saving = (
        "<p id=save-note>Your card is saved for future payments to Delegate.</p>"
        if session.customer and session._pi_data.get("setup_future_usage")
        else ""
    )
    return f"""<table id=line-items>{rows}<tr><td><b>Total</b></td>
<td class=r id=amount-total><b>{money(session.amount_total, session.currency)}</b></td></tr></table>
{saving}"""


def _title(session: CheckoutSession) -> str:
    return "Save a card" if session.mode == "setup" else "Pay Delegate"


def _form(session: CheckoutSession, values: dict, error: str | None) -> str:
    email = session.customer_email or values.get("email", "")
    readonly = " readonly" if session.customer_email else ""

    def val(name: str) -> str:
        return escape(values.get(name, ""), quote=True)

    err = f"<div class=error id=card-errors role=alert>{escape(error)}</div>" if error else ""
    button = "Save card" if session.mode == "setup" else "Pay"
    return f"""
{_summary(session)}
<form method=post id=payment-form>
<label for=email>Email</label>
<input id=email name=email type=email autocomplete=email
 value="{escape(email, quote=True)}"{readonly}>
<label for=cardNumber>Card number</label>
<input id=cardNumber name=cardNumber inputmode=numeric autocomplete=cc-number
 placeholder="1234 1234 1234 1234" value="{val("cardNumber")}" required>
<div class=row><div><label for=cardExpiry>Expiration</label>
<input id=cardExpiry name=cardExpiry autocomplete=cc-exp placeholder="MM / YY"
 value="{val("cardExpiry")}" required></div>
<div><label for=cardCvc>CVC</label>
<input id=cardCvc name=cardCvc inputmode=numeric autocomplete=cc-csc placeholder="CVC"
 value="{val("cardCvc")}" required></div></div>
<input type=hidden name=session value="{escape(session.id, quote=True)}">
{err}
<button type=submit id=submit>{button}</button>
</form>
<p class=muted>Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined;
saved for later, 4000 0000 0000 0341 and 4000 0000 0000 9995 are declined when charged and
4000 0027 6000 3184 always asks for authentication.
Any future expiry, any 3-digit CVC.</p>
{link(session.cancel_url, "← Cancel and return", "cancel")}"""


def _closed_page(session: CheckoutSession) -> web.Response:
    if session.status == "complete":
        target = _success_url(session)
        done = "Card saved" if session.mode == "setup" else "Payment complete"
        what = "saved a card" if session.mode == "setup" else "been paid"
        return render(
            done,
            f"<p id=status>This Checkout Session has {what}."
            "</p>" + link(target, "Continue", "continue"),
        )
    return render(
        "Session expired",
        "<p id=status>This Checkout Session has expired.</p>"
        + link(session.cancel_url, "Return", "cancel"),
        status=410,
    )


def _success_url(session: CheckoutSession) -> str | None:
    if not session.success_url:
        return None
    return session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id)


def _session_or_404(request: web.Request) -> CheckoutSession:
    try:
        return CheckoutSession._get(request.match_info["id"])
    except StripeError:
        raise web.HTTPNotFound(
            text=f"{BANNER}: unknown Checkout Session", content_type="text/plain"
        ) from None


async def show(request: web.Request) -> web.Response:
    session = _session_or_404(request)
    if session.status != "open":
        return _closed_page(session)
    return render(_title(session), _form(session, {}, None))


def _charge(
    session: CheckoutSession, number: str, month: int, year: int, cvc: str, email: str | None
) -> ls.PaymentIntent:
    """Create/confirm the session's PaymentIntent through localstripe."""
    pm = ls.PaymentMethod(
        type="card",
        card={"number": number, "exp_month": month, "exp_year": year, "cvc": cvc},
        billing_details={"email": email},
    )
    data = session._pi_data
    if session.payment_intent is None:
        pi = ls.PaymentIntent(
            amount=session.amount_total,
            currency=session.currency,
            customer=session.customer,
            payment_method=pm.id,
            metadata=dict(data.get("metadata") or {}),
            capture_method=data.get("capture_method") or "automatic",
        )
        pi.transfer_group = data.get("transfer_group")
        pi.description = data.get("description")
        pi.receipt_email = data.get("receipt_email") or email
        pi.setup_future_usage = data.get("setup_future_usage")
        pi.payment_method_types = ["card"]
        # Stripe (API >= 2022-08-01) creates the PaymentIntent at the first
        # confirmation attempt; a retry after a decline reuses it.
        session.payment_intent = pi.id
    else:
        pi = ls.PaymentIntent._api_retrieve(session.payment_intent)
        pi.payment_method, pi.latest_charge = pm.id, None
    pi._create_charge(on_failure_now=lambda: None)
    charge = pi.latest_charge
    charge.transfer_group = pi.transfer_group
    charge.metadata = dict(pi.metadata)
    charge.description = pi.description
    charge.receipt_email = pi.receipt_email
    charge.billing_details = {"email": email, "name": None, "address": None, "phone": None}
    charge.payment_method_details = {"type": "card", "card": dict(pm.card)}
    charge.outcome = {
        "type": "authorized" if charge.status == "succeeded" else "issuer_declined",
        "network_status": "approved_by_network"
        if charge.status == "succeeded"
        else "declined_by_network",
    }
    return pi


def _complete(session: CheckoutSession, email: str | None) -> None:
    session.status = "complete"
    session.url = None
    session.customer_details = {
        "email": email,
        "name": None,
        "address": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    emit("checkout.session.completed", session)


def _save_card(
    session: CheckoutSession, number: str, month: int, year: int, cvc: str, email: str | None
) -> str | None:
    """Setup mode: a SetupIntent saves the card on the customer. The error message, if any."""
    pm = ls.PaymentMethod(
        type="card",
        card={"number": number, "exp_month": month, "exp_year": year, "cvc": cvc},
        billing_details={"email": email},
    )
    setup = ls.SetupIntent(
        customer=session.customer,
        usage="off_session",
        metadata=dict(session._setup_data.get("metadata") or {}),
    )
    setup.description = session._setup_data.get("description")
    setup.payment_method = pm.id
    if pm._attaching_is_declined():
        setup.status = "requires_payment_method"
        setup.last_setup_error = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }
        emit("setup_intent.setup_failed", setup)
        return "Your card was declined."
    # A card that asks for authentication is "authenticated" here: the customer is present.
    setup.status = "succeeded"
    setup.last_setup_error = None
    session.setup_intent = setup.id
    cards.attach(pm, session.customer)
    emit("setup_intent.succeeded", setup)
    return None


async def pay(request: web.Request) -> web.Response:
    session = _session_or_404(request)
    if session.status != "open":
        return _closed_page(session)
    form = dict(await request.post())
    values = {k: str(v) for k, v in form.items()}
    email = session.customer_email or values.get("email") or None
    try:
        card = _parse_card(values)
    except CardInputError as exc:
        return render(_title(session), _form(session, values, str(exc)), status=400)
    if session.mode == "setup":
        error = _save_card(session, *card, email=email)
        if error:
            return render(_title(session), _form(session, values, error), status=402)
        _complete(session, email)
        return _after(session, "Your card was saved.")
    pi = _charge(session, *card, email=email)
    charge = pi.latest_charge
    if charge.status != "succeeded":
        emit("charge.failed", charge)
        emit("payment_intent.payment_failed", pi)
        return render(
            "Pay Delegate",
            _form(session, values, charge.failure_message or "Your card was declined."),
            status=402,
        )
    emit("charge.succeeded", charge)
    if session.customer and pi.setup_future_usage:
        # Paid with setup_future_usage: Stripe saves the card on the customer.
        cards.attach(ls.PaymentMethod._api_retrieve(pi.payment_method), session.customer)
    session.payment_status = "paid" if pi.status == "succeeded" else "unpaid"
    _complete(session, email)
    return _after(session, "Thank you! Your payment succeeded.")


def _after(session: CheckoutSession, thanks: str) -> web.Response:
    target = _success_url(session)
    if target:
        raise web.HTTPSeeOther(target)
    return render("Done", f"<p id=status>{escape(thanks)}</p>")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/c/pay/{id}", show)
    app.router.add_post("/c/pay/{id}", pay)
