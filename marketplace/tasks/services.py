"""Posting, editing and closing tasks; reading them with the right permissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, lazyload

from ..accounts.models import User
from ..contracts.models import hired_count
from ..db import today_in, utcnow
from ..errors import Conflict, Invalid, NotFound, PermissionDenied
from ..hiring.models import Proposal
from ..jobs import enqueue_after_commit
from ..matches.models import Invitation
from ..skills.services import get_or_create_skills
from .models import MAX_OPENINGS, BudgetType, Category, Engagement, Task, TaskStatus
from .post_limits import check_allowance


@dataclass(frozen=True)
class TaskInput:
    title: str
    description: str
    skills: list[str]
    category: Category
    engagement: Engagement
    estimated_hours: int | None
    hours_per_week: int | None
    budget_type: BudgetType
    budget_cents: int | None
    max_hourly_rate_cents: int | None
    currency: str
    timezone: str
    overlap_hours: int
    deadline: date | None
    openings: int = 1  # how many assistants the owner wants on it


def _validate(data: TaskInput, today: date) -> None:
    if not data.title.strip():
        raise Invalid("Give the task a title.", "title")
    if not data.skills:
        raise Invalid("List at least one skill.", "skills")
    if data.engagement == Engagement.ONE_OFF and not data.estimated_hours:
        raise Invalid("Estimate how many hours this one-off task takes.", "estimated_hours")
    if data.engagement == Engagement.RECURRING:
        if not data.hours_per_week:
            raise Invalid("Say how many hours a week the work takes.", "hours_per_week")
        if data.budget_type == BudgetType.FIXED:
            raise Invalid(
                "Recurring work is paid by the hour: set a maximum hourly rate.", "budget_type"
            )
    if data.budget_type == BudgetType.FIXED and not data.budget_cents:
        raise Invalid("Enter the fixed budget.", "budget")
    if data.budget_type == BudgetType.HOURLY and not data.max_hourly_rate_cents:
        raise Invalid("Enter the maximum hourly rate you will pay.", "max_hourly_rate")
    if data.deadline is not None and data.deadline < today:
        raise Invalid("The deadline cannot be in the past.", "deadline")
    if not 1 <= data.openings <= MAX_OPENINGS:
        raise Invalid(f"Ask for between 1 and {MAX_OPENINGS} assistants.", "openings")


def _apply(session: Session, task: Task, data: TaskInput) -> None:
    one_off = data.engagement == Engagement.ONE_OFF
    fixed = data.budget_type == BudgetType.FIXED
    task.title = data.title.strip()
    task.description = data.description.strip()
    task.category = data.category
    task.engagement = data.engagement
    # Keep only the numbers that mean something for the chosen kind of work and budget.
    task.estimated_hours = data.estimated_hours if one_off else None
    task.hours_per_week = None if one_off else data.hours_per_week
    task.budget_type = data.budget_type
    task.budget_cents = data.budget_cents if fixed else None
    task.max_hourly_rate_cents = None if fixed else data.max_hourly_rate_cents
    task.currency = data.currency
    task.timezone = data.timezone
    task.overlap_hours = data.overlap_hours
    task.deadline = data.deadline
    task.openings = data.openings
    task.skills = get_or_create_skills(session, data.skills)


def post_task(session: Session, owner: User, data: TaskInput) -> Task:
    if not owner.is_owner:
        raise PermissionDenied("Only business owners can post tasks.")
    _validate(data, today_in(data.timezone))
    task = Task(owner_id=owner.id, owner=owner, status=TaskStatus.OPEN)
    _apply(session, task, data)
    session.add(task)
    session.flush()
    return task


def publish_task(session: Session, owner: User, data: TaskInput, limits) -> Task:
    """Post a task within the owner's allowance (``post_limits``); it is matched once the
    caller commits. What the task form and the API both do."""
    # Written first, counted after: the owner's row lock (check_allowance) is then held for
    # one query and the commit, not for the whole post, while the owner's other posts (an
    # API client posting a batch) wait for it.
    task = post_task(session, owner, data)
    check_allowance(session, owner, limits, new=task)
    enqueue_after_commit(session, "matches.match_task", task.id)
    return task


def get_task(session: Session, task_id: int, *, with_skills: bool = False) -> Task:
    task = session.get(Task, task_id, options=[joinedload(Task.skills)] if with_skills else ())
    if task is None:
        raise NotFound("This task does not exist.")
    return task


NOT_VISIBLE = "This task does not exist or is no longer open."


def visible_task(session: Session, viewer: User | None, task_id: int) -> Task:
    """The task if `viewer` may read it; the one rule for every page that shows a task.

    An open task is public (logged-out visitors too). Once it is hired, closed or done, only
    its owner and the assistants who applied (an accepted invitation is a proposal too) may
    read it; anyone else gets the same 404 as for an id that never existed, so walking the
    sequential ids reveals nothing.
    """
    task = session.get(Task, task_id, options=[joinedload(Task.skills)])
    if task is None or not _may_read(
        task.is_open,
        task.owner.is_suspended,
        task.owner_id,
        viewer,
        lambda: _applied(session, task.id, viewer),
    ):
        raise NotFound(NOT_VISIBLE)
    return task


def _may_read(
    is_open: bool, owner_suspended: bool, owner_id: int, viewer: User | None, applied
) -> bool:
    """visible_task's rule; ``applied()`` tells whether the viewer sent a proposal."""
    if is_open and not owner_suspended:
        return True
    return viewer is not None and (owner_id == viewer.id or applied())


