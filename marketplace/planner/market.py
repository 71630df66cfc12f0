"""The market price of a plan item, from the assistants the matcher finds fit for it.

Two halves. The job half (``rank_and_store``, ``price_plan``) ranks with the matcher index
and computes working-time overlap with ``matching.timezones``: it runs only in jobs and the
CLI, never in a web request (the matcher is seconds to import and to fit). The read half
(``summarise``) is plain integer arithmetic over stored ``market_fits`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..accounts.models import in_good_standing
from ..config import settings
from ..contracts.pricing import share_of
from ..db import utcnow
from ..profiles.models import AssistantProfile
from .catalogue import CATALOGUE, custom_key
from .models import MarketFit, Plan, PlanItem

# The owner's working day, for the overlap figure (the plan has a zone, not office hours).
OWNER_HOURS = ("09:00", "17:00")


def pricing_key(item: PlanItem) -> str:
    """Whose market an item reads: its catalogue entry's, or its own when typed in."""
    return item.catalogue_key or custom_key(item.id)


# -- the read half: what a page may call -------------------------------------------------------
@dataclass(frozen=True)
class MarketRange:
    fits: int  # assistants fit for the item, in the plan's currency
    low_cents: int | None  # 25th percentile hourly rate
    median_cents: int | None
    high_cents: int | None  # 75th percentile
    available: int  # of those, how many offer at least the item's weekly hours
    currency: str

    @property
    def enough(self) -> bool:
        return self.low_cents is not None


def percentile(sorted_cents: list[int], pct: int) -> int:
    """The `pct`-th percentile of sorted integers, linearly interpolated between ranks
    (numpy's default method), rounded half up to a whole cent."""
    position = pct * (len(sorted_cents) - 1)  # in hundredths of a rank
    lo, part = divmod(position, 100)
    hi = min(lo + 1, len(sorted_cents) - 1)
    return share_of(sorted_cents[lo] * (100 - part) + sorted_cents[hi] * part, 1, 100)


def fits_by_key(session: Session, keys: set[str]) -> dict[str, list[MarketFit]]:
    """The stored fits of each key, less assistants suspended or deleted since the job ran
    (they can be hired by no one, so they price nothing)."""
    out: dict[str, list[MarketFit]] = {key: [] for key in keys}
    if keys:
        query = select(MarketFit).where(
            MarketFit.item_key.in_(keys), in_good_standing(MarketFit.assistant_id)
        )
        for fit in session.scalars(query):
            out[fit.item_key].append(fit)
    return out


def summarise(fits: list[MarketFit], currency: str, weekly_hours: int) -> MarketRange:
    """The range of rates of the fit assistants who charge in `currency`; none below
    PLANNER_MIN_FITS of them (no invented numbers)."""
    same = [f for f in fits if f.currency == currency]
    rates = sorted(f.rate_cents for f in same)
    available = sum(1 for f in same if f.hours_per_week >= weekly_hours)
    if len(rates) < settings().planner_min_fits:
        return MarketRange(len(rates), None, None, None, available, currency)
    return MarketRange(
        len(rates),
        percentile(rates, 25),
        percentile(rates, 50),
        percentile(rates, 75),
        available,
        currency,
    )


# -- the job half: matcher and numpy --------------------------------------------------------------
def _matching_task(key: str, label: str, text: str, skills: list[str]):
    import matching

    return matching.Task(id=key, title=label, description=text, skills=tuple(skills))


def catalogue_queries() -> list:
    return [_matching_task(c.key, c.label, c.text, list(c.skills)) for c in CATALOGUE]


def custom_query(item: PlanItem):
    return _matching_task(custom_key(item.id), item.label, item.label, item.skill_list)


def rank_and_store(session: Session, queries: list) -> dict[str, int]:
    """Rank assistants for each query (a matching.Task keyed by item key) and replace the
    stored fits of those keys with the ones at or above PLANNER_MIN_FIT_SCORE who are in good
    standing; returns how many each key now has."""
    from ..matches.index import matcher_index

    config = settings()
    matcher = matcher_index(current_app).current(session)
    ranked = matcher.rank_assistants_batch(
        queries, k=config.planner_fits_per_item, reference_date=utcnow().date()
    )
    wanted = {
        q.id: [m for m in matches if m.score >= config.planner_min_fit_score]
        for q, matches in zip(queries, ranked, strict=True)
    }
    ids = {m.id for matches in wanted.values() for m in matches}
    # Looked up by the matcher's ids (int | str); an assistant's is their user id.
    profiles: dict[int | str, AssistantProfile] = {
        p.user_id: p
        for p in session.scalars(
            select(AssistantProfile).where(
                AssistantProfile.user_id.in_(ids), in_good_standing(AssistantProfile.user_id)
            )
        )
    }
    session.execute(delete(MarketFit).where(MarketFit.item_key.in_(list(wanted))))
    now = utcnow()
    stored = dict.fromkeys(wanted, 0)
    for key, matches in wanted.items():
        for m in matches:
            profile = profiles.get(m.id)
            if profile is None:  # suspended or deleted (the index still holds them)
                continue
            stored[key] += 1
            session.add(
                MarketFit(
                    item_key=key,
                    assistant_id=profile.user_id,
                    score=float(m.score),
                    rate_cents=profile.hourly_rate_cents,
                    currency=profile.currency,
                    timezone=profile.timezone,
                    work_start=profile.work_start.strftime("%H:%M"),
                    work_end=profile.work_end.strftime("%H:%M"),
                    hours_per_week=profile.hours_per_week,
                    computed_at=now,
                )
            )
    session.flush()
    return stored


def typical_overlap(fits: list[MarketFit], zone: str) -> float | None:
    """The median, over the fit assistants, of the matcher's worst-day shared hours with an
    owner working OWNER_HOURS in `zone` this coming week."""
    if not fits:
        return None
    from matching.timezones import overlap_hours

    week = utcnow().date()
    cache: dict[tuple[str, str, str], float] = {}
    values = []
    for f in fits:
        shift = (f.timezone, f.work_start, f.work_end)
        if shift not in cache:
            cache[shift] = overlap_hours(*shift, zone, *OWNER_HOURS, week)
        values.append(cache[shift])
    return round(median(values), 1)


def price_plan(session: Session, plan: Plan) -> None:
    """Price the plan's typed-in items that are not priced yet, and give every item its
    typical overlap with the plan's zone."""
    unpriced = [i for i in plan.items if i.being_priced]
    if unpriced:
        rank_and_store(session, [custom_query(i) for i in unpriced])
        for item in unpriced:
            item.priced_at = utcnow()
    fits = fits_by_key(session, {pricing_key(i) for i in plan.items})
    for item in plan.items:
        item.overlap_hours = typical_overlap(fits[pricing_key(item)], plan.timezone)
        item.overlap_zone = plan.timezone
    session.flush()
