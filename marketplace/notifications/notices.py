"""One function per kind of notification: who is told, the outbox key, and the payload.

A caller hands over the rows the news is about (``notify_new_proposal(session, proposal)``)
and nothing else: the object key (whose uniqueness per user and kind makes a repeated
trigger a no-op) and the payload the email reads (``payloads``) are decided here, once.
Each function writes in the caller's transaction, like ``services.notify``, and returns
whether anything was queued (False: there already, or the recipient turned email off).

The rows are only read (ids and parties), so the models are imported for the type checker
alone: every domain may call this module without an import cycle.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts import tokens
from ..db import utcnow
from . import payloads as p
from .models import ACCOUNT_LINK_KINDS, Kind, Notification
from .services import Preferences, notify

if TYPE_CHECKING:
    from matching import Match as RankedMatch

    from ..accounts.models import User
    from ..contracts.models import Contract, Milestone, Submission
    from ..hiring.models import Proposal
    from ..matches.models import Invitation
    from ..messages.models import Conversation
    from ..operator.models import Resolution
    from ..reviews.models import Review
    from ..tasks.models import Task
    from ..timesheets.models import DisputeSettlement, Timesheet


def _put(
    session: Session,
    user_id: int,
    kind: Kind,
    key: str,
    payload: Mapping[str, object],
    *,
    prefs: Preferences | None = None,
    not_before: datetime | None = None,
) -> bool:
    p.check(kind, payload)
    return notify(session, user_id, kind, key, dict(payload), prefs=prefs, not_before=not_before)


def _each(user_ids: Iterable[int], send: Callable[[int], bool]) -> bool:
    queued = [send(user_id) for user_id in user_ids]  # all of them, not up to the first
    return any(queued)


# Matching and hiring ---------------------------------------------------------------------


def notify_new_match(
    session: Session, assistant_id: int, task_id: int, match: RankedMatch, *, prefs: Preferences
) -> bool:
    """A job that matches the assistant; ``prefs`` are theirs, read once for a batch."""
    note = p.MatchNote(task_id=task_id, score=match.score, explanation=match.explanation)
    return _put(session, assistant_id, Kind.NEW_MATCH, f"task:{task_id}", note, prefs=prefs)


def notify_recommendations(session: Session, task: Task) -> bool:
    note = p.TaskRef(task_id=task.id)
    return _put(session, task.owner_id, Kind.RECOMMENDATIONS, f"task:{task.id}", note)


def notify_invitation(session: Session, invitation: Invitation) -> bool:
    note = p.InvitationNote(task_id=invitation.task_id, invitation_id=invitation.id)
    key = f"task:{invitation.task_id}"
    return _put(session, invitation.assistant_id, Kind.INVITATION, key, note)


def notify_new_proposal(session: Session, proposal: Proposal) -> bool:
    """Each submission has its own key, so a proposal sent again is news again."""
    key = f"proposal:{proposal.id}"
    if proposal.revision != 1:
        key = f"{key}:{proposal.revision}"
    note = p.ProposalNote(task_id=proposal.task_id, proposal_id=proposal.id)
    return _put(session, proposal.task.owner_id, Kind.NEW_PROPOSAL, key, note)


def notify_proposal_declined(session: Session, proposal: Proposal) -> bool:
    note = p.ProposalNote(task_id=proposal.task_id, proposal_id=proposal.id)
    key = f"proposal:{proposal.id}"
    return _put(session, proposal.assistant_id, Kind.PROPOSAL_DECLINED, key, note)


def notify_report_handled(session: Session, reporter_id: int, subject: str, report_id: int) -> bool:
    """``subject``: what was reported ("message", "profile"); nothing of the outcome."""
    key = f"{subject}_report:{report_id}"
    return _put(session, reporter_id, Kind.REPORT_HANDLED, key, p.ReportNote(subject=subject))


# Contracts and their money ---------------------------------------------------------------


def contract_key(contract_id: int) -> str:
    """The outbox key of the (once per contract) emails about a contract."""
    return f"contract:{contract_id}"


def resolution_key(resolution_id: int) -> str:
    return f"resolution:{resolution_id}"


def _about_contract(session: Session, contract: Contract, kind: Kind, user_id: int) -> bool:
    note = p.ContractRef(contract_id=contract.id)
    return _put(session, user_id, kind, contract_key(contract.id), note)


def notify_contract_funded(
    session: Session, contract: Contract, milestone: Milestone | None = None
) -> bool:
    """The money is held, work can start. Paid a milestone at a time, each milestone funded
    is news again (its own key; the first keeps the contract's, as before)."""
    key = contract_key(contract.id)
    note = p.FundingNote(contract_id=contract.id)
    if milestone is not None:
        note["milestone_id"] = milestone.id
        if milestone.number > 1:
            key = f"milestone:{milestone.id}"
    parties = (contract.owner_id, contract.assistant_id)
    return _each(parties, lambda u: _put(session, u, Kind.CONTRACT_FUNDED, key, note))


def notify_payment_sent(
    session: Session, contract: Contract, milestone: Milestone, milestones: int
) -> bool:
    """One email per milestone paid (the key names it); a one-milestone contract's is the
    contract's, as before milestones, so a payment announced before the upgrade is not
    announced again. ``milestones``: how many the contract has."""
    key = contract_key(contract.id) if milestones == 1 else f"milestone:{milestone.id}"
    note = p.PaymentNote(contract_id=contract.id, milestone_id=milestone.id)
    return _put(session, contract.assistant_id, Kind.PAYMENT_SENT, key, note)


def notify_refund_issued(session: Session, contract: Contract) -> bool:
    return _about_contract(session, contract, Kind.REFUND_ISSUED, contract.owner_id)


def notify_invitation_accepted(session: Session, contract: Contract) -> bool:
    return _about_contract(session, contract, Kind.INVITATION_ACCEPTED, contract.owner_id)


def notify_contract_cancelled(session: Session, contract: Contract) -> bool:
    return _about_contract(session, contract, Kind.CONTRACT_CANCELLED, contract.assistant_id)


def notify_review_requested(session: Session, contract: Contract) -> bool:
    """Both parties, once: a second call when the contract ends again changes nothing."""
    parties = (contract.owner_id, contract.assistant_id)
    return _each(parties, lambda u: _about_contract(session, contract, Kind.REVIEW_REQUESTED, u))


def notify_review_received(session: Session, review: Review) -> bool:
    note = p.ReviewRef(review_id=review.id)
    return _put(session, review.subject_id, Kind.REVIEW_RECEIVED, f"review:{review.id}", note)


def notify_dispute_resolved(session: Session, resolution: Resolution, contract: Contract) -> bool:
    note = p.ResolutionNote(
        contract_id=contract.id,
        resolution_id=resolution.id,
        note=resolution.note,
        refund_cents=resolution.refund_cents,
        transfer_cents=resolution.transfer_cents,
    )
    if resolution.subject_type == "milestone":
        note["milestone_id"] = resolution.subject_id
    key = resolution_key(resolution.id)
    parties = (contract.owner_id, contract.assistant_id)
    return _each(parties, lambda u: _put(session, u, Kind.DISPUTE_RESOLVED, key, note))


# Fixed work's submissions ----------------------------------------------------------------


def submission_key(submission_id: int, reminder: str = "") -> str:
    """The outbox key of the emails about one submission (``reminder``: which reminder)."""
    return f"submission:{submission_id}{f':{reminder}' if reminder else ''}"


def _about_submission(
    session: Session, submission: Submission, kind: Kind, user_id: int, reminder: str = ""
) -> bool:
    note = p.SubmissionNote(
        contract_id=submission.contract_id,
        submission_id=submission.id,
        milestone_id=submission.milestone_id,
    )
    return _put(session, user_id, kind, submission_key(submission.id, reminder), note)


def notify_work_submitted(session: Session, submission: Submission) -> bool:
    owner_id = submission.contract.owner_id
    return _about_submission(session, submission, Kind.WORK_SUBMITTED, owner_id)


def notify_changes_requested(session: Session, submission: Submission) -> bool:
    assistant_id = submission.contract.assistant_id
    return _about_submission(session, submission, Kind.CHANGES_REQUESTED, assistant_id)


def notify_release_reminder(session: Session, submission: Submission, reminder: str) -> bool:
    """``reminder`` names which one ("3d", "1d"): each is sent once."""
    owner_id = submission.contract.owner_id
    return _about_submission(session, submission, Kind.RELEASE_REMINDER, owner_id, reminder)


def notify_work_released(session: Session, submission: Submission) -> bool:
    contract = submission.contract
    parties = (contract.owner_id, contract.assistant_id)
    kind = Kind.WORK_RELEASED
    return _each(parties, lambda u: _about_submission(session, submission, kind, u))


# Hourly weeks ----------------------------------------------------------------------------


def _about_week(session: Session, sheet: Timesheet, kind: Kind, user_id: int, key: str) -> bool:
    note = p.TimesheetRef(timesheet_id=sheet.id, contract_id=sheet.contract_id)
    return _put(session, user_id, kind, key, note)


def _week_to(session: Session, sheet: Timesheet, kind: Kind, user_id: int) -> bool:
    return _about_week(session, sheet, kind, user_id, f"timesheet:{sheet.id}")


def notify_timesheet_ready(session: Session, sheet: Timesheet) -> bool:
    return _week_to(session, sheet, Kind.TIMESHEET_READY, sheet.contract.owner_id)


def notify_review_closing(session: Session, sheet: Timesheet) -> bool:
    return _week_to(session, sheet, Kind.REVIEW_CLOSING, sheet.contract.owner_id)


def notify_timesheet_approved(session: Session, sheet: Timesheet) -> bool:
    """As logged, by the owner or automatically (a week with disputed entries is told by
    ``notify_timesheet_disputed`` instead)."""
    return _week_to(session, sheet, Kind.TIMESHEET_APPROVED, sheet.contract.assistant_id)


def notify_timesheet_disputed(session: Session, sheet: Timesheet) -> bool:
    """The owner approved the week minus some entries: which, and why."""
    return _week_to(session, sheet, Kind.TIMESHEET_DISPUTED, sheet.contract.assistant_id)


def notify_charge_failed(session: Session, sheet: Timesheet, attempt: int) -> bool:
    """Both parties, once per charge attempt."""
    parties = (sheet.contract.owner_id, sheet.contract.assistant_id)
    key = f"timesheet:{sheet.id}:{attempt}"
    return _each(parties, lambda u: _about_week(session, sheet, Kind.CHARGE_FAILED, u, key))


def notify_timesheet_charged(session: Session, sheet: Timesheet) -> bool:
    return _week_to(session, sheet, Kind.TIMESHEET_CHARGED, sheet.contract.owner_id)


def notify_payout_held(session: Session, sheet: Timesheet) -> bool:
    """The assistant only: the owner took the money back and knows it."""
    note = p.PayoutHeldNote(timesheet_id=sheet.id, contract_id=sheet.contract_id)
    key = f"timesheet:{sheet.id}"
    return _put(session, sheet.contract.assistant_id, Kind.PAYOUT_HELD, key, note)


def notify_settlement_payout_held(session: Session, settlement: DisputeSettlement) -> bool:
    """As ``notify_payout_held``, for the share of an operator's settlement of the week's
    disputed time: its own payment was taken back. Keyed by the settlement, so a hold on
    the week itself is told on its own."""
    sheet = settlement.timesheet
    note = p.PayoutHeldNote(
        timesheet_id=sheet.id, contract_id=sheet.contract_id, settlement_id=settlement.id
    )
    key = f"timesheet_dispute:{settlement.id}:held"
    return _put(session, sheet.contract.assistant_id, Kind.PAYOUT_HELD, key, note)


def notify_timesheet_paid(session: Session, sheet: Timesheet) -> bool:
    return _week_to(session, sheet, Kind.TIMESHEET_PAID, sheet.contract.assistant_id)


def _about_stop(session: Session, contract: Contract, kind: Kind, user_id: int) -> bool:
    # One per pause (or end): a contract paused, resumed and paused again tells them again.
    stamp = (contract.paused_at or contract.ended_at or utcnow()).isoformat()
    note = p.ContractRef(contract_id=contract.id)
    return _put(session, user_id, kind, f"{contract_key(contract.id)}:{stamp}", note)


def notify_contract_paused(session: Session, contract: Contract) -> bool:
    return _about_stop(session, contract, Kind.CONTRACT_PAUSED, contract.assistant_id)


def notify_contract_ended(session: Session, contract: Contract, user_ids: Iterable[int]) -> bool:
    """``user_ids``: the parties who did not end it themselves."""
    return _each(user_ids, lambda u: _about_stop(session, contract, Kind.CONTRACT_ENDED, u))


def _about_settlement(
    session: Session, settlement: DisputeSettlement, kind: Kind, user_id: int, key: str
) -> bool:
    return _put(session, user_id, kind, key, p.SettlementRef(settlement_id=settlement.id))


def notify_time_dispute_settled(session: Session, settlement: DisputeSettlement) -> bool:
    contract = settlement.timesheet.contract
    key = f"timesheet_dispute:{settlement.id}"
    kind = Kind.TIMESHEET_DISPUTE_SETTLED
    parties = (contract.owner_id, contract.assistant_id)
    return _each(parties, lambda u: _about_settlement(session, settlement, kind, u, key))


def notify_settlement_charge_failed(
    session: Session, settlement: DisputeSettlement, attempt: int
) -> bool:
    """The owner, once per charge attempt."""
    owner_id = settlement.timesheet.contract.owner_id
    key = f"timesheet_dispute:{settlement.id}:{attempt}"
    kind = Kind.SETTLEMENT_CHARGE_FAILED
    return _about_settlement(session, settlement, kind, owner_id, key)


# Messages --------------------------------------------------------------------------------


def messages_key_prefix(conversation_id: int) -> str:
    """What every new-messages key of one conversation starts with (to find those queued)."""
    return f"conversation:{conversation_id}:"


def notify_new_messages(
    session: Session,
    conversation: Conversation,
    recipient_id: int,
    first_message_id: int,
    *,
    not_before: datetime,
) -> bool:
    """One email for the messages from ``first_message_id`` on, held back until
    ``not_before`` so that what arrives meanwhile goes in it too."""
    key = f"{messages_key_prefix(conversation.id)}{first_message_id}"
    note = p.MessagesNote(conversation_id=conversation.id, from_message_id=first_message_id)
    return _put(session, recipient_id, Kind.NEW_MESSAGES, key, note, not_before=not_before)


# The account -----------------------------------------------------------------------------

# Account emails with links (confirmation, reset, "you already have an account") per account
# and hour: enough for a person who mistypes, too few to flood somebody's inbox through us.
ACCOUNT_EMAILS_PER_HOUR = 5


def _about_account(session: Session, user: User, kind: Kind, payload: Mapping[str, object]) -> bool:
    """False, for a link email, when the account has had its share this hour. A fresh key
    each time: every sign-up, resend or reset is its own email."""
    if kind in ACCOUNT_LINK_KINDS:
        since = utcnow() - timedelta(hours=1)
        recent = session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id,
                Notification.kind.in_(ACCOUNT_LINK_KINDS),
                Notification.created_at > since,
            )
        )
        if (recent or 0) >= ACCOUNT_EMAILS_PER_HOUR:
            return False
    return _put(session, user.id, kind, f"{kind.value}:{secrets.token_hex(8)}", payload)


