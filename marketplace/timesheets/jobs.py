"""Timesheet jobs: the periodic weekly clock, settling one week the owner just approved, and
what a webhook about a week or a dispute settlement leaves to do with Stripe."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from ..jobs import job
from ..payments.gateway import get_gateway
from . import billing, pay_pages, settlement_money
from .models import DisputeSettlement, Timesheet
from .runner import run_due, settle


@job("timesheets.run_due")
def run_due_job(session: Session) -> dict:
    return asdict(run_due(session))


@job("timesheets.settle")
def settle_job(session: Session, timesheet_id: int) -> None:
    settle(session, get_gateway(), timesheet_id)


@job("timesheets.after_new_card")
def after_new_card_job(session: Session, owner_id: int) -> None:
    pay_pages.after_new_card(session, get_gateway(), owner_id)


@job("timesheets.pay_out")
def pay_out_job(session: Session, timesheet_id: int) -> None:
    billing.pay_out(session, get_gateway(), timesheet_id)


@job("timesheets.refund_duplicate")
def refund_duplicate_job(session: Session, timesheet_id: int, payment_intent_id: str) -> None:
    sheet = session.get(Timesheet, timesheet_id)
    if sheet is not None and sheet.payment_intent_id != payment_intent_id:
        billing.refund_duplicate(get_gateway(), sheet, payment_intent_id)


@job("timesheets.pay_out_settlement")
def pay_out_settlement_job(session: Session, settlement_id: int) -> None:
    settlement_money.pay_out(session, get_gateway(), settlement_id)


@job("timesheets.refund_duplicate_settlement")
def refund_duplicate_settlement_job(
    session: Session, settlement_id: int, payment_intent_id: str
) -> None:
    settlement = session.get(DisputeSettlement, settlement_id)
    if settlement is not None and settlement.payment_intent_id != payment_intent_id:
        settlement_money.refund_duplicate(get_gateway(), settlement, payment_intent_id)
