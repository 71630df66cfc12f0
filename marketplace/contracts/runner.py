"""The clock of fixed work, run every few minutes by the periodic jobs (or by
``flask contracts release-due`` from cron): remind owners before unanswered work is released,
release what is due, and pay it out. Each step commits on its own, so an unreachable Stripe
holds back no approval; every step is a compare-and-set, so two workers running this at once,
or a run that comes late, release and pay each submission once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..errors import DomainError
from ..payments import runner as payment_runner
from ..payments.gateway import PaymentsNotConfigured, get_gateway
from . import submissions


@dataclass
class ReleaseReport:
    reminded: int = 0
    released: int = 0
    paid_out: int = 0
    notes: list[str] = field(default_factory=list)


def release_due(session: Session) -> ReleaseReport:
    report = ReleaseReport()
    report.reminded = submissions.remind_due(session)
    session.commit()
    released = []
    for submission_id in submissions.due_for_release(session):
        try:
            contract = submissions.release(session, submission_id)
        except DomainError as exc:  # moved by another worker in a way the checks missed
            session.rollback()
            report.notes.append(f"submission {submission_id}: {exc.message}")
            continue
        session.commit()  # the approval stands even if the transfer has to wait
        if contract is not None:
            released.append(contract.id)
    report.released = len(released)
    if not released:
        return report
    try:
        gateway = get_gateway()
    except PaymentsNotConfigured:
        report.notes.append("payments are not configured: approved, nothing paid out")
        return report
    for contract_id in released:
        # As after the owner's approval: a payout that cannot go yet (no Stripe account, a
        # hold, Stripe down) goes when the account is ready or the reconcile command runs.
        report.paid_out += payment_runner.pay_out_now(session, gateway, contract_id)
        session.commit()
    return report
