"""Turning an outbox row into an email: one context function per kind, three templates each.

Templates live in ``templates/email/<kind>/{subject.txt,body.txt,body.html}``. A context
function returns None when the email is no longer worth sending (the task closed, the
proposal was withdrawn); the sender then marks the row skipped instead of mailing stale news.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import tokens
from ..accounts.addresses import wire_address
from ..config import settings
from ..contracts import milestones
from ..contracts.models import (
    Contract,
    ContractStatus,
    Milestone,
    MilestoneStatus,
    Submission,
    SubmissionAnswer,
)
from ..db import utcnow
from ..filters import format_in_zone, zone_label
from ..hiring.models import Proposal, ProposalStatus
from ..matches.explain import explain, percent
from ..matches.models import Match
from ..messages.attachments import names_by_message, what_was_sent, with_file_note
from ..messages.models import Conversation
from ..messages.services import unread_for
from ..payments.models import PayoutAccount
from ..profiles.models import AssistantProfile
from ..reviews import services as reviews
from ..reviews.models import Review
from ..tasks.models import Task
from ..text import single_line
from ..timesheets.models import DisputeSettlement, Timesheet, TimesheetStatus
from ..timesheets.services import amount_for, zone_of
from . import payloads as p
from .models import ACCOUNT_KINDS, Kind, Notification
from .payloads import payload_of
from .services import unsubscribe_token


def absolute_url(endpoint: str, **values) -> str:
    """A link for an email: on BASE_URL's host (SERVER_NAME) in a worker too, where only
    the app context is there to build it."""
    return url_for(endpoint, _external=True, **values)


def _open_task(session: Session, task_id: int) -> Task | None:
    task = session.get(Task, task_id)
    return task if task is not None and task.is_open else None


def _new_match(session: Session, n: Notification) -> dict | None:
    note = payload_of(n, p.MatchNote)
    task = _open_task(session, note["task_id"])
    profile = session.get(AssistantProfile, n.user_id)
    if task is None or profile is None:
        return None
    return {
        "task": task,
        "percent": percent(note["score"]),
        "lines": explain(note["explanation"], task, profile, owner=False),
        "url": absolute_url("tasks.show", task_id=task.id),
        "summary": f"New job that matches you ({percent(note['score'])}%): {task.title}",
    }


def _recommendations(session: Session, n: Notification) -> dict | None:
    task = _open_task(session, payload_of(n, p.TaskRef)["task_id"])
    if task is None:
        return None
    rows = session.execute(
        select(Match, AssistantProfile)
        .join(AssistantProfile, AssistantProfile.user_id == Match.assistant_id)
        .where(Match.task_id == task.id)
        .order_by(Match.score.desc(), Match.assistant_id)
        .limit(3)
    ).all()
    if not rows:
        return None
    top = [
        {
            "name": p.user.display_name,
            "headline": p.headline,
            "percent": percent(m.score),
            "lines": explain(m.explanation, task, p, owner=True),
        }
        for m, p in rows
    ]
    return {
        "task": task,
        "top": top,
        "url": absolute_url("tasks.show", task_id=task.id),
        "summary": f"Assistants recommended for your task: {task.title}",
        "lines": [f"{r['name']} ({r['percent']}%): {r['headline']}" for r in top],
    }


def _invitation(session: Session, n: Notification) -> dict | None:
    task = _open_task(session, payload_of(n, p.InvitationNote)["task_id"])
    profile = session.get(AssistantProfile, n.user_id)
    if task is None or profile is None:
        return None
    match = session.scalar(
        select(Match).where(Match.task_id == task.id, Match.assistant_id == n.user_id)
    )
    lines = explain(match.explanation, task, profile, owner=False) if match else []
    return {
        "task": task,
        "owner_name": task.owner.display_name,
        "lines": lines,
        "url": absolute_url("tasks.show", task_id=task.id),
        "apply_url": absolute_url("hiring.apply", task_id=task.id),
        "summary": f"{task.owner.display_name} invites you to apply: {task.title}",
    }


def _new_proposal(session: Session, n: Notification) -> dict | None:
    proposal = session.get(Proposal, payload_of(n, p.ProposalNote)["proposal_id"])
    if proposal is None or proposal.status != ProposalStatus.SUBMITTED:
        return None
    return {
        "task": proposal.task,
        "proposal": proposal,
        "assistant_name": proposal.assistant.display_name,
        "url": absolute_url("hiring.for_task", task_id=proposal.task_id),
        "summary": f"New proposal from {proposal.assistant.display_name}: {proposal.task.title}",
        "lines": [],
    }


def _proposal_declined(session: Session, n: Notification) -> dict | None:
    proposal = session.get(Proposal, payload_of(n, p.ProposalNote)["proposal_id"])
    if proposal is None or proposal.status != ProposalStatus.DECLINED:
        return None
    return {
        "task": proposal.task,
        "proposal": proposal,
        "owner_name": proposal.task.owner.display_name,
        "url": absolute_url("hiring.mine"),
        "jobs_url": absolute_url("tasks.browse"),
        "summary": f"Proposal declined: {proposal.task.title}",
        "lines": [_preview(proposal.decline_reason, 120)] if proposal.decline_reason else [],
    }


REPORTED = {"message": "a message", "profile": "a person on Delegate"}


def _report_handled(session: Session, n: Notification) -> dict:
    """Only that the report was handled: what happened to the other person is theirs."""
    what = REPORTED.get(payload_of(n, p.ReportNote)["subject"], "something on Delegate")
    return {
        "what": what,
        "url": None,
        "summary": f"Delegate's support handled your report of {what}",
        "lines": [],
    }


def _digest(session: Session, n: Notification) -> dict | None:
    items = []
    for item_id in payload_of(n, p.DigestNote)["items"]:
        item = session.get(Notification, item_id)
        context = CONTEXTS[item.kind](session, item) if item is not None else None
        if context is not None:
            items.append(context)
    if not items:
        return None
    return {"items": items, "url": absolute_url("accounts.index")}


def _contract(
    subject: str,
    *,
    while_status: ContractStatus | None = None,
    shape: type[p.ContractRef] = p.ContractRef,
):
    """Context for the contract emails: the contract and what it means for this recipient;
    with ``while_status``, only while the contract is still in that state when sent.
    ``shape``: the kind's payload, a ContractRef or one that extends it."""

    def context(session: Session, n: Notification) -> dict | None:
        contract = session.get(Contract, payload_of(n, shape)["contract_id"])
        if contract is None or (while_status is not None and contract.status != while_status):
            return None
        return {
            "contract": contract,
            "task": contract.task,
            "is_owner": contract.owner_id == n.user_id,
            "url": absolute_url("contracts.show", contract_id=contract.id),
            "ledger_url": absolute_url("payments.ledger_page"),
            "summary": subject.format(title=contract.task.title),
            "lines": [],
        }

    return context


