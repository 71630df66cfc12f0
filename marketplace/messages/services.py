"""Conversations and messages, each person reaching only the conversations they are part of.

A conversation is opened (at most once per task and assistant, by the unique constraint) when
an assistant applies, when an owner invites, or when either party presses "Message"; the same
one carries on through the contract.

The email about new messages is batched: a message schedules one notice for the recipient,
held back ``MESSAGE_EMAIL_DELAY_SECONDS`` (and until ``MESSAGE_EMAIL_INTERVAL_SECONDS`` after
the last one sent about this conversation); messages arriving while it waits join it, and it
is skipped if the recipient has read them by then (notifications.emails). Every post to one
recipient in one conversation comes from the same sender, whose row ``check_allowance``
locks: so "is a notice waiting?" cannot race with another post.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from limits import RateLimitItem, parse_many
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, aliased, lazyload, selectinload

from .. import allowances
from ..accounts.models import User
from ..config import settings
from ..contracts.models import Contract
from ..db import rows_changed, utcnow
from ..errors import Conflict, Invalid, NotFound, RateLimited
from ..hiring.models import Proposal
from ..jobs.upserts import insert_ignoring_duplicates
from ..matches.models import Invitation
from ..notifications.models import Kind, Notification, Status
from ..notifications.notices import messages_key_prefix, notify_new_messages
from ..profiles.models import AssistantProfile
from ..tasks.models import Task
from . import attachments
from .models import Conversation, Message, MessageReport

MAX_LENGTH = 5000
MAX_REASON_LENGTH = 1000
PAGE_MESSAGES = 200  # the newest this many on a conversation's page
POLL_BATCH = 100
NOT_FOUND = "This conversation does not exist, or it is not yours."
REMOVED_NOTE = "This message was removed by Delegate's support."


def open_conversation(session: Session, task: Task, assistant_id: int) -> Conversation:
    """The (task, assistant) conversation, created if there is none: one statement, so a
    proposal and an invitation racing cannot make two."""
    insert_ignoring_duplicates(
        session,
        Conversation,
        {
            "task_id": task.id,
            "owner_id": task.owner_id,
            "assistant_id": assistant_id,
            "owner_read_id": 0,
            "assistant_read_id": 0,
            "created_at": utcnow(),
        },
    )
    return session.scalars(
        select(Conversation).where(
            Conversation.task_id == task.id, Conversation.assistant_id == assistant_id
        )
    ).one()


def _has_standing(session: Session, task_id: int, assistant_id: int) -> bool:
    """The assistant applied to the task, was invited to it, or has a contract on it."""
    found = select(
        or_(
            select(Proposal.id)
            .where(Proposal.task_id == task_id, Proposal.assistant_id == assistant_id)
            .exists(),
            select(Invitation.id)
            .where(Invitation.task_id == task_id, Invitation.assistant_id == assistant_id)
            .exists(),
            select(Contract.id)
            .where(Contract.task_id == task_id, Contract.assistant_id == assistant_id)
            .exists(),
        )
    )
    return bool(session.scalar(found))


def start_conversation(
    session: Session, user: User, task_id: int, assistant_id: int
) -> Conversation:
    """The "Message" button: the task's owner may write to any assistant with a profile about
    their own task; an assistant only about a task they applied to, were invited to or work
    on (no unasked-for pitches). Anyone else learns nothing: 404."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(NOT_FOUND)
    if user.id == task.owner_id:
        if session.get(AssistantProfile, assistant_id) is None:
            raise NotFound("There is no assistant profile to write to here.")
    elif not (
        user.is_assistant
        and user.id == assistant_id
        and _has_standing(session, task_id, assistant_id)
    ):
        raise NotFound(NOT_FOUND)
    return open_conversation(session, task, assistant_id)


def conversation_for(session: Session, user: User, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not conversation.is_party(user.id):
        raise NotFound(NOT_FOUND)  # somebody else's conversation is as good as missing
    return conversation


def recent_messages(session: Session, conversation: Conversation) -> list[Message]:
    newest = list(
        session.scalars(
            select(Message)
            .options(selectinload(Message.attachments))
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.id.desc())
            .limit(PAGE_MESSAGES)
        )
    )
    return newest[::-1]


