"""Charging an approved week to the owner's saved card, and paying the assistant their share.

Stripe is called with no row locked and nothing written yet in the transaction; what it
answered is then applied by a compare-and-set. The idempotency key names the timesheet and the
attempt (``timesheet-12-charge``, then ``-1``, ``-2`` after a new card), so two workers charging
the same week, or a worker that died between Stripe's answer and its commit, get Stripe's first
answer back: one charge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import stripe
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import db
from ..accounts.models import User
from ..contracts import services as contracts
from ..db import utcnow
from ..errors import Conflict
from ..notifications import notices
from ..payments import ledger
from ..payments import services as payments
from ..payments.cards import charge_saved_card, saved_card
from ..payments.gateway import PaymentFacts, StripeGateway
from ..payments.models import EntryKind, PayoutAccount
from ..payments.services import charge_of
from ..reviews import services as reviews
from . import services
from .models import DisputeSettlement, SettlementStatus, Timesheet, TimesheetStatus

log = logging.getLogger(__name__)
CHECKOUT_LIFETIME = timedelta(hours=24)  # Stripe's default expiry of a Checkout Session


def payment_metadata(sheet: Timesheet) -> dict[str, str]:
    return {"timesheet_id": str(sheet.id), "hourly_contract_id": str(sheet.contract_id)}


def description(sheet: Timesheet) -> str:
    contract = sheet.contract
    return (
        f"Delegate: {contract.task.title}, week of {sheet.week_start:%d %b %Y}, "
        f"{contract.assistant.display_name}"
    )


def charge_key(sheet: Timesheet) -> str:
    suffix = f"-{sheet.charge_attempt}" if sheet.charge_attempt else ""
    return f"timesheet-{sheet.id}-charge{suffix}"


def charge(session: Session, gateway: StripeGateway, timesheet_id: int) -> TimesheetStatus | None:
    """Charge an approved week once. Returns the state it ended in, None when not approved."""
    sheet = session.get(Timesheet, timesheet_id)
    if sheet is None or sheet.status != TimesheetStatus.APPROVED:
        return None
    contract = sheet.contract
    attempt = sheet.charge_attempt
    card = saved_card(session, contract.owner_id)
    if card is None or card.payment_method_id is None:
        _failed(session, sheet, attempt, "There is no card saved to pay with.", None)
        return sheet.status
    method = card.payment_method_id
    amount_cents, _fee, _net = sheet.billed
    try:
        result = charge_saved_card(
            gateway,
            customer_id=card.stripe_customer_id,
            payment_method_id=method,
            amount_cents=amount_cents,
            currency=contract.currency,
            description=description(sheet),
            idempotency_key=charge_key(sheet),
            # Not "contract_id": that key sends events to the fixed contracts' handlers.
            metadata=payment_metadata(sheet),
            since=sheet.approved_at,  # no charge of the week comes before its approval
        )
    except stripe.StripeError:
        log.exception("Charging timesheet %s failed; the next run retries", sheet.id)
        return sheet.status
    if result.outcome == "succeeded":
        assert result.payment_intent_id, "a succeeded charge has its PaymentIntent"
        charged(session, sheet, result.payment_intent_id, result.charge_id, result.amount_cents)
    else:
        _failed(session, sheet, attempt, result.message or "The card was declined.", method)
    return sheet.status


def charged(
    session: Session,
    sheet: Timesheet,
    payment_intent_id: str,
    charge_id: str | None,
    amount_cents: int,
) -> bool:
    """Stripe took the week's money (off-session, or on Stripe's page after a failure)."""
    if amount_cents != sheet.amount_cents:
        # Never seen from Stripe for a confirmed amount; refuse to call it paid.
        log.error("Timesheet %s: paid %s, owed %s", sheet.id, amount_cents, sheet.amount_cents)
        return False
    won = services.transition(
        session,
        sheet,
        [TimesheetStatus.APPROVED, TimesheetStatus.CHARGE_FAILED],
        TimesheetStatus.CHARGED,
        payment_intent_id=payment_intent_id,
        charge_id=charge_id,
        charged_at=utcnow(),
        last_payment_error=None,
    )
    if not won:
        return False
    contract = sheet.contract
    _amount, fee_cents, _net = sheet.billed
    ledger.record(session, contract, EntryKind.CHARGE, amount_cents, payment_intent_id, sheet.id)
    ledger.record(session, contract, EntryKind.FEE, fee_cents, fee_key(payment_intent_id), sheet.id)
    notices.notify_timesheet_charged(session, sheet)
    # An ended contract's first paid week makes it reviewable (reviews.services.ended_at).
    reviews.contract_ended(session, contract)
    session.flush()
    return True


def _failed(
    session: Session, sheet: Timesheet, attempt: int, message: str, card: str | None
) -> None:
    # Only the attempt that was charged may fail it: a worker with an older read loses.
    if services.transition(
        session,
        sheet,
        [TimesheetStatus.APPROVED],
        TimesheetStatus.CHARGE_FAILED,
        Timesheet.charge_attempt == attempt,
        failed_at=utcnow(),
        last_payment_error=message,
        failed_payment_method=card,
    ):
        notices.notify_charge_failed(session, sheet, attempt)
        session.flush()


def retry_with_new_cards(session: Session) -> list[int]:
    """Failed weeks whose owner has saved another card since: approved again, with a new attempt
    (and so a new idempotency key), for the next charge run. Not while a page the owner opened
    to pay on Stripe's side may still be paid (Checkout pages expire after a day): that
    payment settles the week, and one charge must not become two."""
    retried = []
    page_open_since = utcnow() - CHECKOUT_LIFETIME
    for sheet in session.scalars(
        select(Timesheet).where(
            Timesheet.status == TimesheetStatus.CHARGE_FAILED,
            or_(Timesheet.on_session_at.is_(None), Timesheet.on_session_at < page_open_since),
        )
    ).all():
        card = saved_card(session, sheet.contract.owner_id)
        if card is None or card.payment_method_id in (None, sheet.failed_payment_method):
            continue
        if services.transition(
            session,
            sheet,
            [TimesheetStatus.CHARGE_FAILED],
            TimesheetStatus.APPROVED,
            Timesheet.charge_attempt == sheet.charge_attempt,
            charge_attempt=sheet.charge_attempt + 1,
        ):
            retried.append(sheet.id)
    session.flush()
    return retried


def pay_out(session: Session, gateway: StripeGateway, timesheet_id: int) -> bool:
    """Transfer the assistant's share of a charged week, once their Stripe account is ready."""
    sheet = session.get(Timesheet, timesheet_id)
    if sheet is None or sheet.status != TimesheetStatus.CHARGED:
        return False
    contract = sheet.contract
    if sheet.payout_hold or contract.frozen_reason:
        return False
    account = session.get(PayoutAccount, contract.assistant_id)
    if account is None or not account.payouts_enabled:
        return False
    _amount, _fee, net_cents = sheet.billed
    intent = sheet.payment_intent_id
    assert intent, "a charged week has its PaymentIntent"
    try:
        charge_id = sheet.charge_id or charge_of(gateway, intent)
        transfer = gateway.create_transfer(
            contract_id=contract.id,
            amount_cents=net_cents,
            currency=contract.currency,
            destination=account.stripe_account_id,
            charge_id=charge_id,
            key_suffix=f"timesheet-{sheet.id}",
            since=sheet.charged_at,
        )
    except stripe.StripeError:
        log.exception("Payout for timesheet %s failed; the next run retries", sheet.id)
        return False
    if not services.transition(
        session,
        sheet,
        [TimesheetStatus.CHARGED],
        TimesheetStatus.PAID,
        charge_id=charge_id,
        transfer_id=transfer.id,
        paid_at=utcnow(),
    ):
        return False
    ledger.record(session, contract, EntryKind.TRANSFER, net_cents, transfer.id, sheet.id)
    notices.notify_timesheet_paid(session, sheet)
    session.flush()
    return True


