"""Payment jobs: the Stripe calls a committed change left to make (``runner``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..jobs import job
from . import runner
from .gateway import get_gateway


@job("payments.pay_out_assistant")
def pay_out_assistant_job(session: Session, assistant_id: int) -> list[int]:
    return runner.pay_out_assistant(session, get_gateway(), assistant_id)


@job("payments.refund_late_payment")
def refund_late_payment_job(session: Session, contract_id: int) -> bool:
    return runner.refund_late_payment(session, get_gateway(), contract_id)


@job("payments.refund_second_payment")
def refund_second_payment_job(session: Session, contract_id: int, payment_intent_id: str) -> bool:
    return runner.refund_second_payment(session, get_gateway(), contract_id, payment_intent_id)