def messages_after(session: Session, conversation: Conversation, after_id: int) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .options(selectinload(Message.attachments))
            .where(Message.conversation_id == conversation.id, Message.id > after_id)
            .order_by(Message.id)
            .limit(POLL_BATCH)
        )
    )


def messages_from(
    session: Session, conversation: Conversation, start: int, limit: int
) -> list[Message]:
    """The conversation's messages oldest first, from the ``start``-th, at most ``limit``:
    new messages come at the end, so a position stays put while people write (the API)."""
    return list(
        session.scalars(
            select(Message)
            .options(selectinload(Message.attachments))
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.id)
            .offset(start)
            .limit(limit)
        )
    )


def _read_column(conversation: Conversation, user_id: int):
    if user_id == conversation.owner_id:
        return Conversation.owner_read_id
    return Conversation.assistant_read_id


def mark_read(session: Session, conversation: Conversation, user: User, upto_id: int) -> None:
    """The person has seen the conversation up to message `upto_id`. One UPDATE that only
    moves the pointer forward, so it is safe on a GET (no transaction on PostgreSQL) and an
    older page polling late cannot mark newer messages unread again."""
    column = _read_column(conversation, user.id)
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, column < upto_id)
        .values({column: upto_id})
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    other: User
    last: Message | None
    unread: int


def _mine(user: User):
    return or_(Conversation.owner_id == user.id, Conversation.assistant_id == user.id)


def _read_id(user: User):
    return case(
        (Conversation.owner_id == user.id, Conversation.owner_read_id),
        else_=Conversation.assistant_read_id,
    )


def _unread(user: User):
    return (
        Message.conversation_id == Conversation.id,
        Message.sender_id != user.id,
        Message.id > _read_id(user),
    )


def inbox(session: Session, user: User, task_id: int | None = None) -> list[InboxRow]:
    """Every conversation of the person (or of one of their tasks), newest first, with the
    other party, the last message and how many are unread: one query."""
    last = aliased(Message)
    unread = (
        select(func.count(Message.id)).where(*_unread(user)).correlate(Conversation)
    ).scalar_subquery()
    query = (
        select(Conversation, last, unread)
        .outerjoin(last, last.id == Conversation.last_message_id)
        # The preview needs no sender row; its eager inner join would drop empty conversations.
        .options(lazyload(last.sender))
        .where(_mine(user))
        .order_by(
            func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
            Conversation.id.desc(),
        )
    )
    if task_id is not None:
        query = query.where(Conversation.task_id == task_id)
    return [
        InboxRow(c, c.other_party(user.id), message, count or 0)
        for c, message, count in session.execute(query)
    ]


def unread_total(session: Session, user: User) -> int:
    """Unread messages across all the person's conversations (the count in the nav)."""
    query = (
        select(func.count(Message.id))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(_mine(user), *_unread(user))
    )
    return session.scalar(query) or 0


def parse_limits(text: str) -> list[RateLimitItem]:
    return parse_many(text)


def _check_allowance(session: Session, user: User, limits: list[RateLimitItem]) -> None:
    allowances.lock_owner(session, user)  # the sender's row: their posts count in turn
    sent = select(Message.created_at).where(Message.sender_id == user.id)
    for limit in limits:
        window = timedelta(seconds=limit.get_expiry())
        free = allowances.next_free_at(session, sent, limit.amount, window)
        if free is not None:
            seconds = max(1, math.ceil((free - utcnow()).total_seconds()))
            wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
            raise RateLimited(
                f"You have sent {limit.amount} messages in a short time, the most we allow. "
                f"You can send this one in {wait}; what you wrote is kept below.",
                "body",
                reason=f"You have sent {limit.amount} messages in a short time",
                retry_after=seconds,
            )


EMPTY = "Write a message or attach a file before sending it."


def validate_body(body: str, *, with_files: bool = False) -> str:
    """The text as written; it may be empty only when files go with it."""
    body = body or ""
    if not body.strip() and not with_files:
        raise Invalid(EMPTY, "body")
    if len(body) > MAX_LENGTH:
        raise Invalid(
            f"A message can be at most {MAX_LENGTH:,} characters; this one has "
            f"{len(body):,}. Split it in two.",
            "body",
        )
    return body


