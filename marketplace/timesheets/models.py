"""An hourly contract's weeks (timesheets) and the days of work logged in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..contracts.models import Contract
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from .weeks import week_end


class TimesheetStatus(StrEnum):
    OPEN = "open"  # the week is running: the assistant logs and edits time
    IN_REVIEW = "in_review"  # the week closed: the owner approves or disputes until review_due_at
    APPROVED = "approved"  # by the owner or automatically: to be charged to the owner's card
    CHARGE_FAILED = "charge_failed"  # the card was declined or needs the owner to authenticate
    CHARGED = "charged"  # the owner paid: the assistant's share is to be transferred
    PAID = "paid"  # the assistant's share left for their Stripe account
    NOTHING_DUE = "nothing_due"  # closed or approved with no billable time

    @property
    def label(self) -> str:
        return TIMESHEET_LABELS[self]


TIMESHEET_LABELS = {
    TimesheetStatus.OPEN: "This week: time can be logged",
    TimesheetStatus.IN_REVIEW: "Waiting for the owner's review",
    TimesheetStatus.APPROVED: "Approved: charging the owner's card",
    TimesheetStatus.CHARGE_FAILED: "Payment failed",
    TimesheetStatus.CHARGED: "Paid by the owner: payout pending",
    TimesheetStatus.PAID: "Paid out",
    TimesheetStatus.NOTHING_DUE: "Nothing to bill",
}


class Timesheet(Base):
    """One week of an hourly contract, created when its first entry is logged."""

    __tablename__ = "timesheets"
    __table_args__ = (
        UniqueConstraint("contract_id", "week_start", name="uq_timesheets_contract_week"),
        CheckConstraint(
            "amount_cents IS NULL OR (amount_cents >= 0 AND fee_cents >= 0"
            " AND fee_cents <= amount_cents)",
            name="consistent_amounts",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    week_start: Mapped[date] = mapped_column(Date)  # a Monday
    status: Mapped[TimesheetStatus] = mapped_column(
        str_enum(TimesheetStatus, "timesheet_status"), default=TimesheetStatus.OPEN, index=True
    )
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once, on approval: what the owner is charged, from the undisputed minutes.
    approved_minutes: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    fee_cents: Mapped[int | None] = mapped_column(Integer)
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Each charge attempt has its own idempotency key (timesheet-12-charge-1, -2, ...): a retry
    # of one attempt gets Stripe's first answer back, a new card gets a new attempt.
    charge_attempt: Mapped[int] = mapped_column(Integer, default=0)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_payment_error: Mapped[str | None] = mapped_column(Text)
    # The saved card that failed: a different one saved since means the charge is tried again.
    failed_payment_method: Mapped[str | None] = mapped_column(String(255))
    # When the owner last opened Stripe's page to pay a failed week on-session, and how many
    # such pages were opened (each its own idempotency key). While one may still be paid, the
    # week is not also retried off-session.
    on_session_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkout_attempt: Mapped[int] = mapped_column(Integer, default=0)
    # That page's Checkout Session: expired when the owner saves a new card meanwhile, so the
    # new card is charged at once instead of a day later (billing.close_pay_pages).
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Why the assistant's share cannot go out: the owner's payment was refunded or disputed
    # outside Delegate (Stripe's dashboard, the card issuer). Delegate's support settles it.
    payout_hold: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)
    entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="timesheet", order_by="(TimeEntry.work_date, TimeEntry.id)"
    )

    @property
    def week_end(self) -> date:
        return week_end(self.week_start)

    @property
    def logged_minutes(self) -> int:
        return sum(e.minutes for e in self.entries)

    @property
    def bill(self) -> tuple[int, int, int] | None:
        """(amount, fee, net) in cents once the week is billed (approved or later), else None."""
        amount, fee = self.amount_cents, self.fee_cents
        if amount is None or fee is None:
            return None
        return amount, fee, amount - fee

    @property
    def net_cents(self) -> int | None:
        """The assistant's share, for pages that show a dash before the week is billed."""
        bill = self.bill
        return None if bill is None else bill[2]

    @property
    def billed(self) -> tuple[int, int, int]:
        """``bill`` where the week must have been billed: asking before is a bug, not a zero."""
        bill = self.bill
        if bill is None:
            raise ValueError(f"timesheet {self.id} is {self.status}: it has not been billed")
        return bill


