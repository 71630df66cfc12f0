"""How a task's money and hours read on every page, as template filters.

Python rather than Jinja macros: the job list renders them for twenty tasks per page, and a
filter call costs a fraction of a macro call.
"""

from __future__ import annotations

from flask import Flask

from ..filters import format_money
from .models import BudgetType, Engagement, Task


def budget_text(task: Task) -> str:
    """ "$400 fixed" or "up to $15/h"."""
    if task.budget_type == BudgetType.FIXED:
        return f"{format_money(task.budget_cents, task.currency)} fixed"
    return f"up to {format_money(task.max_hourly_rate_cents, task.currency)}/h"


def hours_text(task: Task) -> str:
    """ "5 h/week, recurring" or "about 10 h, one-off"."""
    if task.engagement == Engagement.RECURRING:
        return f"{task.hours_per_week} h/week, recurring"
    return f"about {task.estimated_hours} h, one-off"


def init_app(app: Flask) -> None:
    app.add_template_filter(budget_text, "task_budget")
    app.add_template_filter(hours_text, "task_hours")