def post_message(
    session: Session,
    user: User,
    conversation: Conversation,
    body: str,
    limits: list[RateLimitItem],
    uploads: Iterable[attachments.Upload] = (),
) -> Message:
    """Post the text and files. Files are checked first (a refused one stores nothing) and
    stored before the sender's row is locked, so no lock waits on a slow upload."""
    if not conversation.is_party(user.id):
        raise NotFound(NOT_FOUND)
    files = attachments.check_uploads(uploads)
    body = validate_body(body, with_files=bool(files))
    stored = attachments.store(session, files)
    _check_allowance(session, user, limits)
    message = Message(conversation_id=conversation.id, sender_id=user.id, body=body)
    session.add(message)
    session.flush()
    attachments.attach(session, message, stored)
    column = _read_column(conversation, user.id)
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values({"last_message_id": message.id, "last_message_at": message.created_at})
        .values({column: message.id})  # what one writes, one has read
        .execution_options(synchronize_session=False)
    )
    _schedule_notice(session, conversation, conversation.other_party(user.id).id, message.id)
    return message


def _schedule_notice(
    session: Session, conversation: Conversation, recipient_id: int, message_id: int
) -> None:
    prefix = messages_key_prefix(conversation.id)
    about_this = (
        Notification.user_id == recipient_id,
        Notification.kind == Kind.NEW_MESSAGES,
        Notification.object_key.startswith(prefix, autoescape=True),
    )
    waiting = session.scalar(
        select(Notification.id).where(*about_this, Notification.status == Status.PENDING).limit(1)
    )
    if waiting is not None:
        return  # it will tell of this message too
    config = settings()
    due = utcnow() + timedelta(seconds=config.message_email_delay_seconds)
    last_sent = session.scalar(
        select(func.max(Notification.sent_at)).where(
            *about_this, Notification.status == Status.SENT
        )
    )
    if last_sent is not None:
        interval = timedelta(seconds=config.message_email_interval_seconds)
        due = max(due, last_sent + interval)
    # What is new since the last email starts here; earlier unread ones were told of.
    notify_new_messages(session, conversation, recipient_id, message_id, not_before=due)


def unread_for(session: Session, conversation: Conversation, user_id: int) -> list[Message]:
    """The other party's messages the person has not seen yet, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.sender_id != user_id,
                Message.id > conversation.read_id_of(user_id),
                Message.removed_at.is_(None),  # removed before the email went: not news
            )
            .order_by(Message.id)
        )
    )


def report_message(session: Session, user: User, message_id: int, reason: str) -> bool:
    """Record the person's report of a message they received; False when they had already
    reported it."""
    message = session.get(Message, message_id)
    conversation = None if message is None else session.get(Conversation, message.conversation_id)
    if message is None or conversation is None or not conversation.is_party(user.id):
        raise NotFound("This message does not exist, or it is not yours to see.")
    if message.sender_id == user.id:
        raise Conflict("You cannot report your own message.")
    if message.removed_at is not None:
        raise Conflict("Delegate's support has removed this message already.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say in a few words what is wrong with this message.", "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise Invalid(f"Keep the reason under {MAX_REASON_LENGTH:,} characters.", "reason")
    return insert_ignoring_duplicates(
        session,
        MessageReport,
        {
            "message_id": message.id,
            "reporter_id": user.id,
            "reason": reason,
            "created_at": utcnow(),
        },
    )


def open_reports(session: Session) -> list[MessageReport]:
    """Reports no operator has resolved yet, oldest first (for the operator console)."""
    return list(
        session.scalars(
            select(MessageReport)
            .where(MessageReport.resolved_at.is_(None))
            .order_by(MessageReport.created_at, MessageReport.id)
        )
    )


def remove_message(session: Session, message_id: int) -> bool:
    """Hide a message from both parties (an operator upheld a report of it); False when it
    was hidden already. Its files can no longer be downloaded (``attachments.file_for``)."""
    return bool(
        rows_changed(
            session,
            update(Message)
            .where(Message.id == message_id, Message.removed_at.is_(None))
            .values(removed_at=utcnow())
            .execution_options(synchronize_session=False),
        )
    )
