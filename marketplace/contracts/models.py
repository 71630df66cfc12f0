"""Contracts: an agreed piece of work at an agreed price, and the money's journey through it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from ..tasks.models import Task


class ContractStatus(StrEnum):
    AWAITING_FUNDING = "awaiting_funding"
    FUNDED = "funded"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # the owner released the money; the transfer may still be pending
    PAID = "paid"  # the assistant's share has been transferred
    CANCELLED = "cancelled"  # a funded contract waits here for Stripe to confirm the refund
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


# The owner's payment is held for these: funded, and neither paid out nor refunded yet.
MONEY_HELD = (ContractStatus.FUNDED, ContractStatus.SUBMITTED, ContractStatus.APPROVED)
# Contracts that ended without work being paid for: the proposal can be hired again.
ENDED_UNPAID = (ContractStatus.CANCELLED, ContractStatus.REFUNDED)
_ACTIVE = text("status NOT IN ('cancelled', 'refunded')")

STATUS_LABELS = {
    ContractStatus.AWAITING_FUNDING: "Awaiting funding",
    ContractStatus.FUNDED: "Funded: work can start",
    ContractStatus.SUBMITTED: "Work submitted for approval",
    ContractStatus.APPROVED: "Approved: payout pending",
    ContractStatus.PAID: "Paid out",
    ContractStatus.CANCELLED: "Cancelled",
    ContractStatus.REFUNDED: "Refunded",
}


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("hours > 0", name="positive_hours"),
        CheckConstraint("rate_cents > 0", name="positive_rate"),
        CheckConstraint(
            "total_cents = hours * rate_cents AND fee_cents >= 0 AND fee_cents <= total_cents",
            name="consistent_amounts",
        ),
        # One live contract per proposal: hiring the same proposal twice is refused by the
        # database, yet an assistant whose contract was cancelled can be hired again.
        Index(
            "uq_contracts_active_proposal",
            "proposal_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    assistant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
    hours: Mapped[int] = mapped_column(Integer)
    rate_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[ContractStatus] = mapped_column(
        str_enum(ContractStatus, "contract_status"), default=ContractStatus.AWAITING_FUNDING
    )
    checkout_attempt: Mapped[int] = mapped_column(Integer, default=0)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    last_payment_error: Mapped[str | None] = mapped_column(Text)
    # Why the assistant's payout cannot go out on approval (a dispute, a refund made outside
    # Delegate); set from Stripe's word by a webhook or the reconcile command.
    payout_hold: Mapped[str | None] = mapped_column(Text)
    # When an operator began settling this contract (operator.services.resolve): from then on
    # only the operator's settlement moves it. Set by a compare-and-set, at most once.
    resolution_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    assistant: Mapped[User] = relationship(
        foreign_keys=[assistant_id], lazy="joined", innerjoin=True
    )

    @property
    def net_cents(self) -> int:
        return self.total_cents - self.fee_cents

    @property
    def transfer_group(self) -> str:
        return f"contract-{self.id}"

    @property
    def frozen_reason(self) -> str | None:
        """Why the parties cannot change this contract now, or None when they can."""
        if self.resolution_started_at is not None:
            return "Delegate's support is settling this contract; its parties cannot change it."
        if self.owner.is_suspended or self.assistant.is_suspended:
            return (
                "This contract is frozen while Delegate's support reviews one of its parties; "
                "support will settle it."
            )
        return None

    def party(self, user: User) -> str | None:
        if user.id == self.owner_id:
            return "owner"
        if user.id == self.assistant_id:
            return "assistant"
        return None
