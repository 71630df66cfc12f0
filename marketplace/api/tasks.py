"""/api/v1 tasks: an owner posts, edits, closes and lists their tasks; anyone with a token
searches open ones with the job search's filters. The task form's checks and the task
services' rules, as on the site."""

from __future__ import annotations

import dataclasses

from ..config import settings
from ..db import get_session
from ..tasks import post_limits, services
from ..tasks.browse_form import JobFilterForm
from ..tasks.forms import TaskForm
from ..tasks.search import search_jobs
from . import inputs, paging
from .auth import api_blueprint, api_user
from .schemas import JobSearchArgs, MyTaskPage, PageArgs, TaskChanges, TaskIn, TaskOut, TaskPage

bp = api_blueprint("tasks", "Post, edit, close and list your tasks; search open ones.")

# API name → the task form's field, where they differ.
TASK_FIELDS = {"budget_cents": "budget", "max_hourly_rate_cents": "max_hourly_rate"}
SEARCH_FIELDS = {"min_rate_cents": "min_rate", "min_budget_cents": "min_budget"}
NOT_YOURS = "You have no task with this id."


@bp.post("/tasks")
@bp.arguments(TaskIn)
@bp.response(201, TaskOut)
def post_task(data: dict):
    """Post a task (owners). It is matched with assistants in the background."""
    form = inputs.checked(TaskForm, data, TASK_FIELDS)
    session = get_session()
    limits = post_limits.parse_limits(settings().task_post_limits)
    with inputs.api_field_names(TASK_FIELDS):
        task = services.publish_task(session, api_user(), form.to_input(), limits)
    session.commit()
    return task


@bp.get("/tasks")
@bp.arguments(PageArgs, location="query")
@bp.response(200, MyTaskPage)
def my_tasks(args: dict):
    """Your tasks, newest first, each with its number of proposals."""
    rows = services.owner_dashboard(get_session(), api_user())
    items = [{"task": task, "proposal_count": n} for task, n in rows]
    return paging.page(items, paging.position(args.get("cursor")), args["limit"])


@bp.get("/tasks/<int:task_id>")
@bp.response(200, TaskOut)
def get_task(task_id: int):
    """A task, if you may see it: any open one, or one you posted or applied to."""
    return services.visible_task(get_session(), api_user(), task_id)


@bp.patch("/tasks/<int:task_id>")
@bp.arguments(TaskChanges)
@bp.response(200, TaskOut)
def edit_task(data: dict, task_id: int):
    """Change some of an open task's fields; the others keep their values."""
    session = get_session()
    with inputs.hidden_from_strangers(NOT_YOURS):
        task = services.get_owned_task(session, api_user(), task_id)
    form = inputs.checked(TaskForm, {**_current(task), **data}, TASK_FIELDS)
    with inputs.hidden_from_strangers(NOT_YOURS), inputs.api_field_names(TASK_FIELDS):
        task = services.revise_task(session, api_user(), task_id, form.to_input())
    session.commit()
    return task


@bp.post("/tasks/<int:task_id>/close")
@bp.response(200, TaskOut)
def close_task(task_id: int):
    """Close an open task: it leaves the job listings."""
    session = get_session()
    with inputs.hidden_from_strangers(NOT_YOURS):
        task = services.close_task(session, api_user(), task_id)
    session.commit()
    return task


@bp.get("/jobs")
@bp.arguments(JobSearchArgs, location="query")
@bp.response(200, TaskPage)
def search(args: dict):
    """Open tasks, with the job search's words, filters and sorting."""
    start = paging.position(args.pop("cursor", None))
    limit = args.pop("limit")
    form = inputs.checked(JobFilterForm, args, SEARCH_FIELDS)
    query = dataclasses.replace(form.to_query(), page_size=limit, skip=start)
    found = search_jobs(get_session(), query)
    more = start + len(found.items) < found.total
    return {
        "items": found.items,
        "next_cursor": paging.next_cursor(start, limit, more),
        "total": found.total,
    }


def _current(task) -> dict:
    """The task as the API would send it: what a PATCH starts from."""
    return {
        "title": task.title,
        "description": task.description,
        "skills": [skill.name for skill in task.skills],
        "category": task.category.value,
        "engagement": task.engagement.value,
        "estimated_hours": task.estimated_hours,
        "hours_per_week": task.hours_per_week,
        "budget_type": task.budget_type.value,
        "budget_cents": task.budget_cents,
        "max_hourly_rate_cents": task.max_hourly_rate_cents,
        "currency": task.currency,
        "timezone": task.timezone,
        "overlap_hours": task.overlap_hours,
        "deadline": task.deadline,
        "openings": task.openings,
    }
