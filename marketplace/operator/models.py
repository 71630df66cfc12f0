"""What operators did (the append-only audit log) and the disputes they settled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum


class AuditEntry(Base):
    """One operator action: who, when, what, on what, and why. Rows are only ever inserted.

    Written in the transaction of the action itself, so an action without its row (or a row
    without its action) cannot commit. The ORM refuses to update or delete a row (below), and
    on PostgreSQL a trigger refuses it for any SQL (migration 0012_operator).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for the command line (`flask operator grant`), which has no operator account.
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    operator: Mapped[User | None] = relationship(lazy="joined")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(_mapper, _connection, entry: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit_log row {entry.id} cannot be changed or deleted")


class Outcome(StrEnum):
    RELEASE = "release"  # everything to the assistant
    REFUND = "refund"  # refund_cents to the owner (all of it or part), the rest to the assistant


class ResolutionStatus(StrEnum):
    SETTLING = "settling"  # decided and committed; Stripe's part not (yet) done
    SETTLED = "settled"


class Resolution(Base):
    """An operator's decision on a dispute, and how far its money has moved.

    The subject is what was disputed: today a whole contract ("contract", its id); disputed
    timesheet entries and milestones plug in as other subject types on the same contract
    (``operator.services.SUBJECTS``). One resolution per subject, by a unique key.
    """

    __tablename__ = "dispute_resolutions"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", name="uq_dispute_resolutions_subject"),
        CheckConstraint("refund_cents >= 0 AND transfer_cents >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "resolution_outcome"))
    refund_cents: Mapped[int] = mapped_column(Integer)  # to the owner
    transfer_cents: Mapped[int] = mapped_column(Integer)  # to the assistant
    note: Mapped[str] = mapped_column(Text)  # what both parties are told
    status: Mapped[ResolutionStatus] = mapped_column(
        str_enum(ResolutionStatus, "resolution_status"), default=ResolutionStatus.SETTLING
    )
    refund_id: Mapped[str | None] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    operator: Mapped[User] = relationship(lazy="joined", innerjoin=True)