def _latest_submission(
    session: Session, contract_id: int, milestone_id: int | None = None
) -> Submission | None:
    """The contract's newest submission (of that milestone, when one is named)."""
    of_part = [] if milestone_id is None else [Submission.milestone_id == milestone_id]
    return session.scalar(
        select(Submission)
        .where(Submission.contract_id == contract_id, *of_part)
        .order_by(Submission.number.desc())
        .limit(1)
    )


def _part(session: Session, contract: Contract, milestone_id: int | None) -> dict:
    """The milestone an email is about (``part``: its amount, fee and share are the money the
    email names) and how many the contract has (``several``: 0 when it has only one)."""
    parts = list(
        session.scalars(
            select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.number)
        )
    )
    part = next((m for m in parts if m.id == milestone_id), parts[0] if parts else None)
    # Paid for a milestone at a time: the one the owner is now asked to fund, if any.
    unreleased = [m for m in parts if m.status in milestones.UNRELEASED]
    fund_next = (
        unreleased[0]
        if contract.funded_per_milestone
        and unreleased
        and unreleased[0].status == MilestoneStatus.AWAITING_FUNDING
        else None
    )
    return {"part": part, "several": len(parts) if len(parts) > 1 else 0, "fund_next": fund_next}


def _submission(summary: str, *, while_waiting: bool = False):
    """Context for fixed work's emails about one submission (submitted, changes requested,
    the reminders, released automatically); with ``while_waiting``, only while it still waits
    for the owner's answer. Times are the recipient's, in their own zone."""

    def context(session: Session, n: Notification) -> dict | None:
        note = payload_of(n, p.SubmissionNote)
        contract = session.get(Contract, note["contract_id"])
        if contract is None:
            return None
        submission_id = note.get("submission_id")
        submission = (
            session.get(Submission, submission_id)
            if submission_id
            else _latest_submission(session, contract.id)  # queued before submissions existed
        )
        if submission is None or (while_waiting and not submission.waiting):
            return None
        zone = zone_of(n.user)
        account = session.get(PayoutAccount, contract.assistant_id)
        return {
            "contract": contract,
            "task": contract.task,
            "submission": submission,
            "is_owner": contract.owner_id == n.user_id,
            **_part(session, contract, submission.milestone_id),
            "release_at": format_in_zone(submission.release_due_at, zone, "%a %d %b %Y, %H:%M"),
            "release_day": _day_in(submission.release_due_at, zone),
            "submitted_on": format_in_zone(submission.submitted_at, zone, "%a %d %b %Y, %H:%M"),
            "days": _days(settings().auto_release_days),
            "payout_ready": bool(account and account.payouts_enabled),
            "url": absolute_url("contracts.show", contract_id=contract.id),
            "ledger_url": absolute_url("payments.ledger_page"),
            "summary": summary.format(
                title=contract.task.title,
                assistant=contract.assistant.display_name,
                owner=contract.owner.display_name,
                release_day=_day_in(submission.release_due_at, zone),
            ),
            "lines": [],
        }

    return context


