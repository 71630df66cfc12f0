"""The Matcher: ranks assistants for a task and tasks for an assistant, with explanations.

This is the library's face: it holds the fitted text model, both sides of the market and
the skill space. Ranking itself - one path for one query or many - is `ranking.rank`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .index import Side, text_fields
from .learning import LearnerConfig, OutcomeEvent, OutcomeModel, train
from .models import Assistant, Match, Task
from .ranking import Ranking, rank
from .scoring import MatcherConfig
from .skills import SkillSpace
from .text import TextModel

if TYPE_CHECKING:
    from .dense import DenseEncoder
    from .static import StaticEncoder


class Matcher:
    def __init__(self, config: MatcherConfig | None = None):
        self.config = config or MatcherConfig()
        self.text = TextModel(
            self.config.field_weights, task_field_weights=self.config.task_field_weights
        )
        self.assistants = Side("assistant")
        self.tasks = Side("task")
        self.skill_space = SkillSpace()
        self.prior = 4.0
        self.fitted = False
        self.outcome_model: OutcomeModel | None = None  # learned factor weights, if any
        self._scoring: tuple | None = None
        self.dense: DenseEncoder | StaticEncoder | None = None
        if self.config.dense_weight > 0:
            from .static import StaticEncoder, is_static

            if is_static(self.config.dense_model):
                self.dense = StaticEncoder(self.config.dense_model or "static")
            else:
                from .dense import DenseEncoder  # numpy only here; torch loads on first encode

                self.dense = DenseEncoder(self.config.dense_model)

    # -- building ---------------------------------------------------------------------------
    def fit(self, assistants: Iterable[Assistant] = (), tasks: Iterable[Task] = ()) -> Matcher:
        assistants, tasks = list(assistants), list(tasks)
        self._check_types(assistants, Assistant)
        self._check_types(tasks, Task)
        documents: list[Assistant | Task] = [*assistants, *tasks]
        # every document analysed once: the vocabulary, IDF and rows come from one pass
        is_task = [False] * len(assistants) + [True] * len(tasks)
        rows = self.text.fit_transform([text_fields(x) for x in documents], is_task)
        rated = [(a.rating, a.review_count or 1) for a in assistants if a.rating is not None]
        if self.config.prior_mean is not None:
            self.prior = float(self.config.prior_mean)
        elif rated:
            self.prior = sum(r * n for r, n in rated) / sum(n for _, n in rated)
        else:
            self.prior = 4.0
        self.assistants, self.tasks = Side("assistant"), Side("task")
        self.skill_space = SkillSpace()
        self.fitted = True
        n = len(assistants)
        self._add(self.assistants, assistants, rows[:n])
        self._add(self.tasks, tasks, rows[n:])
        return self

    def _check(self) -> None:
        if not self.fitted:
            raise RuntimeError("Matcher.fit() must be called (or an index loaded) first")

    @staticmethod
    def _check_types(items: list, cls: type) -> None:
        for it in items:
            if type(it) is not cls and not isinstance(it, cls):
                raise TypeError(f"expected {cls.__name__}, got {type(it).__name__}")

    def _add(self, side: Side, items: list, rows) -> None:
        if items:
            dense = self.dense.encode(items) if self.dense is not None else None
            side.add(items, rows, dense)

    def upsert_assistants(self, items: Iterable[Assistant]) -> None:
        self._upsert(self.assistants, list(items), Assistant)

    def upsert_tasks(self, items: Iterable[Task]) -> None:
        self._upsert(self.tasks, list(items), Task)

    def _upsert(self, side: Side, items: list, cls: type) -> None:
        self._check()
        self._check_types(items, cls)
        if items:
            fields = [text_fields(x) for x in items]
            self._add(side, items, self.text.transform(fields, tasks=side.kind == "task"))

    def remove_assistants(self, ids: Iterable[Any]) -> None:
        self._check()
        self.assistants.remove(list(ids))

    def remove_tasks(self, ids: Iterable[Any]) -> None:
        self._check()
        self.tasks.remove(list(ids))

    def assistant_ids(self) -> set:
        """Ids of the assistants currently in the index."""
        return set(self.assistants.pos)

    def task_ids(self) -> set:
        """Ids of the tasks currently in the index."""
        return set(self.tasks.pos)

    def prepare(self, reference_date: dt.date | None = None) -> Matcher:
        """Build the derived columns rankings read (term-major text, skill rows, working
        intervals), which are otherwise built by the first ranking after a change."""
        self._check()
        for side in (self.assistants, self.tasks):
            Ranking(self, side, self.config.reference(reference_date)).prepare()
        return self

    # -- weights learned from outcomes ------------------------------------------------------
    @property
    def scoring_config(self) -> MatcherConfig:
        """The configuration rankings score with: `config`, with the outcome model's factor
        weights when one is in use."""
        if self.outcome_model is None:
            return self.config
        key = (self.config, self.outcome_model.version)
        if self._scoring is None or self._scoring[0] != key:
            self._scoring = (key, self.outcome_model.config(self.config))
        return self._scoring[1]

    def use_outcome_model(self, model: OutcomeModel | None) -> None:
        """Rank with `model`'s weights from now on (None: the configured, fixed weights)."""
        if model is not None and not isinstance(model, OutcomeModel):
            raise TypeError(f"expected OutcomeModel, got {type(model).__name__}")
        self.outcome_model = model

    def learn(
        self, events: Iterable[OutcomeEvent], config: LearnerConfig | None = None
    ) -> OutcomeModel | None:
        """Train factor weights on recorded events and rank with them; with too few events
        the fixed weights stay (and the model in use, if any, is dropped). The model is
        saved with the index."""
        model = train(events, self.config, config)
        self.use_outcome_model(model)
        return model

    # -- ranking: a single query is a batch of one --------------------------------------------
    def rank_assistants(
        self, task: Task, k: int = 10, *, reference_date: dt.date | None = None
    ) -> list[Match]:
        """Best k assistants for `task`; `reference_date` is the first day of the week used
        for time-zone overlap (default: the config's, else today in UTC)."""
        return self.rank_assistants_batch([task], k, reference_date=reference_date)[0]

    def rank_tasks(
        self, assistant: Assistant, k: int = 10, *, reference_date: dt.date | None = None
    ) -> list[Match]:
        return self.rank_tasks_batch([assistant], k, reference_date=reference_date)[0]

    def rank_assistants_batch(
        self, tasks: Sequence[Task], k: int = 10, *, reference_date: dt.date | None = None
    ) -> list[list[Match]]:
        self._check()
        tasks = list(tasks)
        self._check_types(tasks, Task)
        return rank(self, tasks, self.assistants, k, reference_date)

    def rank_tasks_batch(
        self, assistants: Sequence[Assistant], k: int = 10, *, reference_date: dt.date | None = None
    ) -> list[list[Match]]:
        self._check()
        assistants = list(assistants)
        self._check_types(assistants, Assistant)
        return rank(self, assistants, self.tasks, k, reference_date)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> None:
        from .persistence import save

        save(self, path)

    @classmethod
    def load(cls, path) -> Matcher:
        from .persistence import load

        return load(cls, path)
