"""Payment jobs: the Stripe calls a committed change left to make (``runner``)."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.orm import Session

from ..config import settings
from ..jobs import job
from . import runner
from .gateway import get_gateway
from .reconcile_all import reconcile_all

log = logging.getLogger(__name__)


@job("payments.pay_out_assistant")
def pay_out_assistant_job(session: Session, assistant_id: int) -> list[int]:
    return runner.pay_out_assistant(session, get_gateway(), assistant_id)


@job("payments.refund_late_payment")
def refund_late_payment_job(session: Session, contract_id: int) -> bool:
    return runner.refund_late_payment(session, get_gateway(), contract_id)


@job("payments.refund_second_payment")
def refund_second_payment_job(session: Session, contract_id: int, payment_intent_id: str) -> bool:
    return runner.refund_second_payment(session, get_gateway(), contract_id, payment_intent_id)


@job("payments.reconcile")
def reconcile_job(session: Session) -> list[str]:
    """Hourly: what lost webhooks and lost answers left behind (``reconcile_all``). Nothing
    to do where Stripe is not configured."""
    if not settings(current_app).stripe_secret_key:
        return []
    summary = reconcile_all(session, get_gateway())
    for error in summary.errors:
        # Not a failure of the job: the next hour asks Stripe again, with the same keys.
        log.warning("Reconcile: %s", error)
    return summary.lines