def notify_signup_confirmation(session: Session, user: User) -> bool:
    note = p.LinkNote(fingerprint=tokens.fingerprint(user))
    return _about_account(session, user, Kind.SIGNUP_CONFIRMATION, note)


def notify_account_exists(session: Session, user: User, *, email_change: bool = False) -> bool:
    """``email_change``: somebody tried to move their account to this one's address."""
    note = p.AccountExistsNote(reason="email_change") if email_change else p.AccountExistsNote()
    return _about_account(session, user, Kind.ACCOUNT_EXISTS, note)


def notify_password_reset(session: Session, user: User) -> bool:
    note = p.LinkNote(fingerprint=tokens.fingerprint(user))
    return _about_account(session, user, Kind.PASSWORD_RESET, note)


def notify_password_changed(session: Session, user: User) -> bool:
    return _about_account(session, user, Kind.PASSWORD_CHANGED, p.EmptyNote())


def notify_email_change_confirm(session: Session, user: User, new_email: str) -> bool:
    """To the new address, with the link that moves the account there."""
    note = p.EmailChangeConfirmNote(to=new_email, fingerprint=tokens.fingerprint(user))
    return _about_account(session, user, Kind.EMAIL_CHANGE_CONFIRM, note)


def notify_email_change_requested(session: Session, user: User, new_email: str) -> bool:
    note = p.EmailChangeRequestedNote(new=new_email)
    return _about_account(session, user, Kind.EMAIL_CHANGE_REQUESTED, note)


def notify_email_changed(session: Session, user: User, old_email: str, new_email: str) -> bool:
    """To the old address: the account has moved to the new one."""
    note = p.EmailChangedNote(to=old_email, new=new_email)
    return _about_account(session, user, Kind.EMAIL_CHANGED, note)
