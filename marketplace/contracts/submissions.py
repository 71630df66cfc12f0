"""Fixed work's submissions and the owner's answer: approve, request changes, or let the
release window run out (the milestone is then approved and paid out automatically).

A fixed contract's price is split into milestones, worked on in turn (``milestones``). The
contract's status says where the current one is (funded: in progress, submitted: waiting for
the owner), the milestone's its own; the submissions say what was delivered each time and
what the owner answered. Approving a milestone releases its share: the next one is in
progress, or after the last the contract is approved. Every step is a compare-and-set on the
submission (its answer is written once), the milestone and the contract's status, under the
contract's row lock, so an approval racing a change request, or two workers releasing the
same work, have one winner. Paying out is ``payments.services.pay_out_approved``'s, after the
approval has committed: Stripe is never called while a row is locked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..config import settings
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..notifications import notices
from . import milestones, services
from .models import (
    NOTE_MAX,
    Contract,
    ContractStatus,
    Milestone,
    MilestoneStatus,
    Submission,
    SubmissionAnswer,
)

# Reminders to the owner before an unanswered submission is released: (name, how long
# before). Each goes once per submission (the outbox's unique key names both).
REMINDERS = (("1d", timedelta(days=1)), ("3d", timedelta(days=3)))


def release_window() -> timedelta:
    return timedelta(days=settings().auto_release_days)


def _clean_note(note: str | None, field: str, empty: str) -> str:
    note = (note or "").strip()
    if not note:
        raise Invalid(empty, field)
    if len(note) > NOTE_MAX:
        raise Invalid(f"Keep it under {NOTE_MAX:,} characters (this is {len(note):,}).", field)
    return note


def history(session: Session, contract: Contract) -> list[Submission]:
    """Every submission of the contract, oldest first, with its answer."""
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.contract_id == contract.id)
            .order_by(Submission.number)
            .execution_options(populate_existing=True)
        )
    )


def latest(session: Session, contract_id: int) -> Submission | None:
    return session.scalar(
        select(Submission)
        .where(Submission.contract_id == contract_id)
        .order_by(Submission.number.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def _locked(session: Session, user: User, contract_id: int, party: str, action: str) -> Contract:
    contract = services.lock(session, contract_id)
    if contract.party(user) is None:
        raise NotFound("This contract does not exist.")
    services.require_party(contract, user, party, action)
    return contract


# The assistant submits -----------------------------------------------------------------


def submit(
    session: Session,
    assistant: User,
    contract_id: int,
    note: str | None,
    window: timedelta | None = None,
) -> Submission:
    """The assistant delivers the current milestone with a note of what was delivered; the
    owner has ``window`` (AUTO_RELEASE_DAYS) to answer before it is approved automatically."""
    contract = _locked(session, assistant, contract_id, "assistant", "submit the work")
    check_can_submit(contract, assistant)
    note = _clean_note(note, "note", "Say what you delivered, so the owner knows what to check.")
    milestone = _current(session, contract)
    if milestone.status == MilestoneStatus.AWAITING_FUNDING:
        raise Conflict(
            f"Milestone {milestone.number} is not funded yet: {contract.owner.display_name} "
            "pays for it first, and you can submit it once they have."
        )
    now = utcnow()
    services.transition(
        session, contract, [ContractStatus.FUNDED], ContractStatus.SUBMITTED, submitted_at=now
    )
    milestones.move(
        session, milestone, [MilestoneStatus.FUNDED], MilestoneStatus.SUBMITTED, submitted_at=now
    )
    number = (
        session.scalar(
            select(func.max(Submission.number)).where(Submission.contract_id == contract.id)
        )
        or 0
    ) + 1
    submission = Submission(
        contract_id=contract.id,
        milestone_id=milestone.id,
        number=number,
        note=note,
        submitted_at=now,
        release_due_at=now + (window if window is not None else release_window()),
        auto_released=False,
    )
    session.add(submission)
    session.flush()
    notices.notify_work_submitted(session, submission)
    return submission


def _current(session: Session, contract: Contract) -> Milestone:
    milestone = milestones.current(session, contract.id)
    if milestone is None:
        raise Conflict("Every milestone of this contract has been delivered already.")
    return milestone


def check_can_submit(contract: Contract, assistant: User) -> None:
    """Why this assistant cannot submit this contract's work now, as the error to answer."""
    services.require_party(contract, assistant, "assistant", "submit the work")
    if contract.status != ContractStatus.FUNDED:
        raise Conflict(
            f"This contract is {contract.status.label.lower()}; there is no work to submit."
        )


# The owner answers ---------------------------------------------------------------------


def _waiting(session: Session, contract: Contract, number: int | None) -> Submission:
    """The submission waiting for the owner's answer, and the one their page showed
    (``number``, when the page sent it); a Conflict saying what happened otherwise."""
    current = latest(session, contract.id)
    if contract.status != ContractStatus.SUBMITTED or current is None or current.answer:
        if current is not None and current.answer == SubmissionAnswer.CHANGES_REQUESTED:
            raise Conflict(
                f"You asked for changes on {contract.assistant.display_name}'s submission; "
                "there is nothing to approve until they submit again."
            )
        raise Conflict(
            f"This contract is {contract.status.label.lower()}; no submission is waiting "
            "for your answer."
        )
    if number is not None and number != current.number:
        raise Conflict(
            f"{contract.assistant.display_name} submitted the work again since this page was "
            f"loaded. Read submission {current.number} before you answer.",
        )
    return current


