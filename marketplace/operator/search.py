"""The console's lists: people, tasks, contracts and payments, searched simply and paged."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..accounts.models import User
from ..contracts import milestones, submissions
from ..contracts.models import Contract
from ..notifications import notices
from ..notifications.models import Notification
from ..paging import Page
from ..payments.models import LedgerEntry, StripeEvent
from ..tasks.models import Task
from ..timesheets.models import DisputeSettlement, Timesheet
from .models import AuditEntry, Resolution

PAGE_SIZE = 25
MAX_QUERY = 200


def _like(column, q: str):
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _page(session: Session, stmt: Select, page: int, size: int = PAGE_SIZE) -> Page:
    page = max(1, page)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(size).offset((page - 1) * size)))
    return Page(items=items, total=total, page=page, size=size)


def clean(q: str | None) -> str:
    return (q or "").strip()[:MAX_QUERY]


def users(session: Session, q: str, page: int = 1) -> Page[User]:
    stmt = select(User)
    if q:
        match = [_like(User.email, q), _like(User.display_name, q)]
        if q.isdigit():
            match.append(User.id == int(q))
        stmt = stmt.where(or_(*match))
    return _page(session, stmt.order_by(User.id.desc()), page)


def tasks(session: Session, q: str, page: int = 1) -> Page[Task]:
    stmt = select(Task)
    if q:
        match = [_like(Task.title, q)]
        if q.isdigit():
            match.append(Task.id == int(q))
        stmt = stmt.where(or_(*match))
    return _page(session, stmt.order_by(Task.id.desc()), page)


def contracts(session: Session, q: str, page: int = 1) -> Page[Contract]:
    """By id (digits, '#12'), or by either party's email."""
    stmt = select(Contract)
    if q:
        number = q.lstrip("#")
        owner, assistant = aliased(User), aliased(User)
        stmt = (
            stmt.join(owner, owner.id == Contract.owner_id)
            .join(assistant, assistant.id == Contract.assistant_id)
            .where(
                or_(
                    _like(owner.email, q),
                    _like(assistant.email, q),
                    *([Contract.id == int(number)] if number.isdigit() else []),
                )
            )
        )
    return _page(session, stmt.order_by(Contract.id.desc()), page)


STRIPE_ID_COLUMNS = (
    Contract.checkout_session_id,
    Contract.payment_intent_id,
    Contract.charge_id,
    Contract.transfer_id,
    Contract.refund_id,
)


def payments(session: Session, q: str, page: int = 1) -> Page[LedgerEntry]:
    """Ledger rows whose Stripe id (or whose contract's Stripe ids) contain ``q``."""
    stmt = select(LedgerEntry).join(Contract, Contract.id == LedgerEntry.contract_id)
    if q:
        stmt = stmt.where(
            or_(
                _like(LedgerEntry.stripe_object_id, q),
                *(_like(column, q) for column in STRIPE_ID_COLUMNS),
            )
        )
    return _page(session, stmt.order_by(LedgerEntry.id.desc()), page)


def audit_log(session: Session, page: int = 1, target: tuple[str, int] | None = None) -> Page:
    stmt = select(AuditEntry)
    if target is not None:
        stmt = stmt.where(AuditEntry.target_type == target[0], AuditEntry.target_id == target[1])
    return _page(session, stmt.order_by(AuditEntry.id.desc()), page)


def contract_history(session: Session, contract: Contract) -> dict:
    """Everything recorded about one contract: its ledger rows, the Stripe events applied to
    it, the emails about it, its resolutions and the operators' actions on it."""
    resolutions = list(
        session.scalars(
            select(Resolution).where(Resolution.contract_id == contract.id).order_by(Resolution.id)
        )
    )
    parts = milestones.of(session, contract.id)
    keys = [
        notices.contract_key(contract.id),
        *(notices.resolution_key(r.id) for r in resolutions),
        *submissions.object_keys(session, contract),
        *(f"milestone:{m.id}" for m in parts),
        *_hourly_keys(session, contract),
    ]
    return {
        "ledger": list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.contract_id == contract.id)
                .order_by(LedgerEntry.created_at, LedgerEntry.id)
            )
        ),
        "events": list(
            session.scalars(
                select(StripeEvent)
                .where(StripeEvent.contract_id == contract.id)
                .order_by(StripeEvent.received_at, StripeEvent.id)
            )
        ),
        "emails": list(
            session.scalars(
                select(Notification)
                .where(Notification.object_key.in_(keys))
                .order_by(Notification.created_at, Notification.id)
            )
        ),
        "resolutions": resolutions,
        "submissions": submissions.history(session, contract),
        "milestones": parts,
        "audit": audit_log(session, 1, ("contract", contract.id)).items,
    }


def _hourly_keys(session: Session, contract: Contract) -> list[str]:
    """The outbox keys of the emails about an hourly contract's weeks and their settlements."""
    if not contract.is_hourly:
        return []
    rows = session.execute(
        select(Timesheet.id, DisputeSettlement.id)
        .outerjoin(DisputeSettlement, DisputeSettlement.timesheet_id == Timesheet.id)
        .where(Timesheet.contract_id == contract.id)
    ).all()
    weeks = {f"timesheet:{sheet_id}" for sheet_id, _ in rows}
    settled = {
        key
        for _, settlement_id in rows
        if settlement_id is not None
        for key in (f"timesheet_dispute:{settlement_id}", f"timesheet_dispute:{settlement_id}:held")
    }
    return sorted(weeks | settled)