def start_paying_on_session(session: Session, owner: User, timesheet_id: int) -> Timesheet:
    """The owner chose to pay a failed week on Stripe's page: stamp it (so it is not also
    retried off-session meanwhile) and number the page. The caller commits before asking
    Stripe for the page."""
    sheet = services.timesheet_for(session, owner, timesheet_id)
    contracts.require_party(sheet.contract, owner, "owner", "pay for this week")
    claimed = db.rows_changed(
        session,
        update(Timesheet)
        .where(Timesheet.id == sheet.id, Timesheet.status == TimesheetStatus.CHARGE_FAILED)
        .values(on_session_at=utcnow(), checkout_attempt=Timesheet.checkout_attempt + 1)
        .execution_options(synchronize_session=False),
    )
    session.refresh(sheet)
    if claimed != 1:
        raise Conflict(f"This week is {sheet.status.label.lower()}; there is nothing to pay.")
    return sheet


def remember_pay_page(session: Session, sheet: Timesheet, checkout_session_id: str) -> None:
    """The page just opened for this attempt (not one a later attempt replaced meanwhile)."""
    db.rows_changed(
        session,
        update(Timesheet)
        .where(Timesheet.id == sheet.id, Timesheet.checkout_attempt == sheet.checkout_attempt)
        .values(checkout_session_id=checkout_session_id)
        .execution_options(synchronize_session=False),
    )


