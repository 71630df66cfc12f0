"""Money records: assistants' Stripe accounts, the append-only ledger, and processed events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contracts.models import Contract
from ..db import Base, UTCDateTime, utcnow
from ..enums import str_enum

if TYPE_CHECKING:
    from ..timesheets.models import Timesheet


class PayoutAccount(Base):
    """An assistant's Stripe Express account, as Stripe last told us about it."""

    __tablename__ = "payout_accounts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    stripe_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EntryKind(StrEnum):
    CHARGE = "charge"  # the owner paid the platform
    FEE = "fee"  # the platform's share of that charge
    TRANSFER = "transfer"  # the assistant's share left for their account
    REFUND = "refund"  # the owner got their money back
    FEE_REVERSAL = "fee_reversal"  # the platform's share of a refund, given up with it

    @property
    def label(self) -> str:
        return {
            "charge": "Payment",
            "fee": "Platform fee",
            "transfer": "Payout",
            "refund": "Refund",
            "fee_reversal": "Platform fee reversed",
        }[self.value]


class LedgerEntry(Base):
    """One money movement. Rows are only ever inserted; the unique key makes a replay a no-op."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("kind", "stripe_object_id", name="uq_ledger_entries_kind_object"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    # The week of an hourly contract this movement paid for (None: a fixed contract's money).
    timesheet_id: Mapped[int | None] = mapped_column(ForeignKey("timesheets.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "ledger_entry_kind"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_object_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)
    timesheet: Mapped[Timesheet | None] = relationship(lazy="joined")


class StripeEvent(Base):
    """Every webhook event we acted on, stored in the same transaction as its effect."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    # The contract the event was about, when it named one of ours (for its history in the
    # operator console); no foreign key: an event may name an id that is not ours.
    contract_id: Mapped[int | None] = mapped_column(Integer, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CardDisputeOutcome(StrEnum):
    WON = "won"  # decided for us in Stripe: the money stays where it went
    LOST = "lost"  # the card holder has it back; support settled with the parties
    DISMISSED = "dismissed"  # nothing to do: withdrawn by the card holder, a duplicate

    @property
    def label(self) -> str:
        return {
            "won": "Won in Stripe",
            "lost": "Lost in Stripe",
            "dismissed": "Dismissed",
        }[self.value]


class CardDispute(Base):
    """A card holder's dispute of a contract's payment (``charge.dispute.created``), as the
    event said it, and whether an operator has handled it. Its money is Stripe's to decide;
    the console lists the open ones whose payout could not be held. Who handled it, and why,
    is in the audit log."""

    __tablename__ = "card_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stripe's dp_ id; None for disputes recorded before this table (migration 0040).
    stripe_dispute_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    # What the card holder disputed, in cents (None when recorded before this table).
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(64))  # Stripe's: "fraudulent", ...
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[CardDisputeOutcome | None] = mapped_column(
        str_enum(CardDisputeOutcome, "card_dispute_outcome")
    )
    note: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)


CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}


class BillingProfile(Base):
    """An owner's Stripe Customer and the card saved on it, as Stripe last told us.

    ``card_saved_at`` is when the card was entered (Stripe's creation time of the
    PaymentMethod) and ``card_source_id`` the SetupIntent (or PaymentIntent) that saved it:
    a card is replaced only by one entered later (ties: the greater id), so a late or
    replayed webhook of an older setup never brings an old card back.
    """

    __tablename__ = "billing_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_exp_month: Mapped[int | None] = mapped_column(Integer)
    card_exp_year: Mapped[int | None] = mapped_column(Integer)
    card_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_source_id: Mapped[str | None] = mapped_column(String(255))
    # How many setup Checkout Sessions we asked Stripe for: the next one's idempotency key.
    setup_attempt: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def card_label(self) -> str:
        """What the settings page says: "Visa ending 4242, expires 12/30"."""
        brand = CARD_BRANDS.get(self.card_brand or "", (self.card_brand or "Card").title())
        return (
            f"{brand} ending {self.card_last4}, "
            f"expires {self.card_exp_month:02d}/{(self.card_exp_year or 0) % 100:02d}"
        )
