"""Reporting a person, and the operators' queue of reports (of people and of messages).

A report is open until an operator closes it with one of three actions, each with a reason
and an audit row: dismiss it; remove the reported message (both parties then see a note
instead of it); suspend the reported person (``operator.services.suspend``). Every action
first locks the reported person's row, so all actions about one person run one at a time
(two operators, or one action closing another's report, can neither both win nor deadlock),
then closes its report by a compare-and-set: of two operators acting at once, one changes
anything and the other is told the report was handled. The reporters are told it was
handled, never what happened to the other person. Services flush; the view commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import utcnow
from ..errors import Conflict, Invalid, NotFound
from ..jobs.upserts import insert_ignoring_duplicates
from ..messages import services as messages
from ..messages.models import Message, MessageReport
from ..notifications.notices import notify_report_handled
from ..operator import services as operator
from ..profiles.models import AssistantProfile
from ..tasks.models import Task
from .models import PROFILE_REASON_LABELS, ProfileReport, ReportOutcome

NO_SUCH_PERSON = "There is nobody to report here."
HANDLED = "Another operator has handled this report already."
QUEUE_SIZE = 200
MESSAGE, PROFILE = "message", "profile"
REPORTS: dict[str, type[MessageReport] | type[ProfileReport]] = {
    MESSAGE: MessageReport,
    PROFILE: ProfileReport,
}


# Reporting a person --------------------------------------------------------------------------
def _reportable(session: Session, user_id: int) -> bool:
    """Shown somewhere a stranger can report from: an assistant's profile, a task's owner."""
    return bool(
        session.scalar(
            select(
                select(AssistantProfile.user_id).where(AssistantProfile.user_id == user_id).exists()
                | select(Task.id).where(Task.owner_id == user_id).exists()
            )
        )
    )


def report_person(
    session: Session, reporter: User, user_id: int, reason: str, details: str | None
) -> bool:
    """Record the report; False when the reporter has an open report of this person already."""
    if session.get(User, user_id) is None or not _reportable(session, user_id):
        raise NotFound(NO_SUCH_PERSON)
    if user_id == reporter.id:
        raise Conflict("You cannot report yourself.")
    if reason not in PROFILE_REASON_LABELS:
        raise Invalid("Choose what is wrong from the list.", "reason")
    details = (details or "").strip() or None
    if details and len(details) > messages.MAX_REASON_LENGTH:
        raise Invalid(f"Keep it under {messages.MAX_REASON_LENGTH:,} characters.", "details")
    return insert_ignoring_duplicates(
        session,
        ProfileReport,
        {
            "user_id": user_id,
            "reporter_id": reporter.id,
            "reason": reason,
            "details": details,
            "created_at": utcnow(),
        },
    )


# The queue -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueItem:
    kind: str  # MESSAGE or PROFILE
    report: MessageReport | ProfileReport
    person: User  # the one reported (a message's sender)
    profile: AssistantProfile | None  # the reported person's, for a report of a person
    earlier: int  # reports against the same person before this one, open or closed

    @property
    def created_at(self) -> datetime:
        return self.report.created_at


def open_queue(session: Session) -> list[QueueItem]:
    """Open reports of messages and of people, oldest first."""
    by_message = messages.open_reports(session)[:QUEUE_SIZE]
    by_profile = list(
        session.scalars(
            select(ProfileReport)
            .where(ProfileReport.resolved_at.is_(None))
            .order_by(ProfileReport.created_at, ProfileReport.id)
            .limit(QUEUE_SIZE)
        )
    )
    people = {r.message.sender_id for r in by_message} | {r.user_id for r in by_profile}
    history = _report_times(session, people)
    profiles = {
        p.user_id: p
        for p in session.scalars(
            select(AssistantProfile).where(
                AssistantProfile.user_id.in_({r.user_id for r in by_profile})
            )
        )
    }

    def earlier(person_id: int, at: datetime) -> int:
        return sum(1 for t in history[person_id] if t < at)

    items = [
        QueueItem(MESSAGE, r, r.message.sender, None, earlier(r.message.sender_id, r.created_at))
        for r in by_message
    ] + [
        QueueItem(PROFILE, r, r.user, profiles.get(r.user_id), earlier(r.user_id, r.created_at))
        for r in by_profile
    ]
    items.sort(key=lambda item: (item.created_at, item.kind, item.report.id))
    return items[:QUEUE_SIZE]


def _report_times(session: Session, people: set[int]) -> dict[int, list[datetime]]:
    """When each person was reported, by message or by profile (two queries for the page)."""
    times: dict[int, list[datetime]] = defaultdict(list)
    if not people:
        return times
    by_message = session.execute(
        select(Message.sender_id, MessageReport.created_at)
        .join(Message, Message.id == MessageReport.message_id)
        .where(Message.sender_id.in_(people))
    )
    by_profile = session.execute(
        select(ProfileReport.user_id, ProfileReport.created_at).where(
            ProfileReport.user_id.in_(people)
        )
    )
    rows = [*by_message, *by_profile]
    for person_id, at in rows:
        times[person_id].append(at)
    return times


# Actions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Target:
    kind: str
    report_id: int
    person_id: int
    message_id: int | None


def _target(session: Session, kind: str, report_id: int) -> _Target:
    if kind == MESSAGE:
        by_message = session.get(MessageReport, report_id)
        if by_message is not None:
            message = by_message.message
            return _Target(kind, report_id, message.sender_id, message.id)
    elif kind == PROFILE:
        by_profile = session.get(ProfileReport, report_id)
        if by_profile is not None:
            return _Target(kind, report_id, by_profile.user_id, None)
    raise NotFound("No such report.")


def _claim(
    session: Session, operator_user: User, target: _Target, outcome: ReportOutcome
) -> list[tuple[str, int, int]]:
    """Lock the reported person, then close this report if it is still open; Conflict if not."""
    session.execute(select(User.id).where(User.id == target.person_id).with_for_update())
    model = REPORTS[target.kind]
    closed = _close(session, model, operator_user, outcome, model.id == target.report_id)
    if not closed:
        raise Conflict(HANDLED)
    return closed


def _close(
    session: Session, model, operator_user: User, outcome: ReportOutcome, condition
) -> list[tuple[str, int, int]]:
    """Close the open reports of ``model`` that ``condition`` picks: (kind, id, reporter)."""
    kind = MESSAGE if model is MessageReport else PROFILE
    rows = session.execute(
        update(model)
        .where(model.resolved_at.is_(None), condition)
        .values(resolved_at=utcnow(), resolved_by_id=operator_user.id, outcome=outcome)
        .returning(model.id, model.reporter_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [(kind, report_id, reporter_id) for report_id, reporter_id in rows]


def _done(
    session: Session,
    operator_user: User,
    target: _Target,
    outcome: ReportOutcome,
    reason: str,
    closed: list[tuple[str, int, int]],
) -> int:
    """The audit row, and each reporter told their report was handled; how many closed."""
    operator.audit(
        session,
        operator_user,
        f"report.{outcome.value}",
        f"{target.kind}_report",
        target.report_id,
        reason,
        person_id=target.person_id,
        message_id=target.message_id,
        closed=[f"{kind}:{report_id}" for kind, report_id, _ in closed],
    )
    for kind, report_id, reporter_id in closed:
        notify_report_handled(session, reporter_id, kind, report_id)
    return len(closed)


def dismiss(session: Session, operator_user: User, kind: str, report_id: int, reason: str) -> int:
    """Nothing wrong found: this report (only) is closed."""
    reason = operator.clean_reason(reason)
    target = _target(session, kind, report_id)
    closed = _claim(session, operator_user, target, ReportOutcome.DISMISSED)
    return _done(session, operator_user, target, ReportOutcome.DISMISSED, reason, closed)


def remove_message(session: Session, operator_user: User, report_id: int, reason: str) -> int:
    """Hide the reported message from both parties; every open report of it is closed."""
    reason = operator.clean_reason(reason)
    target = _target(session, MESSAGE, report_id)
    outcome = ReportOutcome.REMOVED
    closed = _claim(session, operator_user, target, outcome)
    message_id = cast(int, target.message_id)  # a message report's target has one
    messages.remove_message(session, message_id)
    closed += _close(
        session, MessageReport, operator_user, outcome, MessageReport.message_id == message_id
    )
    return _done(session, operator_user, target, outcome, reason, closed)


def suspend_person(
    session: Session, operator_user: User, kind: str, report_id: int, reason: str
) -> int:
    """Suspend the reported person (the console's suspension, with its own audit row); every
    open report against them, of their messages or of them, is closed."""
    reason = operator.clean_reason(reason)
    target = _target(session, kind, report_id)
    outcome = ReportOutcome.SUSPENDED
    closed = _claim(session, operator_user, target, outcome)
    operator.suspend(session, operator_user, target.person_id, reason)
    sent_by_them = select(Message.id).where(Message.sender_id == target.person_id)
    closed += _close(
        session, MessageReport, operator_user, outcome, MessageReport.message_id.in_(sent_by_them)
    )
    closed += _close(
        session, ProfileReport, operator_user, outcome, ProfileReport.user_id == target.person_id
    )
    return _done(session, operator_user, target, outcome, reason, closed)
