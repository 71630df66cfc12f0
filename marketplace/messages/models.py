"""A conversation per (task, assistant), its messages, and reports of messages.

Who has read what is a pointer per party on the conversation (the id of the last message
each has seen): unread = the other party's messages after it. Two parties only, so two
columns beat a table of read marks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum
from ..reports.models import ReportOutcome
from ..tasks.models import Task


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # One conversation per assistant per task, however it was opened and by whom.
        UniqueConstraint("task_id", "assistant_id", name="uq_conversations_task_assistant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assistant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The newest message (no foreign key: messages point here, and one way is enough).
    last_message_id: Mapped[int | None] = mapped_column(Integer)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner_read_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    assistant_read_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    assistant: Mapped[User] = relationship(
        foreign_keys=[assistant_id], lazy="joined", innerjoin=True
    )

    def is_party(self, user_id: int) -> bool:
        return user_id in (self.owner_id, self.assistant_id)

    def other_party(self, user_id: int) -> User:
        return self.assistant if user_id == self.owner_id else self.owner

    def read_id_of(self, user_id: int) -> int:
        return self.owner_read_id if user_id == self.owner_id else self.assistant_read_id


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A conversation's messages in order, and "after id N" for the page's polling.
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # The per-sender rate limit counts a sender's recent messages.
        Index("ix_messages_sender_id_created_at", "sender_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Stored exactly as written; escaped (and links made) only when shown.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Hidden by an operator (a report upheld): the parties see a note instead of the text and
    # files; the row stays, for the operators and the sender's own export.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sender: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    # Loaded with selectinload where messages are listed; attachments.py adds them.
    attachments: Mapped[list[MessageAttachment]] = relationship(
        order_by="MessageAttachment.id", viewonly=True
    )


class MessageAttachment(Base):
    """A file sent with a message. The bytes are in storage under ``storage_key`` (random);
    ``filename`` is the sender's name for it, cleaned for display (file_types.clean_name)."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageReport(Base):
    """Somebody reported a message to the operators: open until an operator closes it
    (``reports.services``), with the outcome and who closed it."""

    __tablename__ = "message_reports"
    __table_args__ = (
        # Reporting the same message twice records it once.
        UniqueConstraint("message_id", "reporter_id", name="uq_message_reports_message_reporter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by an operator once handled; open reports have none.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[ReportOutcome | None] = mapped_column(
        str_enum(ReportOutcome, "message_report_outcome")
    )

    message: Mapped[Message] = relationship(lazy="joined", innerjoin=True)
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="joined", innerjoin=True)
