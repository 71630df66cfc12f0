"""Deleting an account (issue 11, part 4): what stops it, what goes, what stays.

Money first: while a contract of the person's still holds or owes money (awaiting funding,
funded, submitted, approved with the payout on its way, a refund Stripe has not confirmed,
an hourly contract still running or with a week not yet paid, an operator's settlement in
progress), deletion is refused with a list of what blocks it and where to settle each. An
account with nothing open is deleted at once.

Deleting anonymises rather than removes the ``users`` row: contracts, timesheets, ledger rows,
payouts and Stripe's ids refer to it, and those are kept. Bookkeeping and tax law (seven years
for US tax records; five to ten in the EU and the Philippines) and Stripe's own terms (a
platform must be able to answer a refund or a card dispute on a charge, and to reconcile every
transfer) need them; they name nobody once the account row is anonymised.

What goes: the email address (the address is freed to sign up again), the name (shown as
"Deleted account"), the password, every log-in session, a pending email change, the
profile's headline, bio and skills (the profile row stays for the times and zones old
timesheets are shown in), the text of every message the person wrote and the files they
sent, their planner, their saved card's details (the Stripe Customer stays, for refunds of
past charges), their own notifications (their payloads hold their address) and the words
of reports they made (the reports stay open for the operators, with the reason chosen from
the list but not what the person wrote). Open tasks
are closed and open proposals withdrawn, so nobody waits on them. Reviews the person wrote
stay (the rating belongs to the reviewed party's record) under "Deleted account".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from ..contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid
from ..hiring.models import Proposal, ProposalStatus
from ..matches.models import Match
from ..messages.attachments import delete_user_files
from ..messages.models import Message, MessageReport
from ..notifications.models import Notification
from ..operator.models import Resolution, ResolutionStatus
from ..payments.models import BillingProfile
from ..planner.models import Plan
from ..profiles.models import AssistantProfile
from ..reports.models import ProfileReport
from ..tasks.models import Task, TaskStatus
from ..timesheets.models import TimeEntry, Timesheet, TimesheetStatus
from . import sessions
from .models import User
from .services import password_matches

DELETED_NAME = "Deleted account"
DELETED_MESSAGE = "This message was removed when its author deleted their account."
DELETED_REPORT = "(The reporter deleted their account; what they wrote was removed.)"
CONFIRM_WORD = "DELETE"

# A contract in one of these still moves money, so the account behind it must stay.
_OPEN_CONTRACT = {
    ContractStatus.AWAITING_FUNDING: "is waiting for the owner's payment: pay it or cancel it",
    ContractStatus.FUNDED: "is funded and the work is under way: finish it, or cancel it",
    ContractStatus.SUBMITTED: "has work submitted for approval: approve it or ask for changes",
    ContractStatus.APPROVED: "is approved and its payout is still on its way to the assistant",
    ContractStatus.CANCELLED: "is cancelled and Stripe has not yet confirmed the refund",
    ContractStatus.ACTIVE: "is an hourly contract still running: end it first",
    ContractStatus.PAUSED: "is an hourly contract on pause: end it first",
}
# An hourly week in one of these is not yet paid for, or not yet paid out.
_UNSETTLED_WEEK = (
    TimesheetStatus.OPEN,
    TimesheetStatus.IN_REVIEW,
    TimesheetStatus.APPROVED,
    TimesheetStatus.CHARGE_FAILED,
    TimesheetStatus.CHARGED,
)


@dataclass(frozen=True)
class Blocker:
    contract_id: int
    reason: str  # a whole sentence, naming the contract and what settles it


def blockers(session: Session, user: User) -> list[Blocker]:
    """What must be settled before the account can go, contract by contract."""
    mine = or_(Contract.owner_id == user.id, Contract.assistant_id == user.id)
    found: dict[int, Blocker] = {}

    def add(contract: Contract, why: str) -> None:
        other = contract.assistant if contract.owner_id == user.id else contract.owner
        found.setdefault(
            contract.id,
            Blocker(contract.id, f"“{contract.task.title}” with {other.display_name} {why}."),
        )

    for contract in session.scalars(
        select(Contract).where(mine, Contract.status.in_(_OPEN_CONTRACT)).order_by(Contract.id)
    ):
        add(contract, _OPEN_CONTRACT[contract.status])
    weeks = session.execute(
        select(Contract, Timesheet.week_start)
        .join(Timesheet, Timesheet.contract_id == Contract.id)
        .where(
            mine,
            Timesheet.status.in_(_UNSETTLED_WEEK),
            # A running week with no time in it owes nobody anything.
            or_(
                Timesheet.status != TimesheetStatus.OPEN,
                exists().where(TimeEntry.timesheet_id == Timesheet.id),
            ),
        )
        .order_by(Contract.id, Timesheet.week_start)
    )
    for contract, week_start in weeks:
        week = f"{week_start:%d %B %Y}"
        add(contract, f"has the week of {week} still to be reviewed, paid or paid out")
    settling = session.scalars(
        select(Contract)
        .join(Resolution, Resolution.contract_id == Contract.id)
        .where(mine, Resolution.status == ResolutionStatus.SETTLING)
    )
    for contract in settling:
        add(contract, "is being settled by Delegate's support")
    # A contract paid per milestone can end (a milestone paid out, the rest cancelled) with
    # a cancelled milestone's payment still on its way back to the owner.
    refunding = session.scalars(
        select(Contract)
        .join(Milestone, Milestone.contract_id == Contract.id)
        .where(
            mine,
            Milestone.status == MilestoneStatus.CANCELLED,
            Milestone.payment_intent_id.is_not(None),
        )
        .distinct()
    )
    for contract in refunding:
        add(contract, "has a milestone's refund that Stripe has not yet confirmed")
    return sorted(found.values(), key=lambda b: b.contract_id)


def delete_account(session: Session, user: User, password: str, confirm: str) -> None:
    """Anonymise the account and everything personal of it; refused while money is open."""
    if not password_matches(user, password):
        raise Invalid("That is not your current password.", "password")
    if (confirm or "").strip() != CONFIRM_WORD:
        raise Invalid(f"Type {CONFIRM_WORD} to confirm.", "confirm")
    if blockers(session, user):
        raise Conflict("Settle the contracts listed above first: they still move money.")
    uid = user.id
    claim = update(User).where(User.id == uid, User.deleted_at.is_(None))
    if not rows_changed(session, claim.values(deleted_at=utcnow())):
        raise Conflict("This account is already deleted.")
    session.refresh(user)
    user.email = f"deleted-{uid}@deleted.delegate.invalid"
    user.display_name = DELETED_NAME
    user.pending_email = None
    user.password_hash = "!deleted"  # no password hashes to this: nobody can log in
    sessions.sign_out_other_sessions(session, uid, None)

    profile = session.get(AssistantProfile, uid)
    if profile is not None:
        profile.headline = DELETED_NAME
        profile.bio = ""
        profile.skills = []
        session.execute(delete(Match).where(Match.assistant_id == uid))
    session.execute(
        update(Task)
        .where(Task.owner_id == uid, Task.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CLOSED, closed_at=utcnow())
    )
    session.execute(
        update(Proposal)
        .where(Proposal.assistant_id == uid, Proposal.status == ProposalStatus.SUBMITTED)
        .values(status=ProposalStatus.WITHDRAWN)
    )
    # A hire or an acceptance racing this deletion either lost on the rows just updated (the
    # proposal is withdrawn, the task closed) or committed first: then its contract shows here.
    if blockers(session, user):
        raise Conflict("A contract was just created with you: settle it first.")
    session.execute(update(Message).where(Message.sender_id == uid).values(body=DELETED_MESSAGE))
    session.execute(
        update(MessageReport).where(MessageReport.reporter_id == uid).values(reason=DELETED_REPORT)
    )
    session.execute(
        update(ProfileReport).where(ProfileReport.reporter_id == uid).values(details=None)
    )
    delete_user_files(session, uid)
    session.execute(delete(Plan).where(Plan.owner_id == uid))
    session.execute(delete(Notification).where(Notification.user_id == uid))
    session.execute(
        update(BillingProfile)
        .where(BillingProfile.user_id == uid)
        .values(
            payment_method_id=None,
            card_brand=None,
            card_last4=None,
            card_exp_month=None,
            card_exp_year=None,
            card_source_id=None,
        )
    )
    session.flush()