def check_can_answer(session: Session, contract: Contract, owner: User, number: int | None) -> None:
    """Why this owner cannot answer the submission their page showed, as the error to answer."""
    services.require_party(contract, owner, "owner", "answer the submission")
    _waiting(session, contract, number)


def _answer(session: Session, submission: Submission, answer: SubmissionAnswer, **values) -> bool:
    """Write the owner's (or the clock's) answer once: False when another got there first."""
    answered = rows_changed(
        session,
        update(Submission)
        .where(Submission.id == submission.id, Submission.answer.is_(None))
        .values(answer=answer, answered_at=utcnow(), **values)
        .execution_options(synchronize_session=False),
    )
    session.refresh(submission)
    return answered == 1


def _approve(session: Session, contract: Contract, submission: Submission, *, automatic: bool):
    if not _answer(session, submission, SubmissionAnswer.APPROVED, auto_released=automatic):
        raise Conflict("This submission has been answered already.")
    milestones.move(
        session,
        submission.milestone,
        [MilestoneStatus.SUBMITTED],
        MilestoneStatus.APPROVED,
        approved_at=submission.answered_at,
    )
    if milestones.current(session, contract.id) is not None:
        # Its share is released; the next milestone is in progress, the rest still held.
        services.transition(session, contract, [ContractStatus.SUBMITTED], ContractStatus.FUNDED)
    else:
        services.transition(
            session,
            contract,
            [ContractStatus.SUBMITTED],
            ContractStatus.APPROVED,
            approved_at=submission.answered_at,
        )
        services.finish_task(session, contract.task)
    session.flush()


def approve(session: Session, owner: User, contract_id: int, number: int | None = None) -> Contract:
    """The owner approves the submission their page showed (``number``); the caller commits,
    then pays out (``payments.services.pay_out_approved``)."""
    contract = _locked(session, owner, contract_id, "owner", "approve the work")
    _approve(session, contract, _waiting(session, contract, number), automatic=False)
    return contract


def request_changes(
    session: Session, owner: User, contract_id: int, number: int | None, note: str | None
) -> Submission:
    """The owner sends the work back with a note: the contract is in progress again (funded,
    the money still held) and the assistant can submit again."""
    contract = _locked(session, owner, contract_id, "owner", "ask for changes")
    submission = _waiting(session, contract, number)
    note = _clean_note(note, "changes", "Say what should change, so the assistant knows.")
    if not _answer(session, submission, SubmissionAnswer.CHANGES_REQUESTED, answer_note=note):
        raise Conflict("This submission has been answered already.")
    services.transition(session, contract, [ContractStatus.SUBMITTED], ContractStatus.FUNDED)
    milestones.move(
        session, submission.milestone, [MilestoneStatus.SUBMITTED], MilestoneStatus.FUNDED
    )
    notices.notify_changes_requested(session, submission)
    session.flush()
    return submission


# The clock: reminders and automatic release ---------------------------------------------


def _unanswered(now: datetime, before: timedelta = timedelta(0)):
    return (
        select(Submission)
        .join(Contract, Contract.id == Submission.contract_id)
        .where(
            Submission.answer.is_(None),
            Submission.release_due_at <= now + before,
            Contract.status == ContractStatus.SUBMITTED,
        )
        .order_by(Submission.release_due_at, Submission.id)
    )


def remind_due(session: Session) -> int:
    """Tell owners whose answer is due soon that the work is released automatically then:
    3 days before, and 1 day before. Only the nearest reminder is sent (a run that comes late
    does not send both at once), and a reminder that would come before the submission itself
    (a window of under 3 days) is not sent. Returns how many were queued."""
    now = utcnow()
    queued = 0
    longest = max(before for _, before in REMINDERS)
    for submission in session.scalars(_unanswered(now, longest)).all():
        if submission.release_due_at <= now or submission.contract.frozen_reason:
            continue  # released by release_due, or waiting for Delegate's support
        left = submission.release_due_at - now
        for name, before in REMINDERS:  # nearest first
            if left <= before:
                if submission.release_due_at - before > submission.submitted_at:
                    queued += notices.notify_release_reminder(session, submission, name)
                break
    session.flush()
    return queued


def due_for_release(session: Session) -> list[int]:
    return [s.id for s in session.scalars(_unanswered(utcnow())).all()]


def release(session: Session, submission_id: int) -> Contract | None:
    """Approve one submission whose window ran out with no answer, as the owner's approval
    would; None when it was answered meanwhile, is not due, or its contract is frozen (an
    operator settles those). The caller commits, then pays out."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        return None
    contract = services.lock_where(session, Contract.id == submission.contract_id)
    session.refresh(submission)
    if (
        contract is None
        or submission.answer is not None
        or submission.release_due_at > utcnow()
        or contract.status != ContractStatus.SUBMITTED
        or contract.frozen_reason
    ):
        return None
    _approve(session, contract, submission, automatic=True)
    notices.notify_work_released(session, submission)
    session.flush()
    return contract


def object_keys(session: Session, contract: Contract) -> list[str]:
    """The outbox keys of the emails about this contract's submissions (operator console)."""
    ids = session.scalars(select(Submission.id).where(Submission.contract_id == contract.id))
    return [notices.submission_key(i, name) for i in ids for name in ("", *dict(REMINDERS))]
