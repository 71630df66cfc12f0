"""One reconcile pass over everything money touches (``flask payments reconcile`` and the
hourly ``payments.reconcile`` job): contracts, milestones paid on their own, hourly weeks and
operators' dispute settlements. A runner: it commits after each part, so no lock is held
while the next part asks Stripe, and each part is safe to run any number of times."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..timesheets.billing import check_charged_weeks
from ..timesheets.models import SettlementStatus
from ..timesheets.runner import run_due, settle_unfinished_disputes
from ..timesheets.settlement_money import check_charged_settlements
from .gateway import StripeGateway
from .milestone_reconcile import reconcile as reconcile_milestones
from .reconcile import pay_out, reconcile


@dataclass
class Summary:
    lines: list[str] = field(default_factory=list)  # what was repaired, part by part
    errors: list[str] = field(default_factory=list)  # what Stripe could not answer this time


def reconcile_all(session: Session, gateway: StripeGateway) -> Summary:
    summary = Summary()
    report = reconcile(session, gateway)
    session.commit()
    pay_out(session, gateway, report)
    summary.lines.append(
        f"funded {report.funded}, refunded {report.refunded}, paid out {report.paid_out}, "
        f"payout held {report.held}"
    )
    summary.errors += report.errors
    # Milestones paid for on their own: a paid page whose webhooks were lost, a refund.
    parts = reconcile_milestones(session, gateway)
    session.commit()
    summary.lines.append(f"milestones: funded {parts.funded}, refunded {parts.refunded}")
    summary.errors += parts.errors
    # Hourly weeks: a refund or dispute of a paid week whose webhook never came holds its
    # payout; a charge or payout a lost job left behind is done now (same idempotency keys).
    held = check_charged_weeks(session, gateway)
    session.commit()
    weeks = run_due(session)
    session.commit()
    summary.lines.append(
        f"hourly weeks: charged {weeks.charged}, failed {weeks.failed}, "
        f"paid out {weeks.paid_out}, payout held {len(held)}"
    )
    # Disputed time an operator decided to pay whose charge has no known outcome (answer and
    # webhook lost): asked again with its key. Charged ones were paid out by run_due above.
    ended = settle_unfinished_disputes(session, gateway)
    session.commit()
    # A charged settlement refunded or disputed in Stripe, its webhook lost, is held as a
    # week is; asked after the part above, so one it just charged is asked about too.
    settlements_held = check_charged_settlements(session, gateway)
    session.commit()
    summary.lines.append(
        "dispute settlements: "
        + ", ".join(f"{status.value} {ended.get(status, 0)}" for status in SettlementStatus)
        + f", payout held {len(settlements_held)}"
    )
    return summary
