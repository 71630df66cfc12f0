"""Owner pages for their tasks, and the job pages assistants browse."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Blueprint,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from markupsafe import Markup

from ..accounts.access import owner_required
from ..config import settings
from ..contracts import services as contracts
from ..db import get_session
from ..errors import Invalid, RateLimited
from ..filters import viewer_timezone
from ..forms import has_errors, show_error, timezone_choices
from ..matches.services import ShownAssistant, shown_to_owner
from ..matches.shown import record_shown
from ..microcache import Microcache, render_without_tokens, with_token, writer_stamp
from ..planner.roi import Work, recaptured, recommended_rates, task_roi
from ..reviews.services import owner_record
from ..skills.services import popular_skills
from . import post_limits, services
from .browse_form import JobFilterForm
from .forms import TaskForm
from .models import Task
from .search import search_jobs

bp = Blueprint("tasks", __name__)
# A suspended owner's tasks leave the results too: users is one of the tables they read.
_search_pages = Microcache("job search pages", tables={"tasks", "task_skills", "skills", "users"})
_skill_suggestions = Microcache("skill suggestions", tables={"skills"}, max_entries=1)
# The owner's part of a task page (what it frees, who works on it, its actions, the
# recommendations), per task and owner: the recommendations' values and HTML without CSRF
# tokens (each page puts its browser's token in). The key holds the owner's writer stamp, so
# their own invitation, hire or edit shows on their next page whichever worker serves it, and
# the task's version. Another person's change (an assistant's new rate, an accepted
# invitation) shows at once in this worker, in others within the expiry.
_owner_parts = Microcache(
    "owner's task page parts",
    tables={
        "matches", "assistant_profiles", "users", "invitations", "tasks", "task_skills",
        "contracts", "plans",
    },
)  # fmt: skip
# A task's own part of its page (tasks/_about.html), per version and time zone (_about).
_abouts = Microcache("task pages' text", tables={"tasks", "task_skills", "users"})
# What assistants read about an owner beside each of their tasks: hires and rating.
_owner_records = Microcache("owner records", tables={"contracts", "reviews"})


def _check_limits(state: BlueprintSetupState) -> None:
    # A typo in the setting fails at start-up, not at somebody's first post.
    post_limits.parse_limits(settings(state.app).task_post_limits)


bp.record_once(_check_limits)


@bp.get("/dashboard")
@owner_required
def dashboard():
    session = get_session()
    rows = services.owner_dashboard(session, current_user)
    return render_template(
        "tasks/dashboard.html", rows=rows, recaptured=recaptured(session, current_user)
    )


@bp.route("/tasks/new", methods=["GET", "POST"])
@owner_required
def new():
    form = TaskForm()
    if not form.is_submitted():
        form.timezone.data = current_user.timezone
    if form.validate_on_submit():
        session = get_session()
        limits = post_limits.parse_limits(settings().task_post_limits)
        try:
            task = services.publish_task(session, current_user, form.to_input(), limits)
        except RateLimited as exc:
            session.rollback()
            form.form_errors.append(exc.message)
            return _form_page(form, task=None, status=429)
        except Invalid as exc:
            show_error(form, exc)
        else:
            session.commit()
            flash("Your task is posted.", "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return _form_page(form, task=None)


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(task_id: int):
    session = get_session()
    task = services.get_owned_task(session, current_user, task_id)
    form = TaskForm(obj=task)
    if not form.is_submitted():
        form.budget.data = task.budget_cents
        form.max_hourly_rate.data = task.max_hourly_rate_cents
        form.skills.data = [s.name for s in task.skills]
    if form.validate_on_submit():
        try:
            services.revise_task(session, current_user, task_id, form.to_input())
        except Invalid as exc:
            show_error(form, exc)
        else:
            session.commit()
            flash("Your changes are saved.", "success")
            return redirect(url_for("tasks.show", task_id=task_id))
    return _form_page(form, task=task)


@bp.post("/tasks/<int:task_id>/close")
@owner_required
def close(task_id: int):
    session = get_session()
    services.close_task(session, current_user, task_id)
    session.commit()
    flash("The task is closed; it no longer appears in job listings.", "info")
    return redirect(url_for("tasks.dashboard"))


@bp.get("/tasks/<int:task_id>")
def show(task_id: int):
    """Public while the task is open (visitors see it and are asked to log in to apply)."""
    session = get_session()
    viewer = current_user if current_user.is_authenticated else None
    page = services.task_page(session, viewer, task_id)
    is_owner = viewer is not None and page.owner_id == viewer.id

    @functools.cache
    def task() -> Task:  # its row, read only when a kept part is missing (or a new version)
        return services.get_task(session, task_id, with_skills=True)

    # Only the owner's page carries recommendations: scores are not for other assistants.
    parts = _owner_part(session, page, task) if is_owner else None
    record = _owner_records.get_or_make(page.owner_id, lambda: owner_record(session, page.owner_id))
    about = _about(page, task, record.summary, parts.hired if parts else None)
    body = render_template(
        "tasks/show.html",
        task=page,
        title=about.title,
        about=about.html,
        is_owner=is_owner,
        my_proposal=page.my_proposal,
        invitation=page.invitation,
        owner_html=with_token(parts.html) if parts else None,
        recommended_html=with_token(parts.recommended_html) if parts else None,
    )
    if parts and parts.shown:
        _record_impressions(session, task_id, parts.shown)
    return body


@dataclass(frozen=True)
class _About:
    title: str
    html: Markup


def _about(
    page: services.TaskPage, task: Callable[[], Task], owner_summary: str, hired: int | None
) -> _About:
    """The task's own part of its page, kept per version: the key holds what the page read
    fresh (its updated_at, status, owner's name), the viewer's time zone (times are shown in
    it) and writer stamp, so an edit shows at once wherever it was made."""
    key = (
        page.id, page.updated_at, page.status, page.owner.display_name, owner_summary, hired,
        viewer_timezone().key, writer_stamp(),
    )  # fmt: skip
    found = _abouts.get(key)
    if found is not None:
        return found
    html = render_template(
        "tasks/_about.html",
        task=task(),
        owner_name=page.owner.display_name,
        owner_summary=owner_summary,
        hired=hired,
    )
    return _abouts.put(key, _About(task().title, Markup(html)))


@dataclass(frozen=True)
class _OwnerPart:
    shown: tuple[ShownAssistant, ...]
    hired: int  # live contracts on the task (it may want several assistants)
    html: Markup
    recommended_html: Markup


def _owner_part(session, page: services.TaskPage, task: Callable[[], Task]) -> _OwnerPart:
    key = (page.id, current_user.id, writer_stamp(), page.status, page.updated_at)
    found = _owner_parts.get(key)
    if found is not None:
        return found
    # Read first: the recommendations look the task up too, and find it in the session
    # without a query only while something holds it.
    the_task = task()
    shown = shown_to_owner(session, current_user, page.id)
    working = contracts.working_on(session, page.id)
    part = _OwnerPart(
        shown,
        len(working),
        render_without_tokens(
            "tasks/_owner_part.html",
            task=the_task,
            working=working,
            roi=_task_roi(session, the_task, shown),
        ),
        render_without_tokens("matches/_recommended.html", task=the_task, recommendations=shown)
        if page.is_open
        else Markup(),
    )
    if shown or not page.is_open:  # none yet is a ranking still under way: ask next time
        _owner_parts.put(key, part)
    return part


def _record_impressions(session, task_id: int, shown: tuple[ShownAssistant, ...]) -> None:
    """What the owner was shown, for the matcher to learn from; a reload the same day adds
    no rows (one impression per task, assistant and day)."""
    record_shown(session, task_id, [(r.assistant_id, r.score, r.factors) for r in shown])


def _task_roi(session, task, shown: tuple[ShownAssistant, ...]):
    rates = recommended_rates(shown, task.currency)
    return task_roi(session, current_user, Work.of_task(task), rates)


@bp.get("/tasks/roi")
@owner_required
def roi():
    """The task form's ROI line for its fields as typed (static/roi.js asks after each pause
    in the typing); with ``task``, for that task of the owner's, as its page says it."""
    session = get_session()
    task = None
    if "task" in request.args:
        task_id = request.args.get("task", type=int)
        task = services.get_owned_task(session, current_user, task_id or 0)
    form = TaskForm(formdata=request.args, meta={"csrf": False})
    form.validate()  # only to know which hours are usable; nothing is saved
    line = get_template_attribute("macros.html", "roi_line")
    return jsonify(html=str(line(_form_roi(session, form, task), form.currency.data)))


