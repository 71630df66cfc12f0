"""/api/v1 messages: your conversations with their unread counts, a conversation's messages
page by page, and sending a text message. Files go with messages on the site only (a
message's ``attachment_count`` says it has some); the API sends and reads text.

The messages services decide, as on the site: a stranger's conversation is a 404, the
sender's allowance (MESSAGE_POST_LIMITS) is the same, and the other party is emailed by
the outbox after the commit.
"""

from __future__ import annotations

from ..config import settings
from ..db import get_session
from ..messages import services
from ..messages.forms import MessageForm
from ..rate_limits import MESSAGE_PER_IP, limited
from . import inputs, paging
from .auth import api_blueprint, api_user
from .schemas import ConversationPage, MessageIn, MessageOut, MessagePage, PageArgs

bp = api_blueprint("messages", "Your conversations; read and send text messages.")


@bp.get("/conversations")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ConversationPage)
def conversations(args: dict):
    """Your conversations, the latest active first, each with how many messages you have
    not read."""
    user = api_user()
    rows = services.inbox(get_session(), user)
    items = [
        {
            "id": row.conversation.id,
            "task_id": row.conversation.task_id,
            "task_title": row.conversation.task.title,
            "other": row.other,
            "unread": row.unread,
            "last_message_at": row.conversation.last_message_at,
        }
        for row in rows
    ]
    return paging.page(items, paging.position(args.get("cursor")), args["limit"])


@bp.get("/conversations/<int:conversation_id>/messages")
@bp.arguments(PageArgs, location="query")
@bp.response(200, MessagePage)
def messages(args: dict, conversation_id: int):
    """A conversation's messages, oldest first. Those returned count as read, as when the
    conversation's page is opened on the site."""
    session = get_session()
    user = api_user()
    conversation = services.conversation_for(session, user, conversation_id)
    start, limit = paging.position(args.get("cursor")), args["limit"]
    found = services.messages_from(session, conversation, start, limit + 1)
    shown = found[:limit]
    if shown:
        services.mark_read(session, conversation, user, shown[-1].id)
        session.commit()
    return {"items": shown, "next_cursor": paging.next_cursor(start, limit, len(found) > limit)}


@bp.post("/conversations/<int:conversation_id>/messages")
@bp.arguments(MessageIn)
@bp.response(201, MessageOut)
@limited(MESSAGE_PER_IP)
def send(data: dict, conversation_id: int):
    """Send a text message to the other party of the conversation."""
    session = get_session()
    user = api_user()
    conversation = services.conversation_for(session, user, conversation_id)
    form = inputs.checked(MessageForm, data)
    limits = services.parse_limits(settings().message_post_limits)
    message = services.post_message(session, user, conversation, form.body.data, limits)
    session.commit()
    return message
