"""Contracts: an agreed piece of work at an agreed price, and the money's journey through it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from ..tasks.models import Task


class ContractKind(StrEnum):
    FIXED = "fixed"  # hours agreed up front, paid in advance, held until the owner approves
    HOURLY = "hourly"  # a rate and a weekly limit; each week's approved timesheet is charged

    @property
    def label(self) -> str:
        return {"fixed": "Fixed price", "hourly": "Hourly"}[self.value]


class ContractStatus(StrEnum):
    AWAITING_FUNDING = "awaiting_funding"
    FUNDED = "funded"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # the owner released the money; the transfer may still be pending
    PAID = "paid"  # the assistant's share has been transferred
    CANCELLED = "cancelled"  # a funded contract waits here for Stripe to confirm the refund
    REFUNDED = "refunded"
    # Hourly contracts: time is logged while active; paused by the owner, or ended by either
    # side (time already logged still goes through review and billing).
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


# The owner's payment is held for these: funded, and neither paid out nor refunded yet.
MONEY_HELD = (ContractStatus.FUNDED, ContractStatus.SUBMITTED, ContractStatus.APPROVED)
# Contracts that ended without work being paid for: the proposal can be hired again.
ENDED_UNPAID = (ContractStatus.CANCELLED, ContractStatus.REFUNDED)
# Contracts whose work (or money) is still to come: a task is done only when none is left.
UNDER_WAY = (
    ContractStatus.AWAITING_FUNDING,
    ContractStatus.FUNDED,
    ContractStatus.SUBMITTED,
    ContractStatus.ACTIVE,
    ContractStatus.PAUSED,
)
_ACTIVE = text("status NOT IN ('cancelled', 'refunded')")

STATUS_LABELS = {
    ContractStatus.AWAITING_FUNDING: "Awaiting funding",
    ContractStatus.FUNDED: "Funded: work can start",
    ContractStatus.SUBMITTED: "Work submitted for approval",
    ContractStatus.APPROVED: "Approved: payout pending",
    ContractStatus.PAID: "Paid out",
    ContractStatus.CANCELLED: "Cancelled",
    ContractStatus.REFUNDED: "Refunded",
    ContractStatus.ACTIVE: "Active: time is billed weekly",
    ContractStatus.PAUSED: "Paused by the owner",
    ContractStatus.ENDED: "Ended",
}
HOURLY_STATUSES = (ContractStatus.ACTIVE, ContractStatus.PAUSED, ContractStatus.ENDED)


class Contract(Base):
    __tablename__ = "contracts"
    # funded_per_milestone is read back when first used, not by RETURNING at insert: a row
    # written at an older schema (the migration tests') has no such column yet.
    __mapper_args__ = {"eager_defaults": False}
    __table_args__ = (
        CheckConstraint("hours > 0", name="positive_hours"),
        CheckConstraint("rate_cents > 0", name="positive_rate"),
        # A fixed contract's price is agreed up front; an hourly one's is what each week's
        # approved timesheet comes to (``timesheets``), so it has no total of its own.
        CheckConstraint(
            "(kind = 'fixed' AND total_cents = hours * rate_cents AND fee_cents >= 0"
            " AND fee_cents <= total_cents)"
            " OR (kind = 'hourly' AND total_cents = 0 AND fee_cents = 0 AND fee_bps IS NOT NULL)",
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
    kind: Mapped[ContractKind] = mapped_column(
        str_enum(ContractKind, "contract_kind"),
        default=ContractKind.FIXED,
        server_default=ContractKind.FIXED.value,
    )
    # Fixed: the hours agreed. Hourly: the most hours a week the assistant may log.
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
    # Hourly contracts only: the last day time may be logged for (None: open-ended), when the
    # owner paused it, and when either side ended it.
    # Hourly: the platform's share of each week's charge, in basis points, as agreed at hire.
    fee_bps: Mapped[int | None] = mapped_column(Integer)
    ends_on: Mapped[date | None] = mapped_column(Date)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Fixed, hired in two milestones or more: each milestone is paid for on its own, when its
    # turn comes (``payments.milestone_funding``); the contract's own payment columns stay
    # empty. False: the whole price is paid at hire and held (every contract hired before).
    # No Python default: a row written without it leaves it to the database.
    funded_per_milestone: Mapped[bool] = mapped_column(Boolean, server_default=false())

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    assistant: Mapped[User] = relationship(
        foreign_keys=[assistant_id], lazy="joined", innerjoin=True
    )
    # Read-only, loaded when asked for (the API's contract); milestones.of is the query.
    milestones: Mapped[list[Milestone]] = relationship(
        viewonly=True, order_by="Milestone.number", lazy="select"
    )

    @property
    def is_hourly(self) -> bool:
        return self.kind == ContractKind.HOURLY

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


class MilestoneStatus(StrEnum):
    """Where one milestone of a fixed contract is. Where the whole price is paid at hire,
    funding, cancelling and refunding move every milestone with the contract
    (``milestones.follow_contract``); where each is funded on its own
    (``Contract.funded_per_milestone``), funding and refunding move one too, as submitting,
    approving and paying out always do."""

    AWAITING_FUNDING = "awaiting_funding"
    FUNDED = "funded"  # the money is held; the assistant works on it (or will, in turn)
    SUBMITTED = "submitted"
    APPROVED = "approved"  # released by the owner or the clock; its transfer may be pending
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self]


MILESTONE_LABELS = {
    MilestoneStatus.AWAITING_FUNDING: "Awaiting funding",
    MilestoneStatus.FUNDED: "Funded",
    MilestoneStatus.SUBMITTED: "Submitted for approval",
    MilestoneStatus.APPROVED: "Approved: payout pending",
    MilestoneStatus.PAID: "Paid out",
    MilestoneStatus.CANCELLED: "Cancelled",
    MilestoneStatus.REFUNDED: "Refunded",
}
MAX_MILESTONES = 10
MILESTONE_TITLE_MAX = 120


class Milestone(Base):
    """One part of a fixed contract's price: its own delivery, approval and payout. The
    amounts of a contract's milestones add up to its total and their fee shares to its fee,
    to the cent (``milestones.plan``); number 1 is worked on first."""

    __tablename__ = "milestones"
    __table_args__ = (
        UniqueConstraint("contract_id", "number", name="uq_milestones_contract_number"),
        CheckConstraint("amount_cents > 0", name="positive_amount"),
        CheckConstraint("fee_cents >= 0 AND fee_cents <= amount_cents", name="sane_fee"),
        CheckConstraint("number BETWEEN 1 AND 10", name="sane_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(MILESTONE_TITLE_MAX))
    amount_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[MilestoneStatus] = mapped_column(
        str_enum(MilestoneStatus, "milestone_status"), default=MilestoneStatus.AWAITING_FUNDING
    )
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Its own payment, when its contract is funded per milestone (else the contract's is).
    checkout_attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    last_payment_error: Mapped[str | None] = mapped_column(Text)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.fee_cents


class SubmissionAnswer(StrEnum):
    APPROVED = "approved"  # by the owner, or automatically once the release window ran out
    CHANGES_REQUESTED = "changes_requested"  # back to the assistant, with the owner's note


NOTE_MAX = 2000  # a submission's note and an owner's change request, in characters
_UNANSWERED = text("answer IS NULL")


class Submission(Base):
    """One delivery of the work for the owner's answer: what the assistant says was delivered,
    and the owner's answer (approved, or changes requested with a note). A fixed contract is
    split into milestones, worked on in turn; a submission delivers one (``milestone_id``).
    Submissions are numbered 1, 2, ... per contract, across its milestones, and only the
    newest can be waiting for an answer."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("contract_id", "number", name="uq_submissions_contract_number"),
        # At most one submission of a contract waits for the owner: a second submit racing the
        # first is refused by the database as well as by the contract's compare-and-set.
        Index(
            "uq_submissions_one_waiting",
            "contract_id",
            unique=True,
            sqlite_where=_UNANSWERED,
            postgresql_where=_UNANSWERED,
        ),
        # The release job's query: unanswered submissions whose window has run out.
        Index("ix_submissions_release_due", "answer", "release_due_at"),
        CheckConstraint(
            "(answer IS NULL AND answered_at IS NULL AND NOT auto_released)"
            " OR (answer = 'approved' AND answered_at IS NOT NULL)"
            " OR (answer = 'changes_requested' AND answered_at IS NOT NULL"
            " AND answer_note IS NOT NULL AND NOT auto_released)",
            name="consistent_answer",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"))
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    # Plain text as written (escaped, links made clickable, when shown). Empty only for work
    # submitted before Delegate asked for a note.
    note: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # With no answer by then, the work is approved and paid out automatically. Fixed when
    # submitted (what the emails promised), whatever AUTO_RELEASE_DAYS says later.
    release_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[SubmissionAnswer | None] = mapped_column(
        str_enum(SubmissionAnswer, "submission_answer")
    )
    answer_note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    auto_released: Mapped[bool] = mapped_column(Boolean, default=False)

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)
    milestone: Mapped[Milestone] = relationship(lazy="joined", innerjoin=True)

    @property
    def waiting(self) -> bool:
        return self.answer is None and self.contract.status == ContractStatus.SUBMITTED


def hired_count(task_id: int) -> Select[int]:
    """How many of the task's openings its contracts hold: all but those that ended unpaid
    (a cancelled or refunded contract frees its opening for another hire)."""
    return (
        select(func.count())
        .select_from(Contract)
        .where(Contract.task_id == task_id, Contract.status.not_in(ENDED_UNPAID))
    )