def _day_in(moment, zone: str) -> str:
    """ "Wed 16 Dec": the day a moment falls on where the reader is (the time is in the body)."""
    try:
        info = ZoneInfo(zone)
    except (KeyError, ValueError):
        info = ZoneInfo("UTC")
    return moment.astimezone(info).strftime("%a %d %b")


def _days(value: float) -> str:
    return f"{value:g}"


def _payment_sent(session: Session, n: Notification) -> dict | None:
    context = _contract("You have been paid for {title}", shape=p.PaymentNote)(session, n)
    if context is not None:
        milestone_id = payload_of(n, p.PaymentNote).get("milestone_id")
        last = _latest_submission(session, context["contract"].id, milestone_id)
        context["auto_released"] = bool(
            last and last.answer == SubmissionAnswer.APPROVED and last.auto_released
        )
        context.update(_part(session, context["contract"], milestone_id))
    return context


def _contract_funded(session: Session, n: Notification) -> dict | None:
    context = _contract("Contract funded: {title}", shape=p.FundingNote)(session, n)
    milestone_id = payload_of(n, p.FundingNote).get("milestone_id")
    if context is not None and milestone_id is not None:
        context.update(_part(session, context["contract"], milestone_id))
        context["summary"] = f"Milestone {context['part'].number} funded: {context['task'].title}"
    return context


