"""How a task's money and hours read on every page, as template filters.

Python rather than Jinja macros: the job list renders them for twenty tasks per page, and a
filter call costs a fraction of a macro call. Each task's card is kept a few seconds per
worker (``job_card``): it shows nothing about the viewer, and a search nobody asked before
still lists tasks other searches listed.
"""

from __future__ import annotations

from flask import Flask, get_template_attribute
from markupsafe import Markup

from ..filters import format_money
from ..microcache import Microcache
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


# A card reads the task's own columns (skill_names among them) and nothing else.
_cards = Microcache("job cards", tables={"tasks"})


def job_card(task: Task) -> Markup:
    """The task's card in a job list (macros.html's ``job_card``), once per task."""
    return _cards.get_or_make(
        task.id, lambda: Markup(get_template_attribute("macros.html", "job_card")(task))
    )


def init_app(app: Flask) -> None:
    app.add_template_filter(budget_text, "task_budget")
    app.add_template_filter(hours_text, "task_hours")
    app.add_template_global(job_card, "job_card")
