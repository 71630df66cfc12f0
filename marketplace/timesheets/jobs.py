"""Timesheet jobs: the periodic weekly clock, and settling one week the owner just approved."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from ..jobs import job
from ..payments.gateway import get_gateway
from . import billing, pay_pages
from .models import Timesheet
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
