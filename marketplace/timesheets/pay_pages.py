"""A new card saved while a failed week's Stripe page is open: close the page, charge the card.

Without this the week waits for the page to expire by itself (a day: ``billing.
retry_with_new_cards`` keeps off a week whose page may still be paid, so one charge cannot
become two). The page is expired on Stripe first; only a page Stripe says is expired lets the
week be retried, at once, by the job the saved card queues. A page paid meanwhile cannot be
expired: its payment settles the week, as before.
"""

from __future__ import annotations

import stripe
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from .. import db
from ..contracts.models import Contract
from ..db import utcnow
from ..jobs import enqueue_after_commit
from ..payments.cards import on_card_saved
from ..payments.gateway import StripeGateway
from . import billing
from .models import Timesheet, TimesheetStatus
from .runner import settle


def card_saved(session: Session, owner_id: int) -> None:
    """In the transaction that stored the card: retry the owner's failed weeks once it
    commits (nothing to do for an owner with none)."""
    failed = exists().where(
        Timesheet.contract_id == Contract.id,
        Contract.owner_id == owner_id,
        Timesheet.status == TimesheetStatus.CHARGE_FAILED,
    )
    if session.scalar(select(failed)):
        enqueue_after_commit(session, "timesheets.after_new_card", owner_id)


def after_new_card(session: Session, gateway: StripeGateway, owner_id: int) -> list[int]:
    """Expire the owner's open pay pages, then charge the new card for every failed week it
    may now pay. The ids of the weeks charged again."""
    pages = session.execute(
        select(Timesheet.id, Timesheet.checkout_session_id, Timesheet.checkout_attempt)
        .join(Contract, Contract.id == Timesheet.contract_id)
        .where(
            Contract.owner_id == owner_id,
            Timesheet.status == TimesheetStatus.CHARGE_FAILED,
            Timesheet.checkout_session_id.is_not(None),
            Timesheet.on_session_at >= utcnow() - billing.CHECKOUT_LIFETIME,
        )
    ).all()
    session.rollback()  # no transaction open while Stripe answers
    for sheet_id, checkout_id, attempt in pages:
        if _expired(gateway, sheet_id, checkout_id, attempt):
            _page_closed(session, sheet_id, attempt)
            session.commit()
    retried = billing.retry_with_new_cards(session)
    session.commit()
    for sheet_id in retried:
        settle(session, gateway, sheet_id)
    return retried


def _expired(gateway: StripeGateway, sheet_id: int, checkout_id: str | None, attempt: int) -> bool:
    if checkout_id is None:
        return False
    try:
        page = gateway.expire_card_checkout(
            checkout_id, f"timesheet-{sheet_id}-checkout-{attempt}-expire"
        )
    except stripe.InvalidRequestError:  # not open any more: paid, or expired already
        page = gateway.retrieve_checkout_session(checkout_id)
    return page.status == "expired"


def _page_closed(session: Session, sheet_id: int, attempt: int) -> None:
    """The page can no longer be paid: the week may be charged off-session again (unless a
    newer page was opened since, or the week was settled meanwhile)."""
    db.rows_changed(
        session,
        update(Timesheet)
        .where(
            Timesheet.id == sheet_id,
            Timesheet.status == TimesheetStatus.CHARGE_FAILED,
            Timesheet.checkout_attempt == attempt,
        )
        .values(on_session_at=None)
        .execution_options(synchronize_session=False),
    )


on_card_saved(card_saved)
