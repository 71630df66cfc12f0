"""Vectorised batch ranking against the single-query path, lazy explanations, readable terms."""

import dataclasses
import json
import pickle
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Assistant, Match, Matcher, MatcherConfig, Task
from matching.vocabulary import ALIASES
from tests.matching.matching_strategies import REFERENCE, corpus, tasks
from tests.matching.test_matching_properties import violates

WORDS = [
    "bookkeeping",
    "invoices",
    "inbox",
    "calendar",
    "design",
    "canva",
    "travel",
    "excel",
    "payroll",
    "research",
    "newsletter",
    "podcast",
    "shopify",
    "contracts",
    "tickets",
]
SKILLS = [
    "QuickBooks",
    "bookkeeping",
    "Inbox",
    "email management",
    "Canva",
    "Excel",
    "travel planning",
    "Zendesk",
    "data entry",
    "Obsidian",
]
ZONES = [None, "UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Manila"]


def _opt(rng, value, p=0.2):
    return None if rng.random() < p else value


def make_assistants(rng, n):
    return [
        Assistant(
            id=i,
            headline=" ".join(rng.choice(WORDS, 3)),
            bio=" ".join(rng.choice(WORDS, 8)),
            skills=tuple(rng.choice(SKILLS, int(rng.integers(0, 4)), replace=False)),
            hourly_rate_cents=_opt(rng, int(rng.integers(1000, 6000))),
            currency="USD",
            timezone=ZONES[int(rng.integers(0, len(ZONES)))],
            work_start=str(rng.choice(["07:00", "09:00", "13:00", "22:00"])),
            work_end=None,
            hours_per_week=_opt(rng, float(rng.integers(5, 41))),
            rating=_opt(rng, float(rng.uniform(3, 5))),
            review_count=_opt(rng, int(rng.integers(0, 60))),
        )
        for i in range(n)
    ]


def make_tasks(rng, n, prefix="t"):
    return [
        Task(
            id=f"{prefix}{j}",
            title=" ".join(rng.choice(WORDS, 3)),
            description=" ".join(rng.choice(WORDS, 5)),
            skills=tuple(rng.choice(SKILLS, int(rng.integers(0, 3)), replace=False)),
            max_hourly_rate_cents=_opt(rng, int(rng.integers(2000, 7000)), 0.5),
            currency="USD",
            timezone=ZONES[int(rng.integers(0, len(ZONES)))],
            overlap_hours=_opt(rng, float(rng.choice([1, 2, 3])), 0.6),
            hours_per_week=_opt(rng, float(rng.integers(5, 30)), 0.5),
        )
        for j in range(n)
    ]


def fitted(pool):
    rng = np.random.default_rng(7)
    assistants, tasks = make_assistants(rng, 400), make_tasks(rng, 300)
    cfg = MatcherConfig(candidate_pool=pool, reference_date=REFERENCE)
    return Matcher(cfg).fit(assistants, tasks), assistants, tasks


@pytest.fixture(scope="module")
def market():
    return fitted(60)


def _compare(batch, single):
    """Pairs both paths return are identical (score and explanation, bit for bit)."""
    identical = 0
    for b, s in zip(batch, single, strict=True):
        by_id = {x.id: x for x in s}
        for x in b:
            if x.id in by_id:
                assert x == by_id[x.id]
        identical += b == s
    return identical


def test_batch_is_the_single_path_when_the_pool_holds_every_candidate():
    # a pool one short of the corpus still takes the vectorised path
    m, _assistants, _tasks = fitted(399)
    tasks = make_tasks(np.random.default_rng(1), 40, prefix="q")
    assert (
        _compare(m.rank_assistants_batch(tasks, k=8), [m.rank_assistants(t, k=8) for t in tasks])
        == 40
    )
    people = make_assistants(np.random.default_rng(2), 40)
    m, _assistants, _tasks = fitted(299)
    assert _compare(m.rank_tasks_batch(people, k=8), [m.rank_tasks(a, k=8) for a in people]) == 40


def test_batch_beyond_the_pool_agrees_on_shared_items_and_keeps_constraints(market):
    m, assistants, tasks = market
    queries = make_tasks(np.random.default_rng(1), 60, prefix="q")
    batch = m.rank_assistants_batch(queries, k=8)
    single = [m.rank_assistants(t, k=8) for t in queries]
    # an item outside a query's text top-60 is reached only by the single path, so the lists
    # can differ; every item both return must be scored and explained identically
    _compare(batch, single)
    by_id = {a.id: a for a in assistants}
    for task, ms, s in zip(queries, batch, single, strict=True):
        assert len(ms) == len(s)  # fewer than k only when fewer are feasible at all
        assert all(not violates(task, by_id[x.id]) for x in ms)
        assert [x.score for x in ms] == sorted((x.score for x in ms), reverse=True)
    people = make_assistants(np.random.default_rng(2), 60)
    batch = m.rank_tasks_batch(people, k=8)
    _compare(batch, [m.rank_tasks(a, k=8) for a in people])
    by_id = {t.id: t for t in tasks}
    for a, ms in zip(people, batch, strict=True):
        assert all(not violates(by_id[x.id], a) for x in ms)


