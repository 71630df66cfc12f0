"""The bell and the notifications page, email preferences, one-click unsubscribe, and the
local outbox for developers."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import nav_counts
from ..config import settings
from ..db import get_session
from ..errors import NotFound
from ..extensions import csrf
from ..forms import has_errors
from ..security import allow_inline_styles
from . import in_app, services
from .forms import PreferencesForm
from .models import Frequency, LocalEmail

bp = Blueprint("notifications", __name__)


nav_counts.register(bp, "unread_notifications", in_app.unread_count, tables={"notifications"})


@bp.get("/notifications")
@login_required
def in_app_list():
    session = get_session()
    items = in_app.recent(session, current_user)
    in_app.mark_read(session, current_user)
    session.commit()
    return render_template("notifications/in_app.html", items=items)


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
def preferences():
    session = get_session()
    prefs = services.preferences_of(session, current_user.id)
    form = PreferencesForm()
    if not form.is_submitted():
        form.frequency.data = prefs.frequency.value
        form.min_match_percent.data = round(prefs.min_match_score * 100)
    if form.validate_on_submit():
        services.save_preferences(
            session,
            current_user,
            Frequency(form.frequency.data),
            form.min_match_percent.data / 100,
        )
        session.commit()
        flash("Your email settings are saved.", "success")
        return redirect(url_for("notifications.preferences"))
    status = 422 if has_errors(form) else 200
    return render_template("notifications/preferences.html", form=form, prefs=prefs), status


def _user_from(token: str) -> int:
    return services.user_id_from_token(settings().secret_key, token)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """No log-in needed: the signed token is the proof. GET only asks, so link scanners that
    prefetch URLs in mail cannot unsubscribe anyone."""
    _user_from(token)
    return render_template("notifications/unsubscribe.html", token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no form token
def unsubscribe_post(token: str):
    session = get_session()
    if services.unsubscribe(session, _user_from(token)) is None:
        raise NotFound("This account no longer exists, so it gets no email.")
    session.commit()
    return render_template("notifications/unsubscribe.html", token=token, done=True)


def _outbox_allowed() -> None:
    # Every user's mail is readable here: only on a developer's machine or the demo.
    if not (settings().demo_mode or current_app.debug):
        abort(404)


@bp.get("/dev/outbox")
def outbox():
    _outbox_allowed()
    emails = get_session().scalars(select(LocalEmail).order_by(LocalEmail.id.desc()).limit(200))
    return render_template("notifications/outbox.html", emails=list(emails))


@bp.get("/dev/outbox/<int:email_id>")
@allow_inline_styles  # the email HTML in its srcdoc iframe inherits this page's policy
def outbox_email(email_id: int):
    _outbox_allowed()
    email = get_session().get(LocalEmail, email_id)
    if email is None:
        abort(404)
    return render_template("notifications/outbox_email.html", email=email)