def _form_roi(session, form: TaskForm, task):
    """The line the form shows: a saved task's recommended rates, as on its page."""
    rates = []
    if task is not None:
        currency = form.currency.data or task.currency
        rates = recommended_rates(shown_to_owner(session, current_user, task.id), currency)
    return task_roi(session, current_user, Work.of_form(form), rates)


@bp.get("/jobs")
def browse():
    """Public: visitors browse and search open jobs like assistants do."""
    # Keyed by the whole query string: the form's values and the page links come from it.
    key = tuple(sorted(request.args.items(multi=True)))
    body = _search_pages.get(key)
    if body is None:
        form = JobFilterForm(formdata=request.args)
        if not form.validate():
            return render_template("tasks/browse.html", form=form, page=None, skills=[]), 400
        session = get_session()
        skills = _skill_suggestions.get_or_make("popular", lambda: popular_skills(session))
        page = search_jobs(session, form.to_query())
        body = _search_pages.put(
            key,
            Markup(render_template("tasks/_browse_body.html", form=form, page=page, skills=skills)),
        )
    return render_template("tasks/browse.html", body=body)


def _form_page(form: TaskForm, task, status: int | None = None):
    status = status or (422 if has_errors(form) or form.form_errors else 200)
    return render_template(
        "tasks/form.html",
        form=form,
        task=task,
        zones=timezone_choices(),
        roi=_form_roi(get_session(), form, task),
        roi_url=url_for("tasks.roi", task=task.id if task else None),
    ), status
