"""The inbox, a conversation's page, posting, the page's polling, and reporting a message.

Every route finds the conversation through ``services.conversation_for``: a stranger's
request is a 404 whatever its id.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from .. import nav_counts
from ..db import get_session
from ..errors import Invalid, RateLimited, error_response, wants_json
from ..forms import has_errors
from ..rate_limits import MESSAGE_PER_IP, limited
from . import services
from .forms import MessageForm, ReportForm
from .models import Message
from .text import linkify

bp = Blueprint("messages", __name__)
# A typo in the setting fails at start-up, not at somebody's first message.
bp.record_once(lambda state: services.parse_limits(state.app.config["MESSAGE_POST_LIMITS"]))
bp.add_app_template_filter(linkify, "linkify")


# An open conversation polls, so the nav's count may lag a few seconds behind another worker.
nav_counts.register(
    bp, "unread_messages", services.unread_total, tables={"messages", "conversations"}
)


@bp.get("/messages")
@login_required
def inbox():
    task_id = request.args.get("task", type=int)
    rows = services.inbox(get_session(), current_user, task_id)
    return render_template("messages/inbox.html", rows=rows, task_id=task_id)


def _page(conversation, form: MessageForm, status: int = 200):
    session = get_session()
    messages = services.recent_messages(session, conversation)
    if messages:
        # One UPDATE: fine on a GET, where PostgreSQL runs without a transaction.
        services.mark_read(session, conversation, current_user, messages[-1].id)
        session.commit()
    return render_template(
        "messages/show.html",
        conversation=conversation,
        other=conversation.other_party(current_user.id),
        messages=messages,
        form=form,
        report_form=ReportForm(formdata=None),
        poll_ms=int(current_app.config["MESSAGE_POLL_SECONDS"] * 1000),
    ), status


@bp.get("/messages/<int:conversation_id>")
@login_required
def show(conversation_id: int):
    conversation = services.conversation_for(get_session(), current_user, conversation_id)
    return _page(conversation, MessageForm(formdata=None))


def _post_limited(message: str) -> str:
    conversation = services.conversation_for(
        get_session(), current_user, request.view_args["conversation_id"]
    )
    form = MessageForm()
    form.body.errors = [message]
    return _page(conversation, form, 429)[0]


@bp.post("/messages/<int:conversation_id>")
@login_required
@limited(MESSAGE_PER_IP, page=_post_limited)
def post(conversation_id: int):
    """The form's post, or the page's script (Accept: application/json), which gets the new
    message rendered, or the reason it was not sent, as JSON."""
    session = get_session()
    conversation = services.conversation_for(session, current_user, conversation_id)
    form = MessageForm()
    if form.validate_on_submit():
        limits = services.parse_limits(current_app.config["MESSAGE_POST_LIMITS"])
        try:
            message = services.post_message(
                session, current_user, conversation, form.body.data, limits
            )
        except RateLimited as exc:
            if wants_json():
                raise  # errors.py: a JSON 429 with the reason and Retry-After
            session.rollback()
            form.body.errors = [*form.body.errors, exc.message]
            page, status = _page(conversation, form, 429)
            return page, status, exc.headers
        except Invalid as exc:
            session.rollback()
            form.body.errors = [*form.body.errors, exc.message]
        else:
            session.commit()
            if wants_json():
                return jsonify(message=_rendered(message, conversation)), 201
            return redirect(url_for("messages.show", conversation_id=conversation.id) + "#latest")
    if wants_json():
        errors = [e for field in form for e in field.errors]
        return error_response(
            422, "Not sent", " ".join(errors) or "Write a message before sending it.", "body"
        )
    return _page(conversation, form, 422 if has_errors(form) else 200)


def _rendered(message: Message, conversation, report_form: ReportForm | None = None) -> dict:
    return {
        "id": message.id,
        "html": render_template(
            "messages/_message.html",
            message=message,
            conversation=conversation,
            report_form=report_form or ReportForm(formdata=None),
        ),
    }


@bp.get("/messages/<int:conversation_id>/poll")
@login_required
def poll(conversation_id: int):
    """The messages after ?after=<id>, rendered as the page renders them. With ?seen=1 (the
    page is in front of its reader) they count as read."""
    session = get_session()
    conversation = services.conversation_for(session, current_user, conversation_id)
    after = max(request.args.get("after", 0, type=int), 0)
    messages = services.messages_after(session, conversation, after)
    if messages and request.args.get("seen") == "1":
        services.mark_read(session, conversation, current_user, messages[-1].id)
        session.commit()
    report_form = ReportForm(formdata=None)
    return jsonify(messages=[_rendered(m, conversation, report_form) for m in messages])


@bp.post("/messages/start")
@login_required
def start():
    """The "Message" buttons (profile, recommendation, proposal, contract, task page)."""
    session = get_session()
    task_id = request.form.get("task_id", type=int)
    assistant_id = request.form.get("assistant_id", type=int)
    if task_id is None or assistant_id is None:
        raise Invalid("Choose the task and the assistant to write to.")
    conversation = services.start_conversation(session, current_user, task_id, assistant_id)
    session.commit()
    return redirect(url_for("messages.show", conversation_id=conversation.id))


@bp.post("/messages/report/<int:message_id>")
@login_required
def report(message_id: int):
    session = get_session()
    form = ReportForm()
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        raise Invalid(" ".join(errors) or "Say what is wrong with this message.", "reason")
    new = services.report_message(session, current_user, message_id, form.reason.data)
    conversation_id = session.get(Message, message_id).conversation_id
    session.commit()
    flash(
        "Thank you: the message is reported and our team will look at it."
        if new
        else "You have already reported this message; our team will look at it.",
        "success",
    )
    return redirect(url_for("messages.show", conversation_id=conversation_id))
