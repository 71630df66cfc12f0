"""Reporting a person: the Report link on an assistant's profile and on a task's page (its
owner). The operators' side is in ``operator.views``."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from ..db import get_session
from ..errors import Invalid
from ..profiles.models import AssistantProfile
from ..rate_limits import REPORT_PER_ACCOUNT, limited
from ..tasks.models import Task
from . import services
from .forms import ReportPersonForm

bp = Blueprint("reports", __name__)


@cache
def _report_person_labels() -> ReportPersonForm:
    """The form's labels and choices for templates/reports/_report_person.html, which reads
    nothing else of it: built once (WTForms took a tenth of a task page), its token off since
    the template writes this browser's own."""
    return ReportPersonForm(formdata=None, meta={"csrf": False})


bp.add_app_template_global(_report_person_labels, "report_person_form")


@bp.post("/people/<int:user_id>/report")
@login_required
@limited(REPORT_PER_ACCOUNT)
def report_person(user_id: int):
    session = get_session()
    form = ReportPersonForm()
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        raise Invalid(" ".join(errors) or "Choose what is wrong from the list.", "reason")
    new = services.report_person(
        session, current_user, user_id, form.reason.data, form.details.data
    )
    back = _back(session, user_id, form.task_id.data)
    session.commit()
    flash(
        "Thank you: your report is sent and our team will look at it."
        if new
        else "You have reported this person already; our team will look at it.",
        "success",
    )
    return redirect(back)


def _back(session, user_id: int, task_id: str | None) -> str:
    """The page the report was sent from: the task whose owner it is, or the profile."""
    task = session.get(Task, int(task_id)) if task_id and task_id.isdigit() else None
    if task is not None and task.owner_id == user_id:
        return url_for("tasks.show", task_id=task.id)
    if session.get(AssistantProfile, user_id) is not None:
        return url_for("profiles.show", user_id=user_id)
    return url_for("tasks.dashboard")