def _signup_confirmation(session: Session, n: Notification) -> dict | None:
    user = n.user
    # Confirmed meanwhile, or replaced by a newer sign-up (which sends its own link).
    if user.is_verified or not tokens.matches(user, payload_of(n, p.LinkNote)["fingerprint"]):
        return None
    token = tokens.make_token(settings().secret_key, tokens.CONFIRM_SIGNUP, user)
    return {
        "url": absolute_url("accounts.confirm_signup", token=token),
        "hours": int(tokens.SIGNUP_LINK_MAX_AGE.total_seconds() // 3600),
        "email": user.email,
        "summary": "Confirm your email address to finish signing up",
        "lines": [],
    }


def _account_exists(session: Session, n: Notification) -> dict | None:
    if not n.user.is_verified:
        return None
    return {
        "url": absolute_url("accounts.login"),
        "email": n.user.email,
        # Somebody tried to sign up with this address, or to move their account to it.
        "email_change": payload_of(n, p.AccountExistsNote).get("reason") == "email_change",
        "summary": "You already have a Delegate account",
        "lines": [],
    }


def _password_reset(session: Session, n: Notification) -> dict | None:
    user = n.user
    if not tokens.matches(user, payload_of(n, p.LinkNote)["fingerprint"]):
        return None  # the password (or the address) changed before it went out
    token = tokens.make_token(settings().secret_key, tokens.RESET_PASSWORD, user)
    return {
        "url": absolute_url("accounts.reset_password", token=token),
        "minutes": int(tokens.RESET_LINK_MAX_AGE.total_seconds() // 60),
        "email": user.email,
        "finishes_sign_up": not user.is_verified,
        "summary": "Choose a new password",
        "lines": [],
    }


def _account_notice(shape: type[p.AccountNote], summary: str, **links: str):
    """A notice to the account's (old) address of what changed on it: always worth sending.
    ``shape``: what the template reads of the payload; ``links``: name in it = endpoint."""

    def context(session: Session, n: Notification) -> dict:
        return {
            **payload_of(n, shape),
            **{name: absolute_url(endpoint) for name, endpoint in links.items()},
            "forgot_url": absolute_url("accounts.forgot_password"),
            "summary": summary,
            "lines": [],
        }

    return context


def _email_change_confirm(session: Session, n: Notification) -> dict | None:
    user = n.user
    note = payload_of(n, p.EmailChangeConfirmNote)
    # Cancelled, replaced by a newer request, or the password changed meanwhile.
    if user.pending_email != note["to"] or not tokens.matches(user, note["fingerprint"]):
        return None
    token = tokens.make_token(settings().secret_key, tokens.CHANGE_EMAIL, user)
    return {
        "url": absolute_url("settings.confirm_email", token=token),
        "hours": int(tokens.EMAIL_CHANGE_LINK_MAX_AGE.total_seconds() // 3600),
        "email": note["to"],
        "summary": "Confirm your new email address",
        "lines": [],
    }


def _new_messages(session: Session, n: Notification) -> dict | None:
    """The messages the recipient has not read by the time the (batched) email goes out;
    none left (read meanwhile) means no email."""
    note = payload_of(n, p.MessagesNote)
    conversation = session.get(Conversation, note["conversation_id"])
    if conversation is None or not conversation.is_party(n.user_id):
        return None
    unread = unread_for(session, conversation, n.user_id)
    new = [m for m in unread if m.id >= note.get("from_message_id", 0)]
    if not new:
        return None
    other = conversation.other_party(n.user_id).display_name
    count = len(new)
    shown = new[-3:]
    files = names_by_message(session, [m.id for m in new])
    what = what_was_sent(new, files)
    texts = [with_file_note(m.body, files.get(m.id)) for m in shown]
    return {
        "task": conversation.task,
        "other_name": other,
        "count": count,
        "what": what,
        "unread": len(unread),
        "messages": [_preview(text) for text in texts],
        "more": count - len(shown),
        "url": absolute_url("messages.show", conversation_id=conversation.id),
        "summary": f"{other} sent you {what} about {conversation.task.title}",
        "lines": [_preview(text, 120) for text in texts],
    }


def _preview(body: str, limit: int = 500) -> str:
    return body if len(body) <= limit else body[: limit - 1].rstrip() + "…"


def _dispute_resolved(session: Session, n: Notification) -> dict | None:
    note = payload_of(n, p.ResolutionNote)
    contract = session.get(Contract, note["contract_id"])
    if contract is None:
        return None
    return {
        "contract": contract,
        "task": contract.task,
        "is_owner": contract.owner_id == n.user_id,
        "note": note["note"],
        "refund_cents": note["refund_cents"],
        "transfer_cents": note["transfer_cents"],
        "part": session.get(Milestone, note["milestone_id"]) if "milestone_id" in note else None,
        "url": absolute_url("contracts.show", contract_id=contract.id),
        "ledger_url": absolute_url("payments.ledger_page"),
        "summary": f"Delegate's support settled the contract for {contract.task.title}",
        "lines": [],
    }


def _timesheet(*, while_status: TimesheetStatus | None = None):
    """Context for the weekly emails of an hourly contract; with ``while_status``, only while
    the week is still in that state when sent (a review reminder after the owner reviewed is
    stale)."""

    def context(session: Session, n: Notification) -> dict | None:
        sheet = session.get(Timesheet, payload_of(n, p.TimesheetRef)["timesheet_id"])
        if sheet is None or (while_status is not None and sheet.status != while_status):
            return None
        return _week_context(session, n, sheet)

    return context


def _payout_held(session: Session, n: Notification) -> dict | None:
    """A held payout, only while it is still held and not sent: the week's own share, or
    (``settlement_id``) the share of an operator's settlement of its disputed time."""
    note = payload_of(n, p.PayoutHeldNote)
    sheet = session.get(Timesheet, note["timesheet_id"])
    if sheet is None:
        return None
    held: tuple[str, int | None, int | None, bool]  # (why, share, minutes, a settlement's)
    if "settlement_id" in note:
        settlement = session.get(DisputeSettlement, note["settlement_id"])
        if settlement is None or not settlement.payout_hold or settlement.status != "charged":
            return None
        held = (settlement.payout_hold, settlement.net_cents, settlement.minutes, True)
    else:
        if not sheet.payout_hold or sheet.status != TimesheetStatus.CHARGED:
            return None
        held = (sheet.payout_hold, sheet.net_cents, sheet.approved_minutes, False)
    context = _week_context(session, n, sheet)
    hold, share_cents, minutes, settled = held
    return context | {
        "hold": hold,
        "share_cents": share_cents,
        "minutes": minutes,
        "settled_by_support": settled,
    }


def _week_context(session: Session, n: Notification, sheet: Timesheet) -> dict:
    contract = sheet.contract
    is_owner = contract.owner_id == n.user_id
    week = f"{sheet.week_start:%a %d %b} to {sheet.week_end:%a %d %b %Y}"
    url = absolute_url("timesheets.show", timesheet_id=sheet.id)
    return {
        "sheet": sheet,
        "contract": contract,
        "task": contract.task,
        "is_owner": is_owner,
        "week": week,
        "zone": zone_of(n.user),
        "if_all": amount_for(sheet.logged_minutes, contract.rate_cents),
        "disputed": [e for e in sheet.entries if e.dispute_reason],
        "url": url,
        "action_url": absolute_url("settings.page") if is_owner else url,
        "action_label": "Fix your card" if is_owner else "See the timesheet",
        "ledger_url": absolute_url("payments.ledger_page"),
        "receipt_url": absolute_url("timesheets.receipt", timesheet_id=sheet.id),
        "summary": f"{contract.task.title}: week of {week}",
        "lines": [],
    }


def _dispute_settlement(*, while_failed: bool = False):
    """Context for an operator's decision on a week's disputed time; with ``while_failed``,
    only while its charge is still the one that failed (a retry paid it: stale)."""

    def context(session: Session, n: Notification) -> dict | None:
        settlement = session.get(DisputeSettlement, payload_of(n, p.SettlementRef)["settlement_id"])
        if settlement is None or (while_failed and settlement.status != "charge_failed"):
            return None
        sheet = settlement.timesheet
        contract = sheet.contract
        is_owner = contract.owner_id == n.user_id
        week = f"{sheet.week_start:%a %d %b} to {sheet.week_end:%a %d %b %Y}"
        return {
            "settlement": settlement,
            "sheet": sheet,
            "contract": contract,
            "task": contract.task,
            "is_owner": is_owner,
            "week": week,
            "disputed": settlement.entries,
            "note": settlement.note,
            "url": absolute_url("timesheets.show", timesheet_id=sheet.id),
            "settings_url": absolute_url("settings.page"),
            "ledger_url": absolute_url("payments.ledger_page"),
            "summary": f"{contract.task.title}: disputed time of the week of {week}",
            "lines": [],
        }

    return context


def _review_requested(session: Session, n: Notification) -> dict | None:
    """Stale once the recipient has written their review or the window has closed."""
    contract = session.get(Contract, payload_of(n, p.ContractRef)["contract_id"])
    if contract is None or contract.party(n.user) is None:
        return None
    state = reviews.state_for(session, n.user, contract, reviews.configured_window())
    if not state.can_write:
        return None
    return {
        "contract": contract,
        "task": contract.task,
        "other_name": state.other.display_name,
        "closes": _their_time(n.user, state.closes_at),
        "theirs_waiting": state.theirs_waiting,
        "url": absolute_url("reviews.write", contract_id=contract.id),
        "summary": f"How did it go with {state.other.display_name}? Review {contract.task.title}",
        "lines": [],
    }


def _their_time(user, moment) -> str:
    """A moment in the recipient's own zone (an email has no viewer to ask)."""
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return f"{moment.astimezone(zone).strftime('%d %b %Y, %H:%M')} {zone_label(zone, moment)}"


def _review_received(session: Session, n: Notification) -> dict | None:
    review = session.get(Review, payload_of(n, p.ReviewRef)["review_id"])
    if review is None or review.subject_id != n.user_id or not review.is_visible(utcnow()):
        return None
    return {
        "review": review,
        "task": review.contract.task,
        "author_name": review.author.display_name,
        "url": absolute_url("contracts.show", contract_id=review.contract_id) + "#reviews",
        "summary": (
            f"{review.author.display_name} reviewed you: {review.rating}/5 for "
            f"{review.contract.task.title}"
        ),
        "lines": [_preview(review.body, 120)] if review.body else [],
    }


CONTEXTS = {
    Kind.NEW_MATCH: _new_match,
    Kind.RECOMMENDATIONS: _recommendations,
    Kind.INVITATION: _invitation,
    Kind.NEW_PROPOSAL: _new_proposal,
    Kind.PROPOSAL_DECLINED: _proposal_declined,
    Kind.REPORT_HANDLED: _report_handled,
    Kind.DAILY_DIGEST: _digest,
    Kind.CONTRACT_FUNDED: _contract_funded,
    Kind.PAYMENT_SENT: _payment_sent,
    Kind.REFUND_ISSUED: _contract("Your refund for {title}"),
    Kind.INVITATION_ACCEPTED: _contract("Invitation accepted: {title}"),
    # Stale once the owner has answered (or the contract ended) before the email went out.
    Kind.WORK_SUBMITTED: _submission("Work submitted for approval: {title}", while_waiting=True),
    Kind.CHANGES_REQUESTED: _submission("{owner} asked for changes: {title}"),
    Kind.RELEASE_REMINDER: _submission(
        "Approved automatically on {release_day} unless you answer: {title}", while_waiting=True
    ),
    Kind.WORK_RELEASED: _submission("Approved automatically: {title}"),
    Kind.CONTRACT_CANCELLED: _contract("Contract cancelled: {title}"),
    Kind.SIGNUP_CONFIRMATION: _signup_confirmation,
    Kind.ACCOUNT_EXISTS: _account_exists,
    Kind.PASSWORD_RESET: _password_reset,
    Kind.PASSWORD_CHANGED: _account_notice(p.EmptyNote, "Your Delegate password was changed"),
    Kind.EMAIL_CHANGE_CONFIRM: _email_change_confirm,
    Kind.EMAIL_CHANGE_REQUESTED: _account_notice(
        p.EmailChangeRequestedNote,
        "A change of your email address was asked for",
        settings_url="settings.page",
    ),
    Kind.EMAIL_CHANGED: _account_notice(
        p.EmailChangedNote, "Your Delegate account has a new email address"
    ),
    Kind.NEW_MESSAGES: _new_messages,
    Kind.DISPUTE_RESOLVED: _dispute_resolved,
    Kind.TIMESHEET_READY: _timesheet(while_status=TimesheetStatus.IN_REVIEW),
    Kind.REVIEW_CLOSING: _timesheet(while_status=TimesheetStatus.IN_REVIEW),
    Kind.TIMESHEET_APPROVED: _timesheet(),
    Kind.TIMESHEET_DISPUTED: _timesheet(),
    # Stale once support has released the payout (or it went out).
    Kind.PAYOUT_HELD: _payout_held,
    Kind.CHARGE_FAILED: _timesheet(),
    Kind.TIMESHEET_PAID: _timesheet(),
    Kind.TIMESHEET_CHARGED: _timesheet(),
    Kind.CONTRACT_PAUSED: _contract("Contract paused: {title}", while_status=ContractStatus.PAUSED),
    Kind.CONTRACT_ENDED: _contract("Contract ended: {title}"),
    Kind.REVIEW_REQUESTED: _review_requested,
    Kind.TIMESHEET_DISPUTE_SETTLED: _dispute_settlement(),
    Kind.SETTLEMENT_CHARGE_FAILED: _dispute_settlement(while_failed=True),
    Kind.REVIEW_RECEIVED: _review_received,
}


def _render(name: str, context: dict) -> str:
    # The bare Jinja environment, not render_template: an email must not pick up the
    # request that happens to be running (its logged-in user, CSRF token, flashed messages).
    return current_app.jinja_env.get_template(name).render(context)


# Mail to an address nobody has confirmed yet: the name was typed by whoever gave the address,
# not necessarily the mailbox's owner.
_UNPROVEN_MAILBOX_KINDS = frozenset({Kind.SIGNUP_CONFIRMATION, Kind.EMAIL_CHANGE_CONFIRM})


def _recipient_name(n: Notification) -> str:
    return "" if n.kind in _UNPROVEN_MAILBOX_KINDS else single_line(n.user.display_name)


def _recipient_address(n: Notification) -> str:
    # An email change writes to the new address (to confirm it) and the old one (to tell it).
    return wire_address(n.payload["to"]) if "to" in n.payload else n.user.mail_address


def build_message(session: Session, n: Notification) -> EmailMessage | None:
    """The email for one notification, or None when it is no longer relevant."""
    context = CONTEXTS[n.kind](session, n)
    if context is None:
        return None
    config = settings()
    unsubscribe = absolute_url(
        "notifications.unsubscribe", token=unsubscribe_token(config.secret_key, n.user_id)
    )
    context.update(
        user=n.user,
        unsubscribe_url=unsubscribe,
        preferences_url=absolute_url("notifications.preferences"),
    )
    folder = f"email/{n.kind.value}"
    msg = EmailMessage()
    # single_line: a name or title stored before input was cleaned must not break headers.
    msg["Subject"] = single_line(_render(f"{folder}/subject.txt", context))
    msg["From"] = config.mail_from
    msg["To"] = formataddr((_recipient_name(n), _recipient_address(n)))
    msg["Date"] = formatdate(usegmt=True)
    # Stable per notification: if a send is repeated after a crash, mail clients see one email.
    domain = urlsplit(config.base_url).hostname or "delegate.localhost"
    msg["Message-ID"] = f"<notification-{n.id}@{domain}>"
    if n.kind not in ACCOUNT_KINDS:
        # RFC 8058 one-click unsubscribe: the client POSTs "List-Unsubscribe=One-Click" here.
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(_render(f"{folder}/body.txt", context))
    msg.add_alternative(_render(f"{folder}/body.html", context), subtype="html")
    return msg