def _applied(session: Session, task_id: int, viewer: User | None) -> bool:
    if viewer is None:
        return False
    applied = select(Proposal.id).where(
        Proposal.task_id == task_id, Proposal.assistant_id == viewer.id
    )
    return session.scalar(applied) is not None


class TaskOwner(NamedTuple):
    id: int
    display_name: str


@dataclass(frozen=True)
class TaskPage:
    """What a task's page reads on every visit, fresh: who may see it and what the viewer
    did about it. The task's text is read only when the page's kept copy is older than
    ``updated_at`` (tasks/views.py)."""

    id: int
    owner: TaskOwner
    status: TaskStatus
    updated_at: datetime
    my_proposal: Proposal | None  # the viewing assistant's, if any
    invitation: Invitation | None  # the viewing assistant's, with the terms the owner saw

    @property
    def owner_id(self) -> int:
        return self.owner.id

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


_viewer_is = bindparam("viewer", type_=Integer())


# Built once, on first use: the job page is among the most loaded, and building it cost more
# than running it. Not at import: its loader options configure every mapper, which needs
# every model imported (a worker that only sends email imports few).
@cache
def _task_page_statement():
    return (
        select(
            Task.owner_id,
            Task.status,
            Task.updated_at,
            User.display_name,
            User.suspended_at,
            Proposal,
            Invitation,
        )  # fmt: skip
        .join(User, User.id == Task.owner_id)
        .outerjoin(Proposal, (Proposal.task_id == Task.id) & (Proposal.assistant_id == _viewer_is))
        .outerjoin(
            Invitation, (Invitation.task_id == Task.id) & (Invitation.assistant_id == _viewer_is)
        )
        .where(Task.id == bindparam("task"))
        .options(
            # Every eager join off: Invitation.task's inner join would drop the whole row (the
            # proposal too) whenever there is no invitation.
            lazyload(Proposal.task),
            lazyload(Proposal.assistant),
            lazyload(Invitation.assistant),
            lazyload(Invitation.task),
        )
    )


def task_page(session: Session, viewer: User | None, task_id: int) -> TaskPage:
    """visible_task's rule for the task's page, with the viewing assistant's proposal and
    invitation: one statement (a proposal and an invitation are once per assistant and task)."""
    assistant_id = viewer.id if viewer is not None and viewer.is_assistant else None
    row = session.execute(
        _task_page_statement(), {"task": task_id, "viewer": assistant_id}
    ).one_or_none()
    if row is None:
        raise NotFound(NOT_VISIBLE)
    owner_id, status, updated_at, owner_name, suspended_at, proposal, invitation = row
    # A party who applied has a proposal, so the row answers the rule without another query.
    if not _may_read(
        status == TaskStatus.OPEN, suspended_at is not None, owner_id, viewer,
        lambda: proposal is not None,
    ):  # fmt: skip
        raise NotFound(NOT_VISIBLE)
    return TaskPage(
        task_id, TaskOwner(owner_id, owner_name), status, updated_at, proposal, invitation
    )


def get_owned_task(session: Session, owner: User, task_id: int, *, for_update=False) -> Task:
    if for_update:
        task = session.scalar(select(Task).where(Task.id == task_id).with_for_update(of=Task))
    else:
        task = session.get(Task, task_id)
    if task is None:
        raise NotFound("This task does not exist.")
    if task.owner_id != owner.id:
        raise PermissionDenied("Only the owner of this task can do that.")
    return task


def open_tasks_of(session: Session, owner: User) -> list[Task]:
    """The owner's open tasks, newest first: what they can invite to or message about."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.owner_id == owner.id, Task.status == TaskStatus.OPEN)
            .order_by(Task.created_at.desc(), Task.id.desc())
        )
    )


def update_task(session: Session, owner: User, task_id: int, data: TaskInput) -> Task:
    task = get_owned_task(session, owner, task_id, for_update=True)
    if not task.is_open:
        raise Conflict(f"This task is {task.status.value} and can no longer be edited.")
    _validate(data, today_in(data.timezone))
    # Under the task's lock, as every hire counts (contracts.services._lock_opening).
    hired = session.scalar(hired_count(task.id)) or 0
    if data.openings < hired:
        raise Invalid(
            f"You have hired {hired} assistants on this task: ask for {hired} or more.",
            "openings",
        )
    _apply(session, task, data)
    if hired >= task.openings:  # every opening taken: out of the listings, as after a hire
        task.status = TaskStatus.HIRED
    session.flush()
    return task


def revise_task(session: Session, owner: User, task_id: int, data: TaskInput) -> Task:
    """Edit the task; once the caller commits, its matches follow what it now asks for."""
    task = update_task(session, owner, task_id, data)
    enqueue_after_commit(session, "matches.match_task", task.id)
    return task


def close_task(session: Session, owner: User, task_id: int) -> Task:
    task = get_owned_task(session, owner, task_id, for_update=True)
    if not task.is_open:
        raise Conflict(f"This task is already {task.status.value}.")
    task.status = TaskStatus.CLOSED
    task.closed_at = utcnow()
    session.flush()
    return task


def owner_dashboard(session: Session, owner: User) -> list[tuple[Task, int]]:
    """The owner's tasks, newest first, each with its number of proposals."""
    counts = (
        select(Proposal.task_id, func.count(Proposal.id).label("n"))
        .group_by(Proposal.task_id)
        .subquery()
    )
    rows = session.execute(
        select(Task, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.task_id == Task.id)
        .where(Task.owner_id == owner.id)
        .order_by(Task.created_at.desc(), Task.id.desc())
    )
    return [(task, n) for task, n in rows]
