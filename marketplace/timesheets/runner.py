"""The weekly clock of hourly contracts, run every few minutes by the periodic jobs (or by
``flask timesheets run`` from cron): close weeks, remind, auto-approve, retry after a new card,
charge, pay out. Each step commits on its own, as the outbox sender does, so one declined card
or an unreachable Stripe holds back nothing else; every step is a compare-and-set, so two
workers running this at once, or a run that comes late, change each week once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import settings
from ..payments.gateway import PaymentsNotConfigured, get_gateway
from . import billing, disputes, services, settlement_money
from .models import SettlementStatus, Timesheet, TimesheetStatus


@dataclass
class Report:
    ended: int = 0
    closed: int = 0
    auto_approved: int = 0
    charged: int = 0
    failed: int = 0
    paid_out: int = 0
    notes: list[str] = field(default_factory=list)


def run_due(session: Session) -> Report:
    report = Report()
    report.ended = services.end_finished(session)
    session.commit()
    report.closed = services.close_due_weeks(session, settings().timesheet_review_days)
    session.commit()
    services.remind_before_auto_approval(session)
    session.commit()
    report.auto_approved = len(services.auto_approve_due(session))
    session.commit()
    billing.retry_with_new_cards(session)
    session.commit()
    try:
        gateway = get_gateway()
    except PaymentsNotConfigured:
        report.notes.append("payments are not configured: nothing charged")
        return report
    for sheet_id in _ids(session, TimesheetStatus.APPROVED):
        settle(session, gateway, sheet_id, report)
    for sheet_id in _ids(session, TimesheetStatus.CHARGED):
        report.paid_out += billing.pay_out(session, gateway, sheet_id)
        session.commit()
    # Disputed time an operator decided to pay whose payout waits (for the assistant's Stripe
    # account, or after Stripe failed): paid out as the weeks are.
    for settlement_id in disputes.unfinished_ids(session, SettlementStatus.CHARGED):
        settlement_money.pay_out(session, gateway, settlement_id)
        session.commit()
    return report


def settle(session: Session, gateway, sheet_id: int, report: Report | None = None) -> None:
    """Charge one approved week and, when that succeeds, pay the assistant."""
    status = billing.charge(session, gateway, sheet_id)
    session.commit()
    if report is not None:
        report.charged += status == TimesheetStatus.CHARGED
        report.failed += status == TimesheetStatus.CHARGE_FAILED
    if status == TimesheetStatus.CHARGED:
        paid = billing.pay_out(session, gateway, sheet_id)
        session.commit()
        if report is not None:
            report.paid_out += paid


def settle_dispute(session: Session, gateway, settlement_id: int) -> SettlementStatus:
    """Charge the owner for disputed time an operator decided to pay and, when that
    succeeds, pay the assistant; each step commits before the next calls Stripe."""
    status = settlement_money.charge(session, gateway, settlement_id)
    session.commit()
    if status == SettlementStatus.CHARGED:
        status = settlement_money.pay_out(session, gateway, settlement_id)
        session.commit()
    return status


def settle_unfinished_disputes(session: Session, gateway) -> dict[SettlementStatus, int]:
    """The reconcile command's part for settlements whose charge has no known outcome (its
    answer, and its webhook, lost): asked again with the same idempotency key, Stripe answers
    with what it did the first time (it keeps keys 24 h), so nothing is charged twice; paid
    out when charged. How many ended in each state. (Charged ones are paid out by run_due.)"""
    ended: dict[SettlementStatus, int] = {}
    for settlement_id in disputes.unfinished_ids(session, SettlementStatus.CHARGING):
        status = settle_dispute(session, gateway, settlement_id)
        ended[status] = ended.get(status, 0) + 1
    return ended


def _ids(session: Session, status: TimesheetStatus) -> list[int]:
    return list(
        session.scalars(
            select(Timesheet.id).where(Timesheet.status == status).order_by(Timesheet.id)
        )
    )
