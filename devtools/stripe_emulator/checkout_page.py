"""The hosted Checkout page: a card form that pays a CheckoutSession.

Card outcomes follow Stripe's test cards: 4242 4242 4242 4242 succeeds,
4000 0000 0000 0002 (and the other decline cards) is declined. Cards that would
need 3-D Secure are charged without the challenge (not modelled).
"""

from __future__ import annotations

import datetime as dt
from html import escape

from aiohttp import web
from localstripe import resources as ls

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


def _form(session: CheckoutSession, values: dict, error: str | None) -> str:
    rows = "".join(
        f"<tr><td>{escape(li['description'])} × {li['quantity']}</td>"
        f"<td class=r>{money(li['amount_total'], li['currency'])}</td></tr>"
        for li in session._line_items
    )
    email = session.customer_email or values.get("email", "")
    readonly = " readonly" if session.customer_email else ""

    def val(name: str) -> str:
        return escape(values.get(name, ""), quote=True)

    err = f"<div class=error id=card-errors role=alert>{escape(error)}</div>" if error else ""
    return f"""
<table id=line-items>{rows}<tr><td><b>Total</b></td>
<td class=r id=amount-total><b>{money(session.amount_total, session.currency)}</b></td></tr></table>
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
<button type=submit id=submit>Pay</button>
</form>
<p class=muted>Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.
Any future expiry, any 3-digit CVC.</p>
{link(session.cancel_url, "← Cancel and return", "cancel")}"""


def _closed_page(session: CheckoutSession) -> web.Response:
    if session.status == "complete":
        target = _success_url(session)
        return render(
            "Payment complete",
            "<p id=status>This Checkout Session has been paid."
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
    return render("Pay Delegate", _form(session, {}, None))


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
        return render("Pay Delegate", _form(session, values, str(exc)), status=400)
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
    session.status = "complete"
    session.payment_status = "paid" if pi.status == "succeeded" else "unpaid"
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
    target = _success_url(session)
    if target:
        raise web.HTTPSeeOther(target)
    return render("Payment complete", "<p id=status>Thank you! Your payment succeeded.</p>")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/c/pay/{id}", show)
    app.router.add_post("/c/pay/{id}", pay)