def test_batch_explanations_add_up_and_serialise(market):
    m, _assistants, _tasks = market
    ms = m.rank_assistants_batch(make_tasks(np.random.default_rng(3), 5), k=5)
    for x in (x for row in ms for x in row):
        assert sum(x.explanation["contributions"].values()) == pytest.approx(x.score, abs=1e-12)
        json.dumps(x.to_dict())


def test_lazy_explanation_is_built_once_and_behaves_like_a_dict():
    calls = []

    def build():
        calls.append(1)
        return {"why": "because"}

    m = Match.lazy("a", 0.5, build)
    assert calls == []
    assert m == Match("a", 0.5, {"why": "because"})
    assert m.explanation is m.explanation and calls == [1]
    again = Match.lazy("a", 0.5, lambda: {"why": "because"})
    assert pickle.loads(pickle.dumps(again)) == m
    assert dataclasses.asdict(again) == {"id": "a", "score": 0.5, "explanation": {"why": "because"}}
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.explanation = {}


def _readable(term, *texts):
    """Every word of `term` is a word of one of the texts, or the term is a concept name."""
    words = {w for t in texts for w in re.findall(r"[a-z0-9+#]+", t.lower())}
    return all(w in words for w in term.split()) or term in set(ALIASES.values())


def test_matched_terms_are_words_both_texts_contain_as_the_task_wrote_them(config):
    bio = (
        "I reconcile accounts, send invoices and chase invoices every month; "
        "invoicing and bookkeeping in QuickBooks for small businesses."
    )
    a = Assistant(id=1, headline="Bookkeeper for small businesses", bio=bio)
    b = Assistant(id=2, headline="Travel planner", bio="Flights and hotels booked")
    m = Matcher(config).fit([a, b])
    task = Task(
        id=1, title="Invoicing and bookkeeping", description="Reconciling accounts each month"
    )
    top = m.rank_assistants(task)[0]
    terms = top.explanation["matched_terms"]
    assert top.id == 1
    # the task's own word forms, never stems such as "invoic", "bookkeep" or "reconcil"; a
    # pair as the task wrote it, its words then not repeated alone
    assert {"invoicing", "bookkeeping", "reconciling accounts"} <= set(terms)
    assert not {"reconciling", "accounts"} & set(terms)
    assert "month" not in " ".join(terms).split()  # shared, but a filler word
    # "businesses" only reaches the query through feedback from the profile: the task never
    # wrote it, so it is not a word they have in common
    assert "businesses" not in " ".join(terms).split()
    assert all(_readable(t, task.title, task.description) for t in terms)
    assert m.rank_assistants_batch([task])[0][0] == top  # the batch path reads the same


def test_matched_terms_leave_out_filler_words_single_letters_and_numbers(config):
    a = Assistant(
        id=1,
        headline="Payroll and invoices",
        bio="I need 10 hours a week of payroll work and invoices, plan B ready.",
    )
    m = Matcher(config).fit([a, Assistant(id=2, headline="designer")])
    task = Task(id=1, title="Need help 10 hours a week", description="payroll and invoices; plan B")
    terms = m.rank_assistants(task)[0].explanation["matched_terms"]
    assert {"payroll", "invoices", "plan"} <= set(terms)
    words = " ".join(terms).split()
    assert not {"need", "help", "hours", "week", "10", "b", "a"} & set(words), terms


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    corpus(max_size=14),
    st.lists(
        tasks(st.text("xyz", min_size=1, max_size=3)),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t.id,
    ),
)
def test_vectorised_batch_on_random_data_keeps_constraints_and_scores(data, queries):
    # a pool of 3 sends every corpus of more than 3 assistants down the vectorised path
    m = Matcher(MatcherConfig(candidate_pool=3, reference_date=REFERENCE)).fit(*data)
    by_id = {a.id: a for a in data[0]}
    batch = m.rank_assistants_batch(queries, k=2)
    single = [m.rank_assistants(t, k=2) for t in queries]
    _compare(batch, single)
    for task, ms, s in zip(queries, batch, single, strict=True):
        assert len(ms) == len(s)
        for x in ms:
            assert not violates(task, by_id[x.id])
            assert sum(x.explanation["contributions"].values()) == pytest.approx(x.score)
