"""Stripe-facing pages: checkout, the webhook endpoint, payout onboarding, the ledger."""

from __future__ import annotations

import json
import logging

import stripe
from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ..accounts.access import assistant_required, owner_required
from ..config import settings
from ..db import get_session
from ..errors import Invalid
from ..extensions import csrf
from ..ops import metrics
from ..payments.models import PayoutAccount
from ..timesheets.services import awaiting_payout, billed_weeks_of
from . import cards, flows, ledger, milestone_funding, payouts, services, webhooks
from .gateway import get_gateway

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)


@bp.app_context_processor
def payments_mode() -> dict:
    key = settings().stripe_secret_key or ""
    return {"payments_test_mode": key.startswith("sk_test_")}


@bp.app_context_processor
def saved_card_helper() -> dict:
    """``saved_card()`` for templates (the settings page's Payment method section), read
    only when a page asks: accounts does not import payments."""

    def saved_card():
        if not current_user.is_authenticated or not current_user.is_owner:
            return None
        return cards.saved_card(get_session(), current_user.id)

    return {"saved_card": saved_card}


def checkout_urls(contract_id: int) -> dict[str, str]:
    """Where Stripe's Checkout page sends the owner back: the contract's page, which waits
    for the webhook (the API's checkout returns there too)."""
    success = url_for("contracts.show", _external=True, contract_id=contract_id, checkout="done")
    return {
        "success": success + "&session_id={CHECKOUT_SESSION_ID}",
        "cancel": url_for(
            "contracts.show", _external=True, contract_id=contract_id, checkout="cancelled"
        ),
    }


@bp.post("/contracts/<int:contract_id>/checkout")
@login_required
def checkout(contract_id: int):
    url = flows.checkout(get_session(), current_user, contract_id, checkout_urls(contract_id))
    return redirect(url, code=303)


@bp.post("/contracts/<int:contract_id>/milestones/<int:number>/checkout")
@login_required
def milestone_checkout(contract_id: int, number: int):
    """Pay for one milestone of a contract funded a milestone at a time."""
    urls = checkout_urls(contract_id)
    url = milestone_funding.checkout(get_session(), current_user, contract_id, number, urls)
    return redirect(url, code=303)


@bp.post("/stripe/webhook")
@csrf.exempt
def webhook():
    payload = request.get_data()
    gateway = get_gateway()
    try:
        gateway.verify_event(payload, request.headers.get("Stripe-Signature"))
    except stripe.SignatureVerificationError as exc:
        reason = str(exc) if "future" in str(exc) else "The Stripe signature did not verify."
        return jsonify(error="Bad signature", message=reason), 400
    event = json.loads(payload)  # verified above; plain dicts are easier to reason about
    metrics.observe_webhook(event)
    session = get_session()
    try:
        outcome = webhooks.receive_event(session, gateway, event)
    except stripe.StripeError:
        log.exception("Could not ask Stripe about event %s", event["id"])
        # Not a 2xx: Stripe delivers the event again later.
        return jsonify(
            error="Stripe unavailable", message="Could not confirm the payment with Stripe."
        ), 503
    session.commit()
    return jsonify(received=True, outcome=outcome)


@bp.get("/payouts")
@assistant_required
def payouts_page():
    session = get_session()
    account = session.get(PayoutAccount, current_user.id)
    return render_template(
        "payments/payouts.html",
        account=account,
        pending=services.pending_payouts(session, current_user.id),
        pending_weeks=awaiting_payout(session, current_user.id),
        paid=ledger.payouts_to(session, current_user),
        returned=request.args.get("returned"),
    )


@bp.post("/payouts/connect")
@assistant_required
def connect():
    session = get_session()
    url = payouts.onboarding_link(
        session,
        get_gateway(),
        current_user,
        refresh_url=url_for("payments.payouts_page", _external=True),
        return_url=url_for("payments.onboarding_return", _external=True),
    )
    session.commit()
    return redirect(url, code=303)


@bp.get("/payouts/return")
@assistant_required
def onboarding_return():
    session = get_session()
    account = payouts.refresh_account(session, get_gateway(), current_user)
    if account and account.payouts_enabled:
        services.payouts_enabled(session, account)
        flash("Your Stripe account is connected. You can be paid.", "success")
    else:
        flash("Stripe still needs some details before you can be paid.", "info")
    session.commit()
    return redirect(url_for("payments.payouts_page", returned=1))


@bp.get("/ledger")
@login_required
def ledger_page():
    session = get_session()
    return render_template(
        "payments/ledger.html",
        entries=ledger.entries_for(session, current_user),
        balances=ledger.balances_for(session, current_user),
        weeks=billed_weeks_of(session, current_user),
    )


CARD_POLLS = 20  # the return page asks Stripe again every 3 s, for a minute


@bp.post("/settings/payment-method")
@owner_required
def save_card():
    """Open Stripe's page to save (or replace) the owner's card."""
    session = get_session()
    return_to = request.form.get("return_to") or url_for("settings.page")
    url = cards.card_setup_url(session, get_gateway(), current_user, return_to)
    session.commit()
    return redirect(url, code=303)


@bp.get("/settings/payment-method/saved")
@owner_required
def card_saved():
    """Back from Stripe's page: ask Stripe what it saved (the webhook may come later, or
    have come already), then go on to the page the owner came from."""
    session = get_session()
    next_path = request.args.get("next") or url_for("settings.page")
    try:
        next_path = cards.safe_return_path(next_path)
    except Invalid:
        next_path = url_for("settings.page")
    checkout_id = request.args.get("session_id", "")
    poll = request.args.get("poll", 0, type=int)
    try:
        card = cards.confirm_card_checkout(session, get_gateway(), current_user, checkout_id)
    except stripe.StripeError:
        log.warning("Could not ask Stripe about checkout %s", checkout_id, exc_info=True)
        card = None
    session.commit()
    if card is not None:
        flash(f"Card saved: {card.card_label}.", "success")
        return redirect(next_path)
    if poll < CARD_POLLS and checkout_id.startswith("cs_"):
        again = url_for(
            "payments.card_saved", next=next_path, session_id=checkout_id, poll=poll + 1
        )
        return render_template("payments/card_confirming.html", next_poll=again)
    flash(
        "Stripe has not confirmed a saved card yet. If you finished on Stripe's page, it "
        "shows here within a few minutes.",
        "info",
    )
    return redirect(next_path)
