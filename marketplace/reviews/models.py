"""A review: one party's rating (1-5) and words about the other, after their contract ended.

Double-blind: ``visible_from`` is when the other party (and, for an assistant, the public) may
read it. It is written as the review window's close and moved to "now" once both parties have
written, so every page decides visibility from the clock alone, with no job in the way.
``revealed_at`` records that the reveal was acted on (the subject told, the assistant's
rating recomputed, the matcher re-ranking): at once when both have written, otherwise by the
periodic ``reviews.reveal_due`` job a few minutes after the window closes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..contracts.models import Contract
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum

MAX_BODY = 2000


class Side(StrEnum):
    """Which party of the contract wrote the review."""

    OWNER = "owner"  # the owner reviewing the assistant: feeds the assistant's rating
    ASSISTANT = "assistant"  # the assistant reviewing the owner: shown on the owner's tasks


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # One review per side per contract: a double submit or two racing posts leave one row.
        UniqueConstraint("contract_id", "author_side", name="uq_reviews_contract_side"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),
        CheckConstraint("author_id <> subject_id", name="not_about_oneself"),
        # A person's visible reviews, newest first (profile, owner's line on tasks).
        Index("ix_reviews_subject_visible", "subject_id", "visible_from"),
        # The reveal job's query: visible but not yet acted on.
        Index("ix_reviews_unrevealed", "revealed_at", "visible_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    author_side: Mapped[Side] = mapped_column(str_enum(Side, "review_side"))
    rating: Mapped[int] = mapped_column(Integer)
    # Stored as written; escaped when shown.
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    visible_from: Mapped[datetime] = mapped_column(UTCDateTime())
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined", innerjoin=True)
    subject: Mapped[User] = relationship(foreign_keys=[subject_id], lazy="joined", innerjoin=True)

    def is_visible(self, now: datetime) -> bool:
        return self.visible_from <= now
