"""Inviting a recommended assistant (owners) and "Jobs for you" (assistants)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import assistant_required, owner_required
from ..config import settings
from ..db import get_session
from ..errors import RateLimited
from . import services

bp = Blueprint("matches", __name__)


@bp.post("/tasks/<int:task_id>/invite/<int:assistant_id>")
@owner_required
def invite(task_id: int, assistant_id: int):
    session = get_session()
    try:
        services.invite_assistant(
            session,
            current_user,
            task_id,
            assistant_id,
            request.form.get("rate_cents", type=int),
            settings().invitations_per_owner_per_day,
        )
    except (services.RateChanged, RateLimited) as exc:
        session.rollback()
        flash(exc.message, "error")  # said on the task page, where the owner is inviting
    except services.AlreadyInvited as exc:
        flash(exc.message, "info")  # a second click is not an error worth a page of its own
    else:
        session.commit()
        flash("Invitation sent. They will get an email with a link to your task.", "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#recommended")


@bp.get("/jobs/for-you")
@assistant_required
def for_you():
    rows = services.jobs_for_assistant(get_session(), current_user)
    return render_template("matches/for_you.html", rows=rows)
