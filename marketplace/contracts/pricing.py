"""What the owner pays, what the platform keeps, what the assistant receives: integer cents."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    total_cents: int
    fee_cents: int
    currency: str

    @property
    def net_cents(self) -> int:
        return self.total_cents - self.fee_cents


def share_of(amount_cents: int, part: int, whole: int) -> int:
    """``amount_cents * part / whole`` rounded half up to a whole cent: the one rounding rule
    for the platform's fee, when it is charged and when a refund gives a share of it back."""
    return (2 * amount_cents * part + whole) // (2 * whole)


def price_for(hours: int, rate_cents: int, fee_bps: int, currency: str) -> Price:
    """The fee is a share of the total in basis points, rounded half up to a whole cent."""
    if hours <= 0 or rate_cents <= 0:
        raise ValueError("hours and rate must be positive")
    if not 0 <= fee_bps <= 10_000:
        raise ValueError("fee must be between 0% and 100%")
    total = hours * rate_cents
    fee = share_of(total, fee_bps, 10_000)
    return Price(total_cents=total, fee_cents=fee, currency=currency)
