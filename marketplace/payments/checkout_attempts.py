"""A new Stripe Checkout Session for what awaits funding (a contract paid as a whole, or one
milestone paid on its own), with no lock held while Stripe answers: claim an attempt number
(committed), ask Stripe for that attempt's session, then keep it if the attempt is still the
latest. A flow: it commits, as ``flows`` does, so that Stripe is never called in a transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from ..db import rows_changed
from ..errors import Conflict
from .gateway import StripeGateway
from .services import expire_quietly

CHECKOUT_RACED = "The contract changed while its payment page was being made. Try again."


def new_checkout(
    session: Session,
    gateway: StripeGateway,
    payable: Contract | Milestone,
    contract_id: int,
    make: Callable[[int], Any],
) -> str:
    """The URL of a new Checkout Session for ``payable`` (awaiting funding), made by
    ``make(attempt)``; a Conflict when another attempt or a state change came first (the
    session made meanwhile is expired: it must not stay payable unseen)."""
    attempt = _claim_checkout_attempt(session, payable)
    session.commit()
    made = make(attempt)
    if not _record_checkout(session, payable, attempt, made.id):
        session.rollback()
        expire_quietly(gateway, contract_id, made.id)
        raise Conflict(CHECKOUT_RACED)
    session.commit()
    return made.url


def _awaiting_funding(payable: Contract | Milestone):
    model = type(payable)
    if isinstance(payable, Contract):
        return model, Contract.status == ContractStatus.AWAITING_FUNDING
    return model, Milestone.status == MilestoneStatus.AWAITING_FUNDING


def _claim_checkout_attempt(session: Session, payable: Contract | Milestone) -> int:
    model, awaiting = _awaiting_funding(payable)
    attempt = payable.checkout_attempt + 1
    claimed = rows_changed(
        session,
        update(model)
        .where(model.id == payable.id, awaiting, model.checkout_attempt == payable.checkout_attempt)
        .values(checkout_attempt=attempt),
    )
    if not claimed:
        raise Conflict(CHECKOUT_RACED)
    return attempt


def _record_checkout(
    session: Session, payable: Contract | Milestone, attempt: int, session_id: str
) -> bool:
    model, awaiting = _awaiting_funding(payable)
    return bool(
        rows_changed(
            session,
            update(model)
            .where(model.id == payable.id, awaiting, model.checkout_attempt == attempt)
            .values(checkout_session_id=session_id, last_payment_error=None),
        )
    )
