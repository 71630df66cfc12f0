"""``flask matches rebuild``: rank every open task and every assistant (demo data, a new
matcher version). Stores rows only; it sends no email, so a rebuild never floods inboxes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..config import settings
from ..db import get_session, utcnow
from ..tasks.models import Task, TaskStatus
from .exposure import exposure_policy, shown_fairly
from .jobs import SLACK
from .services import row_id, store_assistant_matches, store_task_matches

matches_cli = AppGroup("matches", help="Stored matches between tasks and assistants.")


@matches_cli.command("rebuild")
def rebuild_cmd() -> None:
    """Re-rank all open tasks and all assistants and store the results."""
    from .index import load_assistants, matcher_index, to_matching_task  # numpy, scikit-learn

    session = get_session()
    index = matcher_index(current_app)
    matcher = index.current(session)
    model = index.learn(session)  # the latest events, whenever the index was fitted
    per_task, per_assistant = settings().matches_per_task, settings().matches_per_assistant
    week = utcnow().date()  # the first day of the week whose shared hours are scored
    tasks = list(session.scalars(select(Task).where(Task.status == TaskStatus.OPEN)))
    policy = exposure_policy(settings())
    ranked = matcher.rank_assistants_batch(
        [to_matching_task(t) for t in tasks],
        k=policy.candidates(per_task) + SLACK,
        reference_date=week,
    )
    for task, matches in zip(tasks, ranked, strict=True):
        # one after another, as the jobs would: each list's places count against the cap
        store_task_matches(
            session, task, shown_fairly(session, task, matches, per_task, policy), per_task
        )
    assistants, _ = load_assistants(session)
    ranked = matcher.rank_tasks_batch(assistants, k=per_assistant, reference_date=week)
    for assistant, matches in zip(assistants, ranked, strict=True):
        store_assistant_matches(session, row_id(assistant.id), matches, per_assistant)
    session.commit()
    click.echo(f"Ranked {len(tasks)} open tasks and {len(assistants)} assistants.")
    if model is None:
        click.echo("Factor weights: fixed (too few match events to learn from yet).")
    else:
        weights = ", ".join(f"{f} {w:.2f}" for f, w in model.weights.items())
        click.echo(
            f"Factor weights learned from {model.n_events} match events ({model.version}): "
            f"{weights}."
        )
