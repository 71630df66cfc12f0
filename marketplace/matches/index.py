"""The matcher a job worker keeps in memory, kept in step with the database incrementally.

Fitting on 100,000 assistants takes seconds, so the worker fits once and afterwards upserts
only the profiles and tasks whose ``updated_at`` moved past a watermark. Web processes never
build this: they read stored Match rows.

Each fit also trains the matcher's outcome model on the recorded match events
(`marketplace.matches.events`): with at least ``MATCHER_LEARN_MIN_EVENTS`` shown pairs (and a
few acted on) the matcher ranks with factor weights learned from what owners and assistants
did; with fewer, with the fixed weights, exactly as before.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from matching.learning import LearnerConfig, OutcomeModel

from ..config import settings
from ..db import utcnow
from ..profiles.models import AssistantProfile
from ..skills.models import Skill, assistant_skills, task_skills
from ..tasks.models import Task, TaskStatus
from . import events

# Transactions commit some time after they stamp updated_at; re-reading a margin behind the
# watermark catches rows that committed late (upserting a row twice is harmless).
WATERMARK_MARGIN = timedelta(minutes=5)
# Deleted profiles are found by comparing id sets, which is cheap but not free.
RECONCILE_SECONDS = 300
# The text vocabulary is fixed at fit time; refit once the corpus has changed this much.
REFIT_FRACTION = 0.2

_PROFILE_COLUMNS = (
    AssistantProfile.user_id,
    AssistantProfile.headline,
    AssistantProfile.bio,
    AssistantProfile.hourly_rate_cents,
    AssistantProfile.currency,
    AssistantProfile.timezone.label("timezone"),
    AssistantProfile.work_start,
    AssistantProfile.work_end,
    AssistantProfile.hours_per_week,
    AssistantProfile.rating,
    AssistantProfile.review_count,
    AssistantProfile.updated_at,
)


def to_matching_assistant(row, skills: list[str]) -> matching.Assistant:
    return matching.Assistant(
        id=row.user_id,
        headline=row.headline,
        bio=row.bio,
        skills=tuple(skills),
        hourly_rate_cents=row.hourly_rate_cents,
        currency=row.currency,
        timezone=row.timezone,
        work_start=row.work_start.strftime("%H:%M"),
        work_end=row.work_end.strftime("%H:%M"),
        hours_per_week=row.hours_per_week,
        rating=row.rating,
        review_count=row.review_count,
    )


def to_matching_task(task: Task, skills: list[str] | None = None) -> matching.Task:
    return matching.Task(
        id=task.id,
        title=task.title,
        description=task.description,
        skills=tuple(skills if skills is not None else (s.name for s in task.skills)),
        max_hourly_rate_cents=task.pay_per_hour_cents,
        currency=task.currency,
        timezone=task.timezone,
        overlap_hours=task.overlap_hours,
        hours_per_week=task.weekly_hours,
    )


def _skills_by_owner(session: Session, table, owner_col: str, ids=None) -> dict[int, list[str]]:
    column = table.c[owner_col]
    query = select(column, Skill.name).join(Skill, Skill.id == table.c.skill_id)
    if ids is not None:
        query = query.where(column.in_(ids))
    out: dict[int, list[str]] = defaultdict(list)
    for owner_id, name in session.execute(query):
        out[owner_id].append(name)
    return out


def load_assistants(session: Session, ids=None) -> tuple[list[matching.Assistant], dict]:
    """Profiles as matcher input (all, or those with `ids`), and their updated_at stamps."""
    query = select(*_PROFILE_COLUMNS)
    if ids is not None:
        query = query.where(AssistantProfile.user_id.in_(ids))
    rows = session.execute(query).all()
    skills = _skills_by_owner(session, assistant_skills, "profile_id", ids) if rows else {}
    items = [to_matching_assistant(r, skills.get(r.user_id, [])) for r in rows]
    return items, {r.user_id: r.updated_at for r in rows}


def load_assistant(session: Session, user_id: int) -> matching.Assistant | None:
    items, _ = load_assistants(session, [user_id])
    return items[0] if items else None


def load_tasks(session: Session, ids=None) -> tuple[list, list[int], dict]:
    """(open tasks as matcher input, ids no longer open, updated_at stamps); all open tasks
    when `ids` is None."""
    query = select(Task)
    query = (
        query.where(Task.id.in_(ids))
        if ids is not None
        else query.where(Task.status == TaskStatus.OPEN)
    )
    tasks = list(session.scalars(query))
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN]
    skills = _skills_by_owner(session, task_skills, "task_id", [t.id for t in open_tasks])
    items = [to_matching_task(t, skills.get(t.id, [])) for t in open_tasks]
    closed = [t.id for t in tasks if t.status != TaskStatus.OPEN]
    return items, closed, {t.id: t.updated_at for t in tasks}


def _changed(session: Session, id_column, stamp_column, since: datetime, seen: dict) -> list:
    """Ids stamped since `since` whose stamp differs from the one already indexed."""
    rows = session.execute(select(id_column, stamp_column).where(stamp_column >= since))
    return [i for i, stamp in rows if seen.get(i) != stamp]


class MatcherIndex:
    def __init__(
        self,
        config: matching.MatcherConfig | None = None,
        learner: LearnerConfig | None = None,
    ) -> None:
        self.config = config or matching.MatcherConfig()
        self.learner = learner or LearnerConfig()
        self.matcher: matching.Matcher | None = None
        self.watermark: datetime | None = None
        self.seen_assistants: dict[int, datetime] = {}
        self.seen_tasks: dict[int, datetime] = {}
        self.fitted_size = 0
        self.changed_since_fit = 0
        self.reconciled_at = 0.0
        self.lock = threading.Lock()

    def current(self, session: Session) -> matching.Matcher:
        """The matcher, brought up to date with what has committed; one job at a time."""
        with self.lock:
            if self.matcher is None or not self._catch_up(session):
                self._fit(session)
            self._date_the_week()
            return self._fitted()

    def _fitted(self) -> matching.Matcher:
        assert self.matcher is not None, "fitted first (current, learn)"
        return self.matcher

    def _date_the_week(self) -> None:
        """Time-zone overlap is measured over the week from the matcher's reference date (DST
        moves it); give it the app's clock instead of letting the library read the wall's."""
        today = utcnow().date()
        matcher = self._fitted()
        if matcher.config.reference_date != today:
            matcher.config = dataclasses.replace(matcher.config, reference_date=today)

    def _fit(self, session: Session) -> None:
        started = utcnow()
        assistants, self.seen_assistants = load_assistants(session)
        tasks, _, self.seen_tasks = load_tasks(session)
        self.matcher = matching.Matcher(self.config).fit(assistants=assistants, tasks=tasks)
        self._learn(session)
        self.fitted_size = len(assistants) + len(tasks)
        self.changed_since_fit = 0
        self.watermark = started
        self.reconciled_at = time.monotonic()

    def learn(self, session: Session) -> OutcomeModel | None:
        """Retrain the outcome model on every recorded event now (`flask matches rebuild`);
        None: too few events, the fixed weights rank."""
        with self.lock:
            if self.matcher is None:
                self._fit(session)
            else:
                self._learn(session)
            return self._fitted().outcome_model

    def _learn(self, session: Session) -> None:
        latest = events.training_events(session, limit=self.learner.max_events)
        self._fitted().learn(latest, self.learner)

    def _catch_up(self, session: Session) -> bool:
        """Upsert what changed since the watermark; False when so much changed that a refit
        (new vocabulary) is the better answer."""
        started = utcnow()
        matcher = self._fitted()
        assert self.watermark is not None, "set by the fit"
        since = self.watermark - WATERMARK_MARGIN
        assistant_ids = _changed(
            session,
            AssistantProfile.user_id,
            AssistantProfile.updated_at,
            since,
            self.seen_assistants,
        )
        task_ids = _changed(session, Task.id, Task.updated_at, since, self.seen_tasks)
        changed = self.changed_since_fit + len(assistant_ids) + len(task_ids)
        if changed > max(50, REFIT_FRACTION * self.fitted_size):
            return False
        if assistant_ids:
            assistants, stamps = load_assistants(session, assistant_ids)
            matcher.upsert_assistants(assistants)
            self.seen_assistants.update(stamps)
        if task_ids:
            tasks, closed, stamps = load_tasks(session, task_ids)
            if tasks:
                matcher.upsert_tasks(tasks)
            if closed:
                matcher.remove_tasks(closed)
            self.seen_tasks.update(stamps)
        self.changed_since_fit = changed
        self.watermark = started
        if time.monotonic() - self.reconciled_at > RECONCILE_SECONDS:
            self._reconcile(session)
        return True

    def _reconcile(self, session: Session) -> None:
        present = set(session.scalars(select(AssistantProfile.user_id)))
        gone = set(self.seen_assistants) - present
        if gone:
            self._fitted().remove_assistants(gone)
            for assistant_id in gone:
                self.seen_assistants.pop(assistant_id, None)
        self.reconciled_at = time.monotonic()


def matcher_index(app: Flask) -> MatcherIndex:
    index = app.extensions.get("matcher_index")
    if index is None:
        # A dense weight above 0 blends sentence embeddings into text similarity (the
        # `embeddings` extra, or its static table): see benchmarks/README.md for what each buys.
        config = matching.MatcherConfig(
            dense_weight=settings(app).matcher_dense_weight,
            dense_model=settings(app).matcher_dense_model,
        )
        learner = LearnerConfig(
            min_events=settings(app).matcher_learn_min_events,
            min_positives=settings(app).matcher_learn_min_positives,
            max_events=settings(app).matcher_learn_max_events or None,
            max_pairs_per_person=settings(app).matcher_learn_max_pairs_per_person or None,
        )
        index = app.extensions.setdefault("matcher_index", MatcherIndex(config, learner))
    return index
