"""A person's own data as one JSON document (issue 11, part 4: "download my data").

What they gave us and what they did: the account, the profile, tasks posted, proposals sent,
invitations sent or received, the messages they wrote (other people's words stay theirs; a
conversation lists who and what it was about), contracts they are party to and the money
records of those, the files they sent (names and sizes), what the matcher recorded of their
matches (impressions, invitations, proposals, hires: numbers and ids), the saved card (brand,
last four digits, expiry), reviews they wrote and
the reviews of them they may read (one still hidden by the double-blind stays out until it is
revealed), plans, the notifications sent to them, and their log-in sessions. Never a secret:
no password hash, token digest, lease token or email payload (which may hold link
fingerprints).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from ..contracts.models import Contract
from ..db import utcnow
from ..hiring.models import Proposal
from ..matches.models import Invitation, MatchEvent
from ..messages.models import Conversation, Message, MessageAttachment
from ..notifications.models import Notification
from ..payments.models import BillingProfile, LedgerEntry
from ..planner.models import Plan, PlanItem
from ..profiles.models import AssistantProfile
from ..reviews import services as reviews
from ..tasks.models import Task
from .models import LoginSession, User

FORMAT_VERSION = 1
# Secrets, and internal bookkeeping that says nothing about the person.
_NEVER = {
    "password_hash", "email_key", "token_hash", "claim_token", "locked_until", "payload",
    "last_error", "visitor_token", "search_document", "search_vector", "setup_attempt",
    "storage_key", "dedup_key",
    # the owner's short list is the owner's working note, never shown to the assistant
    "shortlisted_at",
}  # fmt: skip


def _value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(obj: Any) -> dict[str, Any]:
    columns = inspect(obj).mapper.column_attrs
    return {c.key: _value(getattr(obj, c.key)) for c in columns if c.key not in _NEVER}


def export_for(session: Session, user: User) -> dict[str, Any]:
    uid = user.id
    profile = session.get(AssistantProfile, uid)
    contracts = list(
        session.scalars(
            select(Contract)
            .where(or_(Contract.owner_id == uid, Contract.assistant_id == uid))
            .order_by(Contract.id)
        )
    )
    conversations = list(
        session.scalars(
            select(Conversation)
            .where(or_(Conversation.owner_id == uid, Conversation.assistant_id == uid))
            .order_by(Conversation.id)
        )
    )
    plans = list(session.scalars(select(Plan).where(Plan.owner_id == uid).order_by(Plan.id)))
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "account": _row(user),
        "profile": (
            {**_row(profile), "skills": [s.name for s in profile.skills]} if profile else None
        ),
        "tasks": [
            {**_row(t), "skills": t.skill_list}
            for t in session.scalars(select(Task).where(Task.owner_id == uid).order_by(Task.id))
        ],
        "proposals": [
            _row(p)
            for p in session.scalars(
                select(Proposal).where(Proposal.assistant_id == uid).order_by(Proposal.id)
            )
        ],
        "invitations": [
            _row(i)
            for i in session.scalars(
                select(Invitation)
                .join(Task, Task.id == Invitation.task_id)
                .where(or_(Invitation.assistant_id == uid, Task.owner_id == uid))
                .order_by(Invitation.id)
            )
        ],
        "conversations": [
            {
                "id": c.id,
                "task_id": c.task_id,
                "task_title": c.task.title,
                "with": c.other_party(uid).display_name,
                "created_at": _value(c.created_at),
            }
            for c in conversations
        ],
        "messages_written": [
            _row(m)
            for m in session.scalars(
                select(Message).where(Message.sender_id == uid).order_by(Message.id)
            )
        ],
        # Names and sizes of the files they sent (the bytes are downloadable on the page).
        "files_sent": [
            _row(a)
            for a in session.scalars(
                select(MessageAttachment)
                .join(Message, Message.id == MessageAttachment.message_id)
                .where(Message.sender_id == uid)
                .order_by(MessageAttachment.id)
            )
        ],
        "contracts": [_row(c) for c in contracts],
        # The owner's Stripe Customer and saved card (brand, last four, expiry: no number).
        "payment_method": (
            _row(billing) if (billing := session.get(BillingProfile, uid)) else None
        ),
        "money": [
            _row(e)
            for e in session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.contract_id.in_([c.id for c in contracts]))
                .order_by(LedgerEntry.id)
            )
        ],
        "reviews_written": [_row(r) for r in reviews.written_by(session, uid)],
        "reviews_received": [_row(r) for r in reviews.received_by(session, uid, visible_only=True)],
        "plans": [
            {
                **_row(p),
                "items": [
                    _row(i)
                    for i in session.scalars(
                        select(PlanItem).where(PlanItem.plan_id == p.id).order_by(PlanItem.id)
                    )
                ],
            }
            for p in plans
        ],
        "notifications": [
            _row(n)
            for n in session.scalars(
                select(Notification).where(Notification.user_id == uid).order_by(Notification.id)
            )
        ],
        # What the matcher recorded of the person's part in matches (numbers and ids only):
        # as the assistant of the pair, or on the owner's own tasks.
        "match_events": [
            _row(e)
            for e in session.scalars(
                select(MatchEvent)
                .where(
                    or_(
                        MatchEvent.assistant_id == uid,
                        MatchEvent.task_id.in_(select(Task.id).where(Task.owner_id == uid)),
                    )
                )
                .order_by(MatchEvent.id)
            )
        ],
        "log_in_sessions": [
            _row(s)
            for s in session.scalars(
                select(LoginSession).where(LoginSession.user_id == uid).order_by(LoginSession.id)
            )
        ],
    }