class TimeEntry(Base):
    """Time the assistant worked on one day (their calendar date), with what they did."""

    __tablename__ = "time_entries"
    __table_args__ = (CheckConstraint("minutes BETWEEN 1 AND 1440", name="minutes_in_a_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    timesheet_id: Mapped[int] = mapped_column(
        ForeignKey("timesheets.id", ondelete="CASCADE"), index=True
    )
    work_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    memo: Mapped[str] = mapped_column(String(300))
    # The owner's reason when they disputed this entry: it is not charged with the week.
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    # The operator's decision on it (alone, or with the week's other disputed entries); set
    # once, by the compare-and-set that claims the entry for that decision.
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("timesheet_dispute_settlements.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    timesheet: Mapped[Timesheet] = relationship(back_populates="entries")
    settlement: Mapped[DisputeSettlement | None] = relationship(
        back_populates="entries", lazy="joined"
    )


class SettlementOutcome(StrEnum):
    PAY = "pay"  # the owner pays for all or part of the disputed minutes
    UPHOLD = "uphold"  # the dispute stands: nothing is charged


class SettlementStatus(StrEnum):
    CHARGING = "charging"  # decided and committed: the owner's card is to be charged
    CHARGE_FAILED = "charge_failed"  # declined: waits for a new card and an operator's retry
    CHARGED = "charged"  # the owner paid: the assistant's share is to be transferred
    SETTLED = "settled"  # done (an upheld dispute is settled when decided)

    @property
    def label(self) -> str:
        return SETTLEMENT_LABELS[self]


SETTLEMENT_LABELS = {
    SettlementStatus.CHARGING: "Decided: charging the owner's card",
    SettlementStatus.CHARGE_FAILED: "Decided: the owner's card was declined",
    SettlementStatus.CHARGED: "Paid by the owner: payout pending",
    SettlementStatus.SETTLED: "Settled",
}


class DisputeSettlement(Base):
    """An operator's decision on disputed time of one week (one entry, or all of the week's
    disputed entries not yet decided), and how far its money has moved."""

    __tablename__ = "timesheet_dispute_settlements"
    __table_args__ = (
        CheckConstraint(
            "minutes >= 0 AND amount_cents >= 0 AND fee_cents >= 0 AND fee_cents <= amount_cents"
            " AND (outcome = 'pay' OR (minutes = 0 AND amount_cents = 0))",
            name="consistent_amounts",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    timesheet_id: Mapped[int] = mapped_column(
        ForeignKey("timesheets.id", ondelete="RESTRICT"), index=True
    )
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    outcome: Mapped[SettlementOutcome] = mapped_column(
        str_enum(SettlementOutcome, "settlement_outcome")
    )
    minutes: Mapped[int] = mapped_column(Integer)  # of the disputed time, paid for
    amount_cents: Mapped[int] = mapped_column(Integer)  # charged to the owner
    fee_cents: Mapped[int] = mapped_column(Integer)  # of which Delegate's fee
    note: Mapped[str] = mapped_column(Text)  # what both parties are told
    status: Mapped[SettlementStatus] = mapped_column(
        str_enum(SettlementStatus, "settlement_status"), index=True
    )
    # As a week's: a new card gets a new attempt, and so a new idempotency key.
    charge_attempt: Mapped[int] = mapped_column(Integer, default=0)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # As a week's: the owner's settlement payment was refunded or disputed outside Delegate,
    # so the assistant's share must not go out; Delegate's support settles it.
    payout_hold: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    timesheet: Mapped[Timesheet] = relationship(lazy="joined", innerjoin=True)
    operator: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="settlement", order_by="(TimeEntry.work_date, TimeEntry.id)"
    )

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.fee_cents

    @property
    def disputed_minutes(self) -> int:
        return sum(e.minutes for e in self.entries)
