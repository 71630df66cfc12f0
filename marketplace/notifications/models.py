"""The notification outbox, people's email preferences, and the local mail outbox.

A notification row is written in the same transaction as the event that causes it; its
unique (user, kind, object) key makes a second trigger for the same event a no-op, so an
email can neither be lost (the row commits or the event does not happen) nor sent twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum


class Kind(StrEnum):
    NEW_MATCH = "new_match"  # to an assistant: a new job matches you
    RECOMMENDATIONS = "recommendations"  # to an owner: assistants recommended for your task
    INVITATION = "invitation"  # to an assistant: an owner invites you to apply
    NEW_PROPOSAL = "new_proposal"  # to an owner: an assistant applied to your task
    DAILY_DIGEST = "daily_digest"  # one email bundling a day's digest notifications
    CONTRACT_FUNDED = "contract_funded"  # to both parties: the money is held, work can start
    PAYMENT_SENT = "payment_sent"  # to the assistant: their share was transferred
    REFUND_ISSUED = "refund_issued"  # to the owner: their payment came back
    INVITATION_ACCEPTED = "invitation_accepted"  # to the owner: fund the contract to start
    WORK_SUBMITTED = "work_submitted"  # to the owner: review the work and approve it
    CONTRACT_CANCELLED = "contract_cancelled"  # to the assistant: stop work on it
    SIGNUP_CONFIRMATION = "signup_confirmation"  # to a new address: follow the link to finish
    ACCOUNT_EXISTS = "account_exists"  # to a confirmed account: someone signed up as you
    PASSWORD_RESET = "password_reset"  # to an account's address: the link to choose a password
    PASSWORD_CHANGED = "password_changed"  # to an account's address: its password was changed
    EMAIL_CHANGE_CONFIRM = "email_change_confirm"  # to a new address: confirm it is yours
    EMAIL_CHANGE_REQUESTED = "email_change_requested"  # to the old address: a move was asked
    EMAIL_CHANGED = "email_changed"  # to the old address: the account moved to the new one
    NEW_MESSAGES = "new_messages"  # to either party: unread messages in a conversation
    DISPUTE_RESOLVED = "dispute_resolved"  # to both parties: an operator settled the money
    TIMESHEET_READY = "timesheet_ready"  # to the owner: a week closed, review it
    REVIEW_CLOSING = "review_closing"  # to the owner: the week is approved automatically tomorrow
    TIMESHEET_APPROVED = "timesheet_approved"  # to the assistant: approved (or automatically)
    CHARGE_FAILED = "charge_failed"  # to both: the owner's card could not pay for a week
    TIMESHEET_PAID = "timesheet_paid"  # to the assistant: their share of a week was sent
    TIMESHEET_CHARGED = "timesheet_charged"  # to the owner: the receipt for a week they paid
    CONTRACT_PAUSED = "contract_paused"  # to the assistant: stop logging time for now
    CONTRACT_ENDED = "contract_ended"  # to the other party: an hourly contract ended
    REVIEW_REQUESTED = "review_requested"  # to both parties: the contract ended, review it
    REVIEW_RECEIVED = "review_received"  # to the reviewed party: a review of you is visible
    CHANGES_REQUESTED = "changes_requested"  # to the assistant: the owner asks for changes
    RELEASE_REMINDER = "release_reminder"  # to the owner: unanswered work is released soon
    WORK_RELEASED = "work_released"  # to both: no answer in time, so approved automatically
    # To both: an operator settled a week's disputed time (paid for, or the dispute upheld).
    TIMESHEET_DISPUTE_SETTLED = "time_dispute_settled"
    # To the owner: their card could not pay for disputed time an operator decided to pay.
    SETTLEMENT_CHARGE_FAILED = "settlement_charge_failed"
    PROPOSAL_DECLINED = "proposal_declined"  # to the assistant: the owner declined, maybe why
    # To a reporter: an operator handled their report (never what happened to the other person).
    REPORT_HANDLED = "report_handled"
    # To the assistant: the owner disputed entries of a week (which, and why); the rest is billed.
    TIMESHEET_DISPUTED = "timesheet_disputed"
    # To the assistant: the owner's payment for a week was disputed (or refunded) in Stripe,
    # so its payout waits for Delegate's support.
    PAYOUT_HELD = "payout_held"


# Account emails that anybody who types an address can cause (or, for a new address, anybody
# logged in): at most a few per account and hour (notices.ACCOUNT_EMAILS_PER_HOUR), so our
# forms cannot be used to flood somebody's inbox.
ACCOUNT_LINK_KINDS = frozenset(
    {Kind.SIGNUP_CONFIRMATION, Kind.ACCOUNT_EXISTS, Kind.PASSWORD_RESET, Kind.EMAIL_CHANGE_CONFIRM}
)
# Telling an account's own address what changed on it: never held back by that limit, or
# whoever used it up could change the account unseen.
ACCOUNT_NOTICE_KINDS = frozenset(
    {Kind.PASSWORD_CHANGED, Kind.EMAIL_CHANGE_REQUESTED, Kind.EMAIL_CHANGED}
    # Where a party's money went, in an operator's words, and a card that could not pay for
    # work already done: not news one can opt out of.
    | {Kind.DISPUTE_RESOLVED, Kind.CHARGE_FAILED}
    | {Kind.TIMESHEET_DISPUTE_SETTLED, Kind.SETTLEMENT_CHARGE_FAILED}
    # Pay an assistant was counting on, withheld: they must hear of it whatever they chose.
    | {Kind.PAYOUT_HELD}
)
# About the account itself, not news: sent whatever the email preferences say, right away,
# and without an unsubscribe link (turning them off would lock people out).
ACCOUNT_KINDS = ACCOUNT_LINK_KINDS | ACCOUNT_NOTICE_KINDS
# What the bell and the notifications page show: news about work and money. Not links that
# belong in a mailbox, notices about the account's own address, nor the digest (its rows are
# listed themselves).
IN_APP_KINDS = frozenset(Kind) - ACCOUNT_LINK_KINDS - ACCOUNT_NOTICE_KINDS - {Kind.DAILY_DIGEST}
# Money news is news in the app too.
IN_APP_KINDS |= {
    Kind.DISPUTE_RESOLVED,
    Kind.CHARGE_FAILED,
    Kind.TIMESHEET_DISPUTE_SETTLED,
    Kind.SETTLEMENT_CHARGE_FAILED,
    Kind.PAYOUT_HELD,
}


class Channel(StrEnum):
    INSTANT = "instant"
    DIGEST = "digest"


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DIGESTED = "digested"  # bundled into a daily digest notification
    SKIPPED = "skipped"  # turned off, unsubscribed, or no longer relevant when due
    FAILED = "failed"  # gave up after the last attempt; `flask notifications retry-failed`


class Frequency(StrEnum):
    INSTANT = "instant"
    DAILY = "daily"
    OFF = "off"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "object_key", name="uq_notifications_user_kind_object"),
        # The sender's query: due pending rows in order.
        Index("ix_notifications_due", "status", "channel", "next_attempt_at"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind, "notification_kind"))
    object_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "notification_channel"))
    status: Mapped[Status] = mapped_column(
        str_enum(Status, "notification_status"), default=Status.PENDING
    )
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A sender's lease: rows are claimed before the (slow) SMTP conversation, not locked during it.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Which sender run holds the lease: a row is sent only by the run whose token it carries.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # In the app, whatever the email preferences: set when the person opens the list.
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class NotificationPreference(Base):
    """Absent row = defaults (instant, DEFAULT_MIN_MATCH_SCORE)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[Frequency] = mapped_column(
        str_enum(Frequency, "notification_frequency"), default=Frequency.INSTANT
    )
    min_match_score: Mapped[float] = mapped_column(Float, default=0.4)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class LocalEmail(Base):
    """Mail "sent" when no SMTP server is configured, readable at /dev/outbox in demo mode."""

    __tablename__ = "local_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), unique=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
