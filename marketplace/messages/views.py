"""The inbox, a conversation's page, posting, the page's polling, and reporting a message.

Every route finds the conversation through ``services.conversation_for``: a stranger's
request is a 404 whatever its id.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required

from .. import nav_counts
from ..config import Settings, settings
from ..db import get_session
from ..errors import (
    Invalid,
    NotFound,
    RateLimited,
    Unavailable,
    error_response,
    wants_json,
)
from ..forms import has_errors, show_error
from ..rate_limits import MESSAGE_PER_IP, REPORT_PER_ACCOUNT, limited
from ..storage import get_storage
from ..uploads import accepts_files
from . import attachments, file_types, services
from .forms import MessageForm, ReportForm
from .models import Message
from .text import linkify

bp = Blueprint("messages", __name__)


def _check_limits(state: BlueprintSetupState) -> None:
    # A typo in the setting fails at start-up, not at somebody's first message.
    services.parse_limits(settings(state.app).message_post_limits)


def _removed_note(state: BlueprintSetupState) -> None:
    # What add_app_template_global does, for a string (its type allows only functions).
    state.app.jinja_env.globals["REMOVED_NOTE"] = services.REMOVED_NOTE


bp.record_once(_check_limits)
bp.add_app_template_filter(linkify, "linkify")
bp.add_app_template_filter(attachments.human_size, "filesize")
bp.record_once(_removed_note)


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
    max_bytes, max_files = attachments.limits()
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
        poll_ms=int(settings().message_poll_seconds * 1000),
        accepted_files=file_types.ACCEPTED,
        max_files=max_files,
        max_file_size=attachments.human_size(max_bytes),
        max_file_bytes=max_bytes,
    ), status


@bp.get("/messages/<int:conversation_id>")
@login_required
def show(conversation_id: int):
    conversation = services.conversation_for(get_session(), current_user, conversation_id)
    return _page(conversation, MessageForm(formdata=None))


def _post_limited(message: str) -> str:
    conversation = services.conversation_for(
        get_session(), current_user, (request.view_args or {})["conversation_id"]
    )
    form = MessageForm()
    form.body.errors = [message]
    return _page(conversation, form, 429)[0]


def _body_limit(config: Settings) -> int:
    # Every file at its largest, plus room for the text and the form's own bytes.
    return config.attachment_max_bytes * config.attachments_per_message + 2**20


def _too_large(config: Settings) -> str:
    return (
        f"The files are too large to send: each can be at most "
        f"{attachments.human_size(config.attachment_max_bytes)}, and at most "
        f"{config.attachments_per_message} go with one message. Nothing was sent; go back "
        "and choose smaller files (what you wrote is still in the box)."
    )


@bp.post("/messages/<int:conversation_id>")
@login_required
@limited(MESSAGE_PER_IP, page=_post_limited)
@accepts_files(_body_limit, _too_large)
def post(conversation_id: int):
    """The form's post, or the page's script (Accept: application/json), which gets the new
    message rendered, or the reason it was not sent, as JSON."""
    session = get_session()
    conversation = services.conversation_for(session, current_user, conversation_id)
    form = MessageForm()
    if form.validate_on_submit():
        limits = services.parse_limits(settings().message_post_limits)
        try:
            message = services.post_message(
                session, current_user, conversation, form.body.data, limits, form.chosen_files()
            )
        except RateLimited as exc:
            if wants_json():
                raise  # errors.py: a JSON 429 with the reason and Retry-After
            session.rollback()
            form.body.errors = [*form.body.errors, exc.message]
            page, status = _page(conversation, form, 429)
            return page, status, exc.headers
        except (Invalid, Unavailable) as exc:
            session.rollback()
            if wants_json():
                return error_response(exc.status_code, "Not sent", exc.message, exc.field)
            show_error(form, exc)
            if isinstance(exc, Unavailable):
                return _page(conversation, form, exc.status_code)
        else:
            session.commit()
            if wants_json():
                return jsonify(message=_rendered(message, conversation)), 201
            return redirect(url_for("messages.show", conversation_id=conversation.id) + "#latest")
    if wants_json():
        errors = [e for field in form for e in field.errors]
        return error_response(422, "Not sent", " ".join(errors) or services.EMPTY, "body")
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


@bp.get("/messages/files/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """A file, to the two parties only; always as a download, as the type it was checked to
    be, never sniffed: no file sent by a user is ever rendered as a page of this site."""
    attachment = attachments.file_for(get_session(), current_user, attachment_id)
    try:
        stream = get_storage().open(attachment.storage_key)
    except FileNotFoundError:
        raise NotFound("This file is no longer stored.") from None
    response = send_file(
        stream,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Length"] = str(attachment.size_bytes)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
@limited(REPORT_PER_ACCOUNT)
def report(message_id: int):
    session = get_session()
    form = ReportForm()
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        raise Invalid(" ".join(errors) or "Say what is wrong with this message.", "reason")
    new = services.report_message(session, current_user, message_id, form.reason.data)
    conversation_id = session.get_one(Message, message_id).conversation_id
    session.commit()
    flash(
        "Thank you: the message is reported and our team will look at it."
        if new
        else "You have already reported this message; our team will look at it.",
        "success",
    )
    return redirect(url_for("messages.show", conversation_id=conversation_id))
