"""Reviewing an ended contract, double-blind, and what the reviews add up to.

Each party may review the other once, within the review window after the contract ended
(``REVIEW_WINDOW_DAYS``). Neither reads the other's review until both have written or the
window has closed; visibility is decided from the clock (``Review.visible_from``), so the
close of the window needs no job to take effect on any page. Acting on a reveal (telling the
reviewed party, recomputing an assistant's rating, re-ranking them) happens once per review,
by compare-and-set on ``revealed_at``: at once when the second review is written, otherwise by
the periodic ``reviews.reveal_due`` job.

An assistant's rating and review count on their profile are what the matcher reads for its
reputation factor and its explanation ("rated 4.8/5 from 12 reviews"); they are recomputed from
the revealed reviews here and then re-ranked through ``matches.match_assistant``, the job a
profile change queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, object_session

from ..accounts.models import User
from ..config import settings
from ..contracts import services as contracts
from ..contracts.models import Contract, ContractStatus
from ..db import add_once, rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..filters import format_localtime
from ..jobs import enqueue_after_commit
from ..matches import events as match_events
from ..matches.models import EventKind
from ..notifications.notices import notify_review_received, notify_review_requested
from ..profiles.models import AssistantProfile
from .models import MAX_BODY, Review, Side

# How many reviews one run of the reveal job acts on; the next run takes the rest.
REVEAL_BATCH = 200
PROFILE_TEXTS = 5


def ended_at(contract: Contract) -> datetime | None:
    """When the contract ended, which opens its review window; None while it has not ended.

    The one place that says what "ended" means. Fixed-price work ends when it is paid out, or
    when the owner cancels it after some milestones were paid out (the part paid for is the
    work reviewed); an hourly contract once either side has ended it and every week's money
    has moved, at least one week having been paid for (a review is of paid work: two
    accounts cannot trade stars over a contract nobody paid, and nobody is asked to review
    before the money moved).
    """
    if contract.status == ContractStatus.PAID:
        return contract.paid_at
    if contract.status == ContractStatus.ENDED:
        return _last_paid_week(contract) if contract.is_hourly else contract.ended_at
    return None


def _last_paid_week(contract: Contract) -> datetime | None:
    """The later of an ended hourly contract's end and its last week's payment; None while a
    week still waits for review or payment, or if no week was paid for."""
    from ..timesheets.models import Timesheet, TimesheetStatus  # timesheets import reviews

    session = object_session(contract)
    if session is None or contract.ended_at is None:
        return None
    weeks = session.execute(
        select(Timesheet.status, Timesheet.charged_at).where(Timesheet.contract_id == contract.id)
    ).all()
    paid = (TimesheetStatus.CHARGED, TimesheetStatus.PAID)
    if any(status not in (*paid, TimesheetStatus.NOTHING_DUE) for status, _ in weeks):
        return None
    charged = [at for status, at in weeks if status in paid and at is not None]
    return max(contract.ended_at, *charged) if charged else None


def configured_window() -> timedelta:
    return timedelta(days=settings().review_window_days)


def closes_at(contract: Contract, window: timedelta) -> datetime | None:
    ended = ended_at(contract)
    return ended + window if ended is not None else None


class AlreadyReviewed(Conflict):
    def __init__(self) -> None:
        super().__init__("You have already reviewed this contract; a review cannot be changed.")


def contract_ended(session: Session, contract: Contract) -> None:
    """Called in the transaction that ends a contract: ask both parties for a review (once;
    the outbox's unique key makes a second call a no-op)."""
    if ended_at(contract) is None:
        return
    notify_review_requested(session, contract)


def _check_input(rating: object, body: str | None) -> tuple[int, str]:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise Invalid("Choose a rating from 1 to 5 stars.", "rating")
    text = (body or "").strip()
    if len(text) > MAX_BODY:
        raise Invalid(f"Keep your review under {MAX_BODY:,} characters.", "body")
    return rating, text


def write_review(
    session: Session,
    author: User,
    contract_id: int,
    rating: int,
    body: str | None,
    window: timedelta,
) -> Review:
    """One party reviews the other. The contract row is locked first, so the two parties'
    posts are serialised: the second one finds the first and both are revealed at once."""
    contract = contracts.lock(session, contract_id)
    side = contract.party(author)
    if side is None:
        raise NotFound("This contract does not exist.")
    if author.is_suspended:
        raise PermissionDenied("Your account is suspended; you cannot write reviews.")
    rating, text = _check_input(rating, body)
    closes = closes_at(contract, window)
    if closes is None:
        raise Conflict("You can review this contract once it has ended and been paid out.")
    now = utcnow()
    if now >= closes:
        raise Conflict(f"The time to review this contract ended on {format_localtime(closes)}.")
    review = Review(
        contract_id=contract.id,
        author_id=author.id,
        subject_id=contract.assistant_id if side == "owner" else contract.owner_id,
        author_side=Side(side),
        rating=rating,
        body=text,
        created_at=now,
        visible_from=closes,
    )
    if not add_once(session, review):  # the unique (contract, side) key settles a double post
        raise AlreadyReviewed()
    other = _review_by(session, contract.id, _other_side(review.author_side))
    if other is not None:
        # Both have written: neither is blind any more.
        for written in (other, review):
            _reveal(session, written, now)
    session.flush()
    return review


def _other_side(side: Side) -> Side:
    return Side.ASSISTANT if side == Side.OWNER else Side.OWNER


def _review_by(session: Session, contract_id: int, side: Side) -> Review | None:
    return session.scalar(
        select(Review).where(Review.contract_id == contract_id, Review.author_side == side)
    )


def _reveal(session: Session, review: Review, now: datetime) -> bool:
    """Make the review visible now (if it was not yet) and act on it exactly once."""
    claimed = rows_changed(
        session,
        update(Review)
        .where(Review.id == review.id, Review.revealed_at.is_(None))
        .values(
            revealed_at=now,
            visible_from=case((Review.visible_from > now, now), else_=Review.visible_from),
        )
        .execution_options(synchronize_session=False),
    )
    session.refresh(review)
    if claimed != 1:
        return False  # another run (or the other party's post) acted on it already
    notify_review_received(session, review)
    if review.author_side == Side.OWNER:
        refresh_reputation(session, review.subject_id)
        # The rating of a hire teaches the matcher from when it counts for the assistant's
        # reputation too, so double-blind holds for the model as well.
        contract = review.contract
        match_events.record(
            session, EventKind.REVIEW, contract.task_id, contract.assistant_id, str(review.id),
            value=float(review.rating),
        )  # fmt: skip
    return True


def refresh_reputation(session: Session, assistant_id: int) -> None:
    """The assistant's rating and review count from their revealed reviews, and a re-rank so
    the matcher's reputation factor and explanation say the same (the job a profile change
    queues; no match emails: the assistant did not change anything)."""
    profile = session.get(AssistantProfile, assistant_id)
    if profile is None:
        return
    count, average = session.execute(
        select(func.count(Review.id), func.avg(Review.rating)).where(
            Review.subject_id == assistant_id,
            Review.author_side == Side.OWNER,
            Review.revealed_at.is_not(None),
        )
    ).one()
    rating = round(float(average), 2) if count else None
    if (profile.rating, profile.review_count) == (rating, count):
        return
    profile.rating, profile.review_count = rating, count  # bumps updated_at: the index sees it
    session.flush()
    enqueue_after_commit(session, "matches.match_assistant", assistant_id, False)


def reveal_due(session: Session, limit: int = REVEAL_BATCH) -> int:
    """Act on reviews whose window has closed unanswered; returns how many were revealed."""
    now = utcnow()
    due = list(
        session.scalars(
            select(Review)
            .where(Review.revealed_at.is_(None), Review.visible_from <= now)
            .order_by(Review.visible_from, Review.id)
            .limit(limit)
        )
    )
    return sum(_reveal(session, review, now) for review in due)


@dataclass(frozen=True)
class ReviewState:
    """What one party of a contract sees of its reviews."""

    side: str  # "owner" or "assistant": the viewer's side
    other: User
    closes_at: datetime | None  # None: the contract has not ended
    now: datetime
    mine: Review | None
    theirs: Review | None  # only once the viewer may read it
    theirs_waiting: bool  # they have written; it shows once the viewer writes or the window ends
    suspended: bool

    @property
    def ended(self) -> bool:
        return self.closes_at is not None

    @property
    def is_open(self) -> bool:
        return self.closes_at is not None and self.now < self.closes_at

    @property
    def can_write(self) -> bool:
        return self.is_open and self.mine is None and not self.suspended


def state_for(session: Session, user: User, contract: Contract, window: timedelta) -> ReviewState:
    side = contract.party(user)
    if side is None:
        raise NotFound("This contract does not exist.")
    now = utcnow()
    written = {
        r.author_side: r
        for r in session.scalars(select(Review).where(Review.contract_id == contract.id))
    }
    mine, theirs = written.get(Side(side)), written.get(_other_side(Side(side)))
    readable = theirs is not None and theirs.is_visible(now)
    return ReviewState(
        side=side,
        other=contract.assistant if side == "owner" else contract.owner,
        closes_at=closes_at(contract, window),
        now=now,
        mine=mine,
        theirs=theirs if readable else None,
        theirs_waiting=theirs is not None and not readable,
        suspended=user.is_suspended,
    )


def visible_about(session: Session, subject_id: int, side: Side, limit: int) -> list[Review]:
    """The newest reviews of one person by the other side that anyone may read now."""
    return list(
        session.scalars(
            select(Review)
            .where(
                Review.subject_id == subject_id,
                Review.author_side == side,
                Review.visible_from <= utcnow(),
            )
            .order_by(Review.visible_from.desc(), Review.id.desc())
            .limit(limit)
        )
    )


def profile_texts(session: Session, assistant_id: int) -> list[Review]:
    """For the assistant's public profile: the latest visible reviews owners wrote of them.

    The average and count beside them are the profile's own ``rating`` and ``review_count``,
    the figures the matcher reads, so the profile and the owner's recommendation agree.
    """
    return visible_about(session, assistant_id, Side.OWNER, PROFILE_TEXTS)


@dataclass(frozen=True)
class OwnerRecord:
    """What an assistant reads about an owner beside their task."""

    hires: int
    rating: float | None
    review_count: int

    @property
    def payment_verified(self) -> bool:
        return self.hires > 0

    @property
    def summary(self) -> str:
        hired = (
            "No hires yet"
            if not self.hires
            else f"Hired {self.hires} time{'s' if self.hires != 1 else ''}"
        )
        parts = [hired]
        if self.review_count:
            noun = "review" if self.review_count == 1 else "reviews"
            parts.append(f"{self.rating:.1f} from assistants ({self.review_count} {noun})")
        else:
            parts.append("no reviews from assistants yet")
        parts.append("payment verified" if self.payment_verified else "payment not verified yet")
        return ", ".join(parts)


def owner_record(session: Session, owner_id: int) -> OwnerRecord:
    """Hires are contracts the owner funded (so each is also proof that they pay); the rating
    is the average of assistants' reviews of them that are visible now. One statement: it is
    on every task page."""
    theirs = (
        Review.subject_id == owner_id,
        Review.author_side == Side.ASSISTANT,
        Review.visible_from <= utcnow(),
    )
    hires, count, average = session.execute(
        select(
            select(func.count(Contract.id))
            .where(Contract.owner_id == owner_id, Contract.funded_at.is_not(None))
            .scalar_subquery(),
            select(func.count(Review.id)).where(*theirs).scalar_subquery(),
            select(func.avg(Review.rating)).where(*theirs).scalar_subquery(),
        )
    ).one()
    return OwnerRecord(hires or 0, float(average) if count else None, count or 0)


def written_by(session: Session, user_id: int) -> list[Review]:
    return list(
        session.scalars(select(Review).where(Review.author_id == user_id).order_by(Review.id))
    )


def received_by(session: Session, user_id: int, *, visible_only: bool) -> list[Review]:
    """Reviews of this person; ``visible_only`` for anything shown to them or the public (a
    hidden review is not theirs to read yet, not even in their data export)."""
    query = select(Review).where(Review.subject_id == user_id)
    if visible_only:
        query = query.where(Review.visible_from <= utcnow())
    return list(session.scalars(query.order_by(Review.id)))