def checkout_key(sheet: Timesheet) -> str:
    return f"timesheet-{sheet.id}-checkout-{sheet.checkout_attempt}"


def refund_duplicate(gateway: StripeGateway, sheet: Timesheet, payment_intent_id: str) -> None:
    """A second payment for a week already paid (two pages paid, or a page paid while a
    retry charged the new card): give it all back. It never entered the ledger."""
    gateway.create_refund(
        contract_id=sheet.contract_id,
        payment_intent_id=payment_intent_id,
        key_suffix=f"timesheet-{sheet.id}-duplicate-{payment_intent_id}",
    )
    log.warning("Refunded duplicate payment %s of timesheet %s", payment_intent_id, sheet.id)


def fee_key(payment_intent_id: str) -> str:
    """The ledger's key of the fee taken on a week's payment."""
    return f"{payment_intent_id}:fee"


def hold_taken_back_payout(
    session: Session,
    row: Timesheet | DisputeSettlement,
    facts: PaymentFacts,
    *,
    sheet: Timesheet,
    paid_cents: int | None,
    fee_cents: int,
    what: str,
    charged_status: TimesheetStatus | SettlementStatus,
    notify: Callable[[Session, Any], Any],
) -> bool:
    """The one rule for an hourly payment Stripe says was refunded (in its dashboard) or
    disputed by the card holder, be it a week's or an operator's settlement of its disputed
    time: each refund goes into the ledger, the platform gives up its fee's share of it (as
    for a fixed contract), and the payout must not go out (if it has, support recovers it).
    A compare-and-set on the hold: True only for the call that placed it."""
    if facts.intact or not row.payment_intent_id:
        return False
    contract = sheet.contract
    for refund_id, cents in facts.refunds:
        ledger.record(session, contract, EntryKind.REFUND, cents, refund_id, sheet.id)
    if facts.amount_refunded and paid_cents:
        payments.reverse_fee_share(
            session,
            contract,
            payment_intent_id=row.payment_intent_id,
            paid_cents=paid_cents,
            fee_cents=fee_cents,
            refunded_cents=facts.amount_refunded,
            timesheet_id=sheet.id,
        )
    why = "disputed by the card holder" if facts.disputed else "refunded in Stripe"
    model = type(row)
    held = db.rows_changed(
        session,
        update(model)
        .where(model.id == row.id, model.payout_hold.is_(None))
        .values(payout_hold=f"The owner's payment {what} was {why}; Delegate's support settles it.")
        .execution_options(synchronize_session=False),
    )
    session.refresh(row)
    if held != 1:
        return False
    if row.status == charged_status:  # a share already sent is support's to recover
        notify(session, row)
    session.flush()
    return True


def hold_if_taken_back(session: Session, sheet: Timesheet, facts: PaymentFacts) -> bool:
    """A week's payment refunded or disputed in Stripe (``hold_taken_back_payout``). The fee
    is given up only if it was taken (a week paid before fees were recorded has none)."""
    taken = bool(sheet.payment_intent_id) and ledger.has(
        session, EntryKind.FEE, fee_key(sheet.payment_intent_id or "")
    )
    return hold_taken_back_payout(
        session,
        sheet,
        facts,
        sheet=sheet,
        paid_cents=sheet.amount_cents,
        fee_cents=(sheet.fee_cents or 0) if taken else 0,
        what="for this week",
        charged_status=TimesheetStatus.CHARGED,
        notify=notices.notify_payout_held,
    )


def check_charged(
    session: Session,
    gateway: StripeGateway,
    model: type[Timesheet] | type[DisputeSettlement],
    charged_status: TimesheetStatus | SettlementStatus,
    hold: Callable[[Session, Any, PaymentFacts], bool],
) -> list[int]:
    """Ask Stripe about every payment of ``model`` (weeks, settlements) received whose payout
    has not gone out: the reconcile command's part for hourly work, for a refund or dispute
    whose webhook never came. The ids whose payout this call held."""
    held = []
    rows = session.execute(
        select(model.id, model.payment_intent_id).where(
            model.status == charged_status, model.payout_hold.is_(None)
        )
    ).all()
    session.rollback()  # no transaction open while Stripe answers
    # A charged row always has its PaymentIntent (it is stored in the same change).
    answers = [(row_id, gateway.payment_facts(intent)) for row_id, intent in rows if intent]
    for row_id, facts in answers:
        if hold(session, session.get_one(model, row_id), facts):
            held.append(row_id)
    return held


def check_charged_weeks(session: Session, gateway: StripeGateway) -> list[int]:
    return check_charged(session, gateway, Timesheet, TimesheetStatus.CHARGED, hold_if_taken_back)
