"""What each kind of notification carries in its row's JSON payload: one shape per kind.

The shapes are written by ``notices`` (mypy checks every key there) and read back by the
email renderers through ``payload_of`` (mypy checks every key there too), so a renamed
field is a type error on both sides rather than a KeyError when the email is sent. Rows
already in the outbox were written with these same keys; the optional ones (``NotRequired``)
are those older rows may lack.
"""

# No ``from __future__ import annotations`` here: TypedDict must see ``NotRequired`` itself
# (Python 3.11 reads string annotations as required keys).
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, TypeVar, cast

from .models import Kind, Notification


class TaskRef(TypedDict):
    task_id: int


class MatchNote(TypedDict):
    task_id: int
    score: float
    explanation: dict[str, Any]


class InvitationNote(TypedDict):
    task_id: int
    invitation_id: int


class ProposalNote(TypedDict):
    task_id: int
    proposal_id: int


class ReportNote(TypedDict):
    subject: str  # what was reported: "message" or "profile"


class DigestNote(TypedDict):
    items: list[int]  # the digested notifications' ids, oldest first


class ContractRef(TypedDict):
    contract_id: int


class SubmissionNote(TypedDict):
    contract_id: int
    submission_id: NotRequired[int]  # absent in rows queued before submissions existed
    milestone_id: NotRequired[int]  # absent in rows queued before milestones existed


class FundingNote(ContractRef):
    milestone_id: NotRequired[int]  # the milestone paid for, on a contract paid by milestone


class PaymentNote(ContractRef):
    milestone_id: NotRequired[int]  # the milestone paid; absent before milestones existed


class LinkNote(TypedDict):
    fingerprint: str  # the account's state the link is for (accounts.tokens)


class AccountExistsNote(TypedDict):
    reason: NotRequired[str]  # "email_change": somebody tried to move their account here


class EmptyNote(TypedDict):
    pass


class EmailChangeConfirmNote(TypedDict):
    to: str  # the new address: this email goes there
    fingerprint: str


class EmailChangeRequestedNote(TypedDict):
    new: str


class EmailChangedNote(TypedDict):
    to: str  # the old address: this email goes there
    new: str


# The account notices whose templates read their payload's fields themselves.
AccountNote = EmptyNote | EmailChangeRequestedNote | EmailChangedNote


class MessagesNote(TypedDict):
    conversation_id: int
    from_message_id: NotRequired[int]  # what is new since the last email starts here


class ResolutionNote(TypedDict):
    contract_id: int
    resolution_id: int
    note: str
    refund_cents: int
    transfer_cents: int
    milestone_id: NotRequired[int]  # the milestone settled, when only one was disputed


class TimesheetRef(TypedDict):
    timesheet_id: int
    contract_id: int


class PayoutHeldNote(TimesheetRef):
    # The operator's settlement of the week's disputed time whose payment was taken back,
    # when it is that payout held and not the week's own; absent in older rows.
    settlement_id: NotRequired[int]


class SettlementRef(TypedDict):
    settlement_id: int


class ReviewRef(TypedDict):
    review_id: int


SHAPES: dict[Kind, type] = {
    Kind.NEW_MATCH: MatchNote,
    Kind.RECOMMENDATIONS: TaskRef,
    Kind.INVITATION: InvitationNote,
    Kind.NEW_PROPOSAL: ProposalNote,
    Kind.PROPOSAL_DECLINED: ProposalNote,
    Kind.REPORT_HANDLED: ReportNote,
    Kind.DAILY_DIGEST: DigestNote,
    Kind.CONTRACT_FUNDED: FundingNote,
    Kind.PAYMENT_SENT: PaymentNote,
    Kind.REFUND_ISSUED: ContractRef,
    Kind.INVITATION_ACCEPTED: ContractRef,
    Kind.CONTRACT_CANCELLED: ContractRef,
    Kind.WORK_SUBMITTED: SubmissionNote,
    Kind.CHANGES_REQUESTED: SubmissionNote,
    Kind.RELEASE_REMINDER: SubmissionNote,
    Kind.WORK_RELEASED: SubmissionNote,
    Kind.SIGNUP_CONFIRMATION: LinkNote,
    Kind.ACCOUNT_EXISTS: AccountExistsNote,
    Kind.PASSWORD_RESET: LinkNote,
    Kind.PASSWORD_CHANGED: EmptyNote,
    Kind.EMAIL_CHANGE_CONFIRM: EmailChangeConfirmNote,
    Kind.EMAIL_CHANGE_REQUESTED: EmailChangeRequestedNote,
    Kind.EMAIL_CHANGED: EmailChangedNote,
    Kind.NEW_MESSAGES: MessagesNote,
    Kind.DISPUTE_RESOLVED: ResolutionNote,
    Kind.TIMESHEET_READY: TimesheetRef,
    Kind.REVIEW_CLOSING: TimesheetRef,
    Kind.TIMESHEET_APPROVED: TimesheetRef,
    Kind.TIMESHEET_DISPUTED: TimesheetRef,
    Kind.CHARGE_FAILED: TimesheetRef,
    Kind.TIMESHEET_CHARGED: TimesheetRef,
    Kind.PAYOUT_HELD: PayoutHeldNote,
    Kind.TIMESHEET_PAID: TimesheetRef,
    Kind.CONTRACT_PAUSED: ContractRef,
    Kind.CONTRACT_ENDED: ContractRef,
    Kind.REVIEW_REQUESTED: ContractRef,
    Kind.REVIEW_RECEIVED: ReviewRef,
    Kind.TIMESHEET_DISPUTE_SETTLED: SettlementRef,
    Kind.SETTLEMENT_CHARGE_FAILED: SettlementRef,
}

P = TypeVar("P")


def check(kind: Kind, payload: Mapping[str, object]) -> None:
    """Refuse, when it is written, a payload without a key its kind's email reads."""
    shape = SHAPES[kind]
    missing = shape.__required_keys__ - payload.keys()  # type: ignore[attr-defined]
    if missing:
        raise TypeError(f"a {kind.value} notification needs {', '.join(sorted(missing))}")


def payload_of(n: Notification, shape: type[P]) -> P:
    """The row's payload as its kind's shape (the renderer names the shape it reads)."""
    if SHAPES[n.kind] is not shape:
        raise TypeError(f"a {n.kind.value} notification carries {SHAPES[n.kind].__name__}")
    return cast(P, n.payload)
