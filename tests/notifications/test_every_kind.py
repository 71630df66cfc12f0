"""Every kind of notification, from the rows that cause it to the email a person reads.

For each ``Kind``: the real rows (a task, a proposal, a contract, a week, a review...) in the
state the news is about, the kind's function in ``notifications.notices``, and the email the
sender would build from the row it queued: subject, text and HTML, each saying what the
reader needs (the task, the amount, the note, the link). A kind added without a function, a
renderer and templates fails here, as does a payload key renamed on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.contracts import milestones
from marketplace.contracts.models import (
    Contract,
    ContractKind,
    ContractStatus,
    Milestone,
    MilestoneStatus,
    Submission,
    SubmissionAnswer,
)
from marketplace.db import utcnow
from marketplace.hiring.models import ProposalStatus
from marketplace.hiring.services import apply_to_task
from marketplace.matches.models import Invitation, Match
from marketplace.messages.models import Message
from marketplace.messages.services import open_conversation
from marketplace.notifications import notices
from marketplace.notifications.digest import send_daily_digests
from marketplace.notifications.emails import build_message
from marketplace.notifications.models import Frequency, Kind, Notification
from marketplace.notifications.payloads import SHAPES
from marketplace.notifications.services import preferences_of, save_preferences
from marketplace.operator.models import Outcome, Resolution
from marketplace.reports.models import ProfileReport
from marketplace.reviews.models import Review, Side
from marketplace.timesheets.models import (
    DisputeSettlement,
    SettlementOutcome,
    SettlementStatus,
    TimeEntry,
    Timesheet,
    TimesheetStatus,
)
from matching import Match as RankedMatch
from tests.factories import make_assistant, make_owner, make_task, make_user
from tests.matches.test_explain import EXPLANATION
from tests.operator.helpers import make_operator

TITLE = "Reconcile our QuickBooks"
NOTE = "I reconcile bank feeds in QuickBooks for three bakeries."
BASE = "http://localhost"


@dataclass
class Told:
    """Who gets the email and what it must say: in the subject, and in both bodies."""

    to: object
    subject: list[str]
    body: list[str] = field(default_factory=list)
    by_name: bool = True  # False: to an address nobody has confirmed, greeted without a name


@dataclass
class World:
    session: object
    owner: object
    va: object
    task: object
    proposal: object

    def contract(self, status: ContractStatus, *, hourly: bool = False, **kw) -> Contract:
        contract = Contract(
            task_id=self.task.id,
            owner_id=self.owner.id,
            assistant_id=self.va.id,
            proposal_id=self.proposal.id,
            kind=ContractKind.HOURLY if hourly else ContractKind.FIXED,
            hours=10,
            rate_cents=2800,
            currency="USD",
            # 10 h at $28: $280, of which $28 is the fee; an hourly one is billed by the week.
            total_cents=0 if hourly else 28000,
            fee_cents=0 if hourly else 2800,
            fee_bps=1000 if hourly else None,
            status=status,
            **kw,
        )
        self.session.add(contract)
        self.session.flush()
        if not hourly:  # a fixed contract is worked in milestones: here one, for it all
            statuses = {m.value for m in MilestoneStatus}
            self.session.add(
                Milestone(
                    contract_id=contract.id,
                    number=1,
                    title=TITLE,
                    amount_cents=contract.total_cents,
                    fee_cents=contract.fee_cents,
                    status=MilestoneStatus(status.value)
                    if status.value in statuses
                    else MilestoneStatus.FUNDED,
                )
            )
            self.session.flush()
        return contract

    def week(self, status: TimesheetStatus, **kw) -> Timesheet:
        """Mon 7 to Sun 13 Dec 2026: 3 h on Monday, 1 h 30 on Tuesday; $126 if all approved
        ($113.40 to the assistant)."""
        contract = self.contract(ContractStatus.ACTIVE, hourly=True)
        sheet = Timesheet(
            contract_id=contract.id,
            week_start=date(2026, 12, 7),
            status=status,
            closes_at=utcnow(),
            review_due_at=utcnow() + timedelta(days=5),
            **kw,
        )
        self.session.add(sheet)
        self.session.flush()
        for day, minutes, memo in ((7, 180, "Bank feeds"), (8, 90, "Receipts")):
            self.session.add(
                TimeEntry(
                    timesheet_id=sheet.id, work_date=date(2026, 12, day), minutes=minutes, memo=memo
                )
            )
        self.session.flush()
        self.session.refresh(sheet)
        return sheet

    def billed(self, status: TimesheetStatus, **kw) -> Timesheet:
        return self.week(status, approved_minutes=270, amount_cents=12600, fee_cents=1260, **kw)

    def submission(self, contract: Contract, **kw) -> Submission:
        (milestone,) = milestones.of(self.session, contract.id)
        submission = Submission(
            contract_id=contract.id,
            milestone_id=milestone.id,
            number=1,
            note="The books balance to the cent; the report is attached.",
            submitted_at=utcnow(),
            release_due_at=utcnow() + timedelta(days=7),
            **kw,
        )
        self.session.add(submission)
        self.session.flush()
        return submission

    def settlement(self, status: SettlementStatus) -> DisputeSettlement:
        sheet = self.billed(TimesheetStatus.PAID)
        monday = sheet.entries[0]
        monday.dispute_reason = "Two hours at most"
        settlement = DisputeSettlement(
            timesheet_id=sheet.id,
            operator_id=make_operator(self.session).id,
            outcome=SettlementOutcome.PAY,
            minutes=120,
            amount_cents=5600,
            fee_cents=560,
            note="The log shows two hours of work on the feeds.",
            status=status,
        )
        self.session.add(settlement)
        self.session.flush()
        monday.settlement_id = settlement.id
        self.session.flush()
        return settlement


def _match(w: World) -> Told:
    ranked = RankedMatch(w.va.id, 0.82, EXPLANATION)
    prefs = preferences_of(w.session, w.va.id)
    notices.notify_new_match(w.session, w.va.id, w.task.id, ranked, prefs=prefs)
    return Told(w.va, [TITLE, "82%"], [TITLE, f"{BASE}/tasks/{w.task.id}", "Gmail"])


def _recommendations(w: World) -> Told:
    w.session.add(
        Match(
            task_id=w.task.id,
            assistant_id=w.va.id,
            score=0.82,
            explanation=EXPLANATION,
            matcher_version="test",
        )
    )
    w.session.flush()
    notices.notify_recommendations(w.session, w.task)
    return Told(w.owner, [TITLE], ["Joy Santos", "82%", f"{BASE}/tasks/{w.task.id}"])


def _invitation(w: World) -> Told:
    invitation = Invitation(
        task_id=w.task.id, assistant_id=w.va.id, rate_cents=2800, currency="USD", hours=10
    )
    w.session.add(invitation)
    w.session.flush()
    notices.notify_invitation(w.session, invitation)
    return Told(w.va, ["Dana Baker", TITLE], [f"{BASE}/tasks/{w.task.id}"])


def _new_proposal(w: World) -> Told:
    notices.notify_new_proposal(w.session, w.proposal)
    return Told(w.owner, ["Joy Santos", TITLE], [NOTE, f"{BASE}/tasks/{w.task.id}/proposals"])


def _declined(w: World) -> Told:
    w.proposal.status = ProposalStatus.DECLINED
    w.proposal.declined_at = utcnow()
    w.proposal.decline_reason = "We hired someone local."
    w.session.flush()
    notices.notify_proposal_declined(w.session, w.proposal)
    return Told(w.va, ["Dana Baker", TITLE], ["We hired someone local."])


def _report_handled(w: World) -> Told:
    report = ProfileReport(user_id=w.owner.id, reporter_id=w.va.id, reason="spam")
    w.session.add(report)
    w.session.flush()
    notices.notify_report_handled(w.session, w.va.id, "profile", report.id)
    return Told(w.va, ["report was handled"], ["a person on Delegate"])


def _digest(w: World) -> Told:
    save_preferences(w.session, w.va, Frequency.DAILY, 0.4)
    _match(w)
    w.session.flush()
    assert send_daily_digests(w.session) == 1
    return Told(w.va, [], [f"New job that matches you (82%): {TITLE}", f"{BASE}/tasks/{w.task.id}"])


def _about_contract(status: ContractStatus, tell, to: str, subject: str, body: list[str]):
    def scene(w: World) -> Told:
        contract = w.contract(status)
        tell(w.session, contract)
        return Told(getattr(w, to), [subject, TITLE], [TITLE, *body])

    return scene


def _work_submitted(w: World) -> Told:
    contract = w.contract(ContractStatus.SUBMITTED)
    submission = w.submission(contract)
    notices.notify_work_submitted(w.session, submission)
    return Told(
        w.owner, ["Joy Santos", TITLE], [submission.note, f"{BASE}/contracts/{contract.id}"]
    )


def _changes_requested(w: World) -> Told:
    contract = w.contract(ContractStatus.FUNDED)
    submission = w.submission(
        contract,
        answer=SubmissionAnswer.CHANGES_REQUESTED,
        answer_note="Please add March as well.",
        answered_at=utcnow(),
    )
    notices.notify_changes_requested(w.session, submission)
    return Told(w.va, ["Dana Baker", TITLE], ["Please add March as well."])


def _release_reminder(w: World) -> Told:
    contract = w.contract(ContractStatus.SUBMITTED)
    submission = w.submission(contract)
    notices.notify_release_reminder(w.session, submission, "3d")
    return Told(w.owner, ["Approved automatically on", TITLE], [f"{BASE}/contracts/{contract.id}"])


def _work_released(w: World) -> Told:
    contract = w.contract(ContractStatus.APPROVED, approved_at=utcnow())
    submission = w.submission(
        contract, answer=SubmissionAnswer.APPROVED, answered_at=utcnow(), auto_released=True
    )
    notices.notify_work_released(w.session, submission)
    return Told(w.va, ["approved automatically", TITLE], [f"{BASE}/contracts/{contract.id}"])


def _signup(w: World) -> Told:
    pending = make_user(w.session, w.va.role, email="new@example.com", email_verified_at=None)
    notices.notify_signup_confirmation(w.session, pending)
    return Told(pending, ["Confirm your email"], ["new@example.com", f"{BASE}/"], by_name=False)


def _account_exists(w: World) -> Told:
    notices.notify_account_exists(w.session, w.va)
    return Told(w.va, ["already have a Delegate account"], [w.va.email, f"{BASE}/login"])


def _password_reset(w: World) -> Told:
    notices.notify_password_reset(w.session, w.va)
    return Told(w.va, ["Choose a new password"], [f"{BASE}/"])


def _password_changed(w: World) -> Told:
    notices.notify_password_changed(w.session, w.va)
    return Told(w.va, ["password was changed"], [f"{BASE}/"])


def _email_change_confirm(w: World) -> Told:
    w.va.pending_email = "joy@new.example"
    w.session.flush()
    notices.notify_email_change_confirm(w.session, w.va, "joy@new.example")
    return Told(w.va, ["Confirm your new email"], ["joy@new.example", f"{BASE}/"], by_name=False)


def _email_change_requested(w: World) -> Told:
    notices.notify_email_change_requested(w.session, w.va, "joy@new.example")
    return Told(w.va, ["about to change"], ["joy@new.example"])


def _email_changed(w: World) -> Told:
    notices.notify_email_changed(w.session, w.va, "joy@old.example", "joy@new.example")
    return Told(w.va, ["new email address"], ["joy@new.example"])


def _messages(w: World) -> Told:
    conversation = open_conversation(w.session, w.task, w.va.id)
    message = Message(conversation_id=conversation.id, sender_id=w.owner.id, body="Start Monday?")
    w.session.add(message)
    w.session.flush()
    notices.notify_new_messages(w.session, conversation, w.va.id, message.id, not_before=utcnow())
    return Told(
        w.va, ["Dana Baker", TITLE], ["Start Monday?", f"{BASE}/messages/{conversation.id}"]
    )


def _dispute_resolved(w: World) -> Told:
    contract = w.contract(ContractStatus.REFUNDED, funded_at=utcnow())
    resolution = Resolution(
        contract_id=contract.id,
        subject_type="contract",
        subject_id=contract.id,
        operator_id=make_operator(w.session).id,
        outcome=Outcome.REFUND,
        refund_cents=10000,
        transfer_cents=18000,
        note="Half the months were done; the rest is refunded.",
    )
    w.session.add(resolution)
    w.session.flush()
    notices.notify_dispute_resolved(w.session, resolution, contract)
    return Told(w.owner, [TITLE], [resolution.note, "$100", "$180"])


WEEK = "Mon 07 Dec to Sun 13 Dec 2026"


def _week_scene(status, tell, to: str, subject: str, body: list[str], **kw):
    def scene(w: World) -> Told:
        sheet = w.billed(status, **kw) if status != TimesheetStatus.IN_REVIEW else w.week(status)
        tell(w.session, sheet)
        return Told(getattr(w, to), [subject, WEEK], [WEEK, TITLE, *body])

    return scene


def _disputed(w: World) -> Told:
    sheet = w.week(TimesheetStatus.APPROVED, approved_minutes=90, amount_cents=4200, fee_cents=420)
    sheet.entries[0].dispute_reason = "I did the feeds myself"
    w.session.flush()
    notices.notify_timesheet_disputed(w.session, sheet)
    return Told(
        w.va,
        ["Dana Baker disputed time", WEEK, TITLE],
        ['Mon 07 Dec, 3 h (Bank feeds): "I did the feeds myself"', "$42", "$37.80"],
    )


def _charge_failed(w: World) -> Told:
    sheet = w.billed(TimesheetStatus.CHARGE_FAILED, last_payment_error="Your card was declined.")
    notices.notify_charge_failed(w.session, sheet, 1)
    return Told(w.owner, ["Payment failed", TITLE], ["Your card was declined.", "$126"])


def _paused(w: World) -> Told:
    contract = w.contract(ContractStatus.PAUSED, hourly=True, paused_at=utcnow())
    notices.notify_contract_paused(w.session, contract)
    return Told(w.va, [TITLE], [f"{BASE}/contracts/{contract.id}"])


def _ended(w: World) -> Told:
    contract = w.contract(ContractStatus.ENDED, hourly=True, ended_at=utcnow())
    notices.notify_contract_ended(w.session, contract, [w.va.id])
    return Told(w.va, [TITLE], [f"{BASE}/contracts/{contract.id}"])


def _review_requested(w: World) -> Told:
    contract = w.contract(ContractStatus.PAID, paid_at=utcnow())
    notices.notify_review_requested(w.session, contract)
    return Told(w.owner, ["Joy Santos", TITLE], [f"{BASE}/contracts/{contract.id}/review"])


def _review_received(w: World) -> Told:
    contract = w.contract(ContractStatus.PAID, paid_at=utcnow() - timedelta(days=3))
    review = Review(
        contract_id=contract.id,
        author_id=w.owner.id,
        subject_id=w.va.id,
        author_side=Side.OWNER,
        rating=5,
        body="Fast, careful and kind.",
        visible_from=utcnow(),
        revealed_at=utcnow(),
    )
    w.session.add(review)
    w.session.flush()
    notices.notify_review_received(w.session, review)
    return Told(w.va, ["Dana Baker", "5/5", TITLE], ["Fast, careful and kind."])


def _settled(w: World) -> Told:
    settlement = w.settlement(SettlementStatus.SETTLED)
    notices.notify_time_dispute_settled(w.session, settlement)
    return Told(w.va, [TITLE], [settlement.note, "2 h", "$50.40"])


def _settlement_failed(w: World) -> Told:
    settlement = w.settlement(SettlementStatus.CHARGE_FAILED)
    notices.notify_settlement_charge_failed(w.session, settlement, 1)
    return Told(w.owner, [TITLE], ["$56"])


SCENES = {
    Kind.NEW_MATCH: _match,
    Kind.RECOMMENDATIONS: _recommendations,
    Kind.INVITATION: _invitation,
    Kind.NEW_PROPOSAL: _new_proposal,
    Kind.PROPOSAL_DECLINED: _declined,
    Kind.REPORT_HANDLED: _report_handled,
    Kind.DAILY_DIGEST: _digest,
    Kind.CONTRACT_FUNDED: _about_contract(
        ContractStatus.FUNDED,
        notices.notify_contract_funded,
        "owner",
        "Payment received",
        ["$280", f"{BASE}/contracts/"],
    ),  # fmt: skip
    Kind.PAYMENT_SENT: _about_contract(
        ContractStatus.PAID,
        lambda session, c: notices.notify_payment_sent(
            session, c, milestones.of(session, c.id)[0], 1
        ),
        "va",
        "paid $252",
        ["$252", "$28"],
    ),
    Kind.REFUND_ISSUED: _about_contract(
        ContractStatus.REFUNDED, notices.notify_refund_issued, "owner", "Refund of $280", []
    ),
    Kind.INVITATION_ACCEPTED: _about_contract(
        ContractStatus.AWAITING_FUNDING,
        notices.notify_invitation_accepted,
        "owner",
        "accepted",
        [f"{BASE}/contracts/"],
    ),  # fmt: skip
    Kind.CONTRACT_CANCELLED: _about_contract(
        ContractStatus.CANCELLED,
        notices.notify_contract_cancelled,
        "va",
        "cancelled",
        [f"{BASE}/contracts/"],
    ),  # fmt: skip
    Kind.WORK_SUBMITTED: _work_submitted,
    Kind.CHANGES_REQUESTED: _changes_requested,
    Kind.RELEASE_REMINDER: _release_reminder,
    Kind.WORK_RELEASED: _work_released,
    Kind.SIGNUP_CONFIRMATION: _signup,
    Kind.ACCOUNT_EXISTS: _account_exists,
    Kind.PASSWORD_RESET: _password_reset,
    Kind.PASSWORD_CHANGED: _password_changed,
    Kind.EMAIL_CHANGE_CONFIRM: _email_change_confirm,
    Kind.EMAIL_CHANGE_REQUESTED: _email_change_requested,
    Kind.EMAIL_CHANGED: _email_changed,
    Kind.NEW_MESSAGES: _messages,
    Kind.DISPUTE_RESOLVED: _dispute_resolved,
    Kind.TIMESHEET_READY: _week_scene(
        TimesheetStatus.IN_REVIEW, notices.notify_timesheet_ready, "owner", "Review the week", []
    ),
    Kind.REVIEW_CLOSING: _week_scene(
        TimesheetStatus.IN_REVIEW, notices.notify_review_closing, "owner", "tomorrow", ["$126"]
    ),
    Kind.TIMESHEET_APPROVED: _week_scene(
        TimesheetStatus.APPROVED,
        notices.notify_timesheet_approved,
        "va",
        "is approved",
        ["$126", "$113.40"],
    ),  # fmt: skip
    Kind.TIMESHEET_DISPUTED: _disputed,
    Kind.CHARGE_FAILED: _charge_failed,
    Kind.TIMESHEET_CHARGED: _week_scene(
        TimesheetStatus.CHARGED,
        notices.notify_timesheet_charged,
        "owner",
        "Receipt: $126 for",
        [],
    ),  # fmt: skip
    Kind.PAYOUT_HELD: _week_scene(
        TimesheetStatus.CHARGED,
        notices.notify_payout_held,
        "va",
        "is on hold",
        ["The owner's payment for this week was disputed by the card holder", "$113.40"],
        payout_hold="The owner's payment for this week was disputed by the card holder; "
        "Delegate's support settles it.",
    ),  # fmt: skip
    Kind.TIMESHEET_PAID: _week_scene(
        TimesheetStatus.PAID, notices.notify_timesheet_paid, "va", "paid", ["$113.40"]
    ),
    Kind.CONTRACT_PAUSED: _paused,
    Kind.CONTRACT_ENDED: _ended,
    Kind.REVIEW_REQUESTED: _review_requested,
    Kind.REVIEW_RECEIVED: _review_received,
    Kind.TIMESHEET_DISPUTE_SETTLED: _settled,
    Kind.SETTLEMENT_CHARGE_FAILED: _settlement_failed,
}


def _world(session) -> World:
    owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
    task = make_task(session, owner, title=TITLE)
    va = make_assistant(session, display_name="Joy Santos")
    proposal = apply_to_task(session, va, task.id, cover_note=NOTE, proposed_rate_cents=2800)
    return World(session, owner, va, task, proposal)


@pytest.mark.parametrize("kind", list(Kind), ids=lambda kind: kind.value)
def test_every_kind_is_emailed_from_the_rows_it_is_about(app, db_session, monkeypatch, kind):
    assert kind in SCENES, f"{kind}: add its function to notices, its renderer and a scene here"
    assert kind in SHAPES, f"{kind}: say in payloads.SHAPES what its payload carries"
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 0)  # today's digest is due at any hour
    with app.app_context():
        told = SCENES[kind](_world(db_session))
        db_session.flush()
        [row] = db_session.scalars(
            select(Notification).where(
                Notification.user_id == told.to.id, Notification.kind == kind
            )
        ).all()
        msg = build_message(db_session, row)
    assert msg is not None, f"{kind}: its email would not be sent"
    subject = msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = unescape(msg.get_body(("html",)).get_content())
    for words in told.subject:
        assert words in subject, (kind, subject)
    for words in told.body:
        assert words in text, (kind, words, text)
        assert words in html, (kind, words, html)
    assert (f"Hi {told.to.display_name}," if told.by_name else "Hello,") in text


def test_a_payload_without_a_key_its_email_reads_is_refused_when_written(app, db_session):
    with app.app_context():
        world = _world(db_session)
        with pytest.raises(TypeError, match="needs proposal_id"):
            notices._put(
                db_session, world.owner.id, Kind.NEW_PROPOSAL, "proposal:x", {"task_id": 1}
            )
