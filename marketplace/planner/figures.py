"""The plan's arithmetic: per month, in integer cents, with the platform fee.

One conversion between weeks and months, stated here once: a month is 52/12 weeks
(``per_month``). Every weekly figure (hours, cents) becomes monthly through it, rounded by
the platform's one rounding rule (``share_of``, half up).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..contracts.pricing import share_of
from .market import MarketRange
from .models import Period, PlanItem

WEEKS_PER_YEAR, MONTHS_PER_YEAR = 52, 12
WEEKS_PER_MONTH_TEXT = "a month is 52/12 ≈ 4.33 weeks"


def per_month(amount: int, period: Period) -> int:
    """A weekly amount (cents, or tenths of an hour) as a monthly one; monthly ones as they are."""
    if period == Period.MONTH:
        return amount
    return share_of(amount, WEEKS_PER_YEAR, MONTHS_PER_YEAR)


def weekly_hours(hours: int, period: Period) -> int:
    """Whole hours a week an assistant needs to offer (a recurring task's hours_per_week):
    a monthly figure through the same 52/12, rounded up, at least 1."""
    if period == Period.WEEK:
        return hours
    return max(1, -(-hours * MONTHS_PER_YEAR // WEEKS_PER_YEAR))


# Judgement work keeps this share of the score it would otherwise get.
JUDGEMENT_FACTOR = 0.25
FULL_HOURS_TENTHS = 400  # 40 h a month earns the hours part of the score in full


@dataclass(frozen=True)
class StandIn:
    """While a typed-in item is being priced: the market of the catalogue item nearest to it."""

    label: str
    market: MarketRange


@dataclass
class ItemFigures:
    item: PlanItem
    market: MarketRange | None  # None: a typed-in item still being priced
    judgement: str | None
    hours_tenths: int  # per month
    cost_cents: int | None = None  # what the owner pays a month (the fee is part of it)
    fee_cents: int | None = None
    worth_cents: int | None = None  # what those hours of the owner are worth a month
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    stand_in: StandIn | None = None  # shown, never counted: the item's own price is coming

    @property
    def net_cents(self) -> int | None:
        if self.cost_cents is None or self.worth_cents is None:
            return None
        return self.worth_cents - self.cost_cents

    @property
    def pricing(self) -> bool:
        return self.market is None


def figures_for(
    item: PlanItem,
    market: MarketRange | None,
    worth_cents: int | None,
    fee_bps: int,
    judgement: str | None,
) -> ItemFigures:
    out = ItemFigures(item, market, judgement, per_month(item.hours * 10, item.period))
    if worth_cents:
        out.worth_cents = per_month(worth_cents * item.hours, item.period)
    rate = market.median_cents if market is not None else None
    if rate is not None:
        out.cost_cents = per_month(rate * item.hours, item.period)
        out.fee_cents = share_of(out.cost_cents, fee_bps, 10_000)
    out.score, out.reasons = _score(out, rate, worth_cents)
    return out


def _score(f: ItemFigures, rate: int | None, worth: int | None) -> tuple[int, list[str]]:
    """0-100: how much handing this off pays (the owner's worth against the market rate),
    how many hours it frees, and whether it suits delegation at all."""
    reasons = []
    if f.judgement:
        reasons.append(f"Needs your judgement: {f.judgement}")
    if rate is None:
        gain = 0.5  # the market line says why there is no rate
    elif not worth:
        gain = 0.5
        reasons.append("Say what your hour is worth to see what delegating gains you.")
    else:
        gain = max(0.0, min(1.0, (worth - rate) / worth))
        if rate >= worth:
            reasons.append("Assistants charge more than your hour is worth.")
    hours = min(1.0, f.hours_tenths / FULL_HOURS_TENTHS)
    suitability = JUDGEMENT_FACTOR if f.judgement else 1.0
    return round(100 * suitability * (0.7 * gain + 0.3 * hours)), reasons


@dataclass(frozen=True)
class Totals:
    hours_tenths: int
    cost_cents: int
    fee_cents: int
    worth_cents: int

    @property
    def net_cents(self) -> int:
        return self.worth_cents - self.cost_cents


def totals(rows: list[ItemFigures]) -> Totals:
    """Over the items that can be delegated and have a price: the plan's monthly gain."""
    priced = [r for r in rows if r.cost_cents is not None and not r.judgement]
    return Totals(
        sum(r.hours_tenths for r in priced),
        sum(r.cost_cents or 0 for r in priced),
        sum(r.fee_cents or 0 for r in priced),
        sum(r.worth_cents or 0 for r in priced),
    )


# -- the chart: geometry here, markup in planner/_chart.svg -----------------------------------
CHART_WIDTH = 360  # viewBox units; the SVG scales to the screen (390 px phones included)
LABEL_H, BAR_H, GAP = 18, 10, 14


@dataclass(frozen=True)
class Bar:
    kind: str  # hours, worth, cost
    y: int
    width: int
    text: str


@dataclass(frozen=True)
class ChartRow:
    label: str
    y: int
    bars: tuple[Bar, ...]


def chart(rows: list[ItemFigures], money) -> tuple[list[ChartRow], int]:
    """Rows of bars (hours a month; worth vs cost a month) scaled to the largest value of
    each kind; returns them and the chart's height."""
    max_hours = max((r.hours_tenths for r in rows), default=0) or 1
    max_money = max((max(r.worth_cents or 0, r.cost_cents or 0) for r in rows), default=0) or 1
    span = CHART_WIDTH - 110  # the bars' room; their figures go to the right
    out, y = [], 0
    for r in rows:
        bars = [
            Bar(
                "hours",
                y + LABEL_H,
                _w(r.hours_tenths, max_hours, span),
                f"{r.hours_tenths / 10:g} h",
            )
        ]
        if r.worth_cents is not None:
            bars.append(
                Bar(
                    "worth",
                    y + LABEL_H + BAR_H + 2,
                    _w(r.worth_cents, max_money, span),
                    money(r.worth_cents),
                )
            )
        if r.cost_cents is not None:
            bars.append(
                Bar(
                    "cost",
                    y + LABEL_H + 2 * (BAR_H + 2),
                    _w(r.cost_cents, max_money, span),
                    money(r.cost_cents),
                )
            )
        out.append(ChartRow(r.item.label, y, tuple(bars)))
        y += LABEL_H + 3 * (BAR_H + 2) + GAP
    return out, max(y, 1)


def _w(value: int, largest: int, span: int) -> int:
    return max(2, value * span // largest) if value else 0
