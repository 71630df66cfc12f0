"""Proposals: an assistant's application to a task."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from ..tasks.models import Task


class ProposalStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    ACCEPTED = "accepted"


# A proposal is sent at most twice: once, and once more after a withdrawal.
MAX_SUBMISSIONS = 2


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        # One application per assistant per task, enforced where races cannot slip past it.
        UniqueConstraint("task_id", "assistant_id", name="uq_proposals_task_assistant"),
        CheckConstraint("proposed_rate_cents > 0", name="positive_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    assistant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    cover_note: Mapped[str] = mapped_column(Text)
    proposed_rate_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "proposal_status"), default=ProposalStatus.SUBMITTED
    )
    # Counts submissions: a withdrawn proposal sent again is a new notice for the owner, and
    # it can be sent again only once (MAX_SUBMISSIONS).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The owner's short list; cleared when they take it off, kept (as history) once answered.
    shortlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The assistant's last change of note or rate, shown to the owner beside the proposal.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)
    assistant: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @property
    def can_be_sent_again(self) -> bool:
        return self.status == ProposalStatus.WITHDRAWN and self.revision < MAX_SUBMISSIONS

    @property
    def is_last_chance(self) -> bool:
        """Sent again after a withdrawal: withdrawing it now is final."""
        return self.revision >= MAX_SUBMISSIONS
