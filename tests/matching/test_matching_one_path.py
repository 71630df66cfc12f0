"""One scoring path (issue 13, part 3): a single query is a batch of one, each figure has one
home, and the modules depend on each other in one direction."""

import ast
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from matching import Assistant, Matcher, MatcherConfig, Task
from matching.timezones import overlap_hours
from tests.matching.test_matching_batch import make_assistants, make_tasks

PACKAGE = Path(__file__).resolve().parents[2] / "matching"
BEFORE_ANY = dt.date(2025, 3, 3)  # US and UK both on standard time all week
US_ONLY = dt.date(2025, 3, 10)  # the US on daylight time, the UK not yet


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            yield node.module, [a.name for a in node.names]


def test_no_private_names_cross_modules_and_no_cycles():
    graph = {}
    for path in PACKAGE.glob("*.py"):
        graph[path.stem] = set()
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{path.name} imports {private} from .{module}"
            graph[path.stem].add(module)

    def reaches(start, goal, seen=()):
        return any(
            m == goal or (m not in seen and reaches(m, goal, (*seen, m)))
            for m in graph.get(start, ())
        )

    for module in graph:
        assert not reaches(module, module), f"import cycle through matching.{module}"
    assert not (PACKAGE / "batch.py").exists()  # the second path is gone


def test_a_single_query_is_a_batch_of_one_beyond_the_candidate_pool():
    rng = np.random.default_rng(11)
    cfg = MatcherConfig(candidate_pool=40, reference_date=BEFORE_ANY)
    m = Matcher(cfg).fit(make_assistants(rng, 300), make_tasks(rng, 200))
    queries = make_tasks(np.random.default_rng(12), 30, prefix="q")
    assert m.rank_assistants_batch(queries, k=6) == [m.rank_assistants(t, k=6) for t in queries]
    people = make_assistants(np.random.default_rng(13), 30)
    assert m.rank_tasks_batch(people, k=6) == [m.rank_tasks(a, k=6) for a in people]


def test_buried_rows_never_come_back_and_do_not_crowd_the_pool():
    rng = np.random.default_rng(3)
    people = make_assistants(rng, 200)
    m = Matcher(MatcherConfig(candidate_pool=20, reference_date=BEFORE_ANY)).fit(people)
    task = make_tasks(np.random.default_rng(4), 1, prefix="q")[0]
    before = m.rank_assistants(task, k=10)
    gone = [x.id for x in before[:3]]
    m.remove_assistants(gone)  # fewer buried rows than the pool: no compaction
    assert len(m.assistants.items) == 200
    after = m.rank_assistants(task, k=10)
    assert not {x.id for x in after} & set(gone)
    fresh = Matcher(MatcherConfig(candidate_pool=20, reference_date=BEFORE_ANY)).fit(people)
    fresh.remove_assistants(gone)
    fresh.assistants.compact()
    assert [(x.id, x.score) for x in after] == [
        (x.id, x.score) for x in fresh.rank_assistants(task, k=10)
    ]


def test_explanation_carries_the_scored_overlap_rate_and_reputation():
    london = Assistant(
        id="l",
        headline="Bookkeeper",
        timezone="Europe/London",
        work_start="09:00",
        work_end="17:00",
        hourly_rate_cents=3000,
        currency="GBP",
        rating=4.5,
        review_count=3,
        hours_per_week=20,
    )
    m = Matcher(MatcherConfig(reference_date=BEFORE_ANY)).fit([london])
    task = Task(
        id=1,
        title="Bookkeeper",
        timezone="America/New_York",
        currency="GBP",
        max_hourly_rate_cents=4000,
        hours_per_week=10,
    )
    (top,) = m.rank_assistants(task)
    e = top.explanation
    assert (
        e["overlap_hours"]
        == pytest.approx(
            overlap_hours(
                "Europe/London", "09:00", "17:00", "America/New_York", None, None, BEFORE_ANY
            )
        )
        == 3.0
    )
    # New York 09:00-17:00 EST is 14:00-22:00 UTC; London works until 17:00 UTC
    assert e["overlap_window"] == {"start": "2025-03-03T14:00:00Z", "end": "2025-03-03T17:00:00Z"}
    assert e["rate_fit"] == e["factor_values"]["rate"] == pytest.approx(0.5 + 0.5 * 0.25)
    assert (e["hourly_rate_cents"], e["currency"]) == (3000, "GBP")
    rep = e["reputation"]
    assert rep["rating"] == 4.5 and rep["review_count"] == 3
    assert e["factor_values"]["reputation"] == pytest.approx(
        rep["bayesian"] + rep["cold_start_bonus"]
    )


def test_each_call_can_name_its_own_reference_week():
    a = Assistant(id="l", headline="Bookkeeper", timezone="Europe/London")
    task = Task(id=1, title="Bookkeeper", timezone="America/New_York")
    m = Matcher(MatcherConfig(reference_date=BEFORE_ANY)).fit([a], [task])
    assert m.rank_assistants(task)[0].explanation["overlap_hours"] == 3.0
    later = m.rank_assistants(task, reference_date=US_ONLY)[0].explanation
    assert later["overlap_hours"] == 4.0 and later["reference_date"] == "2025-03-10"
    assert m.rank_tasks_batch([a], reference_date=US_ONLY)[0][0].explanation["overlap_hours"] == 4.0
