import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import FACTORS, Matcher, MatcherConfig
from matching.timezones import overlap_hours
from tests.matching.matching_strategies import REFERENCE, assistants, corpus, tasks

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CFG = MatcherConfig(reference_date=REFERENCE)


def fitted(data):
    a, t = data
    return Matcher(CFG).fit(assistants=a, tasks=t)


def violates(task, a) -> bool:
    if task.max_hourly_rate_cents is not None:
        if a.hourly_rate_cents is None or a.hourly_rate_cents > task.max_hourly_rate_cents:
            return True
        if task.currency and a.currency and task.currency != a.currency:
            return True
    if task.hours_per_week is not None and (
        a.hours_per_week is None or a.hours_per_week < task.hours_per_week
    ):
        return True
    if task.overlap_hours:
        if task.timezone is None or a.timezone is None:
            return True
        ov = overlap_hours(
            a.timezone, a.work_start, a.work_end, task.timezone, None, None, REFERENCE
        )
        if ov + 1e-9 < task.overlap_hours:
            return True
    return False


def check_matches(matches):
    for m in matches:
        assert 0.0 <= m.score <= 1.0
        contrib = m.explanation["contributions"]
        assert set(contrib) == set(FACTORS)
        assert math.isclose(sum(contrib.values()), m.score, abs_tol=1e-9)
        assert all(v >= 0 for v in contrib.values())


@SETTINGS
@given(corpus(), tasks(st.just("query")))
def test_hard_constraints_scores_and_contributions(data, task):
    m = fitted(data)
    by_id = {a.id: a for a in data[0]}
    matches = m.rank_assistants(task, k=20)
    check_matches(matches)
    assert [x.score for x in matches] == sorted((x.score for x in matches), reverse=True)
    for x in matches:
        assert not violates(task, by_id[x.id])
    # every feasible assistant is returned when k covers the corpus
    feasible = {a.id for a in data[0] if not violates(task, a)}
    assert {x.id for x in m.rank_assistants(task, k=len(data[0]) + 1)} == feasible


@SETTINGS
@given(corpus(), assistants(st.just(-1)))
def test_rank_tasks_respects_the_same_constraints(data, assistant):
    m = fitted(data)
    by_id = {t.id: t for t in data[1]}
    matches = m.rank_tasks(assistant, k=10)
    check_matches(matches)
    for x in matches:
        assert not violates(by_id[x.id], assistant)


@SETTINGS
@given(corpus(), tasks(st.just("query")))
def test_ranking_is_deterministic_and_batch_agrees(data, task):
    first = fitted(data).rank_assistants(task, k=5)
    again = fitted(data).rank_assistants(task, k=5)
    batch = fitted(data).rank_assistants_batch([task], k=5)[0]
    assert first == again == batch


@SETTINGS
@given(corpus(), assistants(st.just("newcomer")), tasks(st.just("query")))
def test_add_then_remove_leaves_rankings_unchanged(data, extra, task):
    m = fitted(data)
    before = m.rank_assistants(task, k=8)
    before_tasks = m.rank_tasks(extra, k=8)
    m.upsert_assistants([extra])
    m.remove_assistants([extra.id])
    assert m.rank_assistants(task, k=8) == before
    m.upsert_tasks([task])
    m.remove_tasks([task.id])
    assert m.rank_tasks(extra, k=8) == before_tasks


@SETTINGS
@given(corpus(), tasks(st.just("query")), assistants(st.just("probe")))
def test_save_load_round_trip(tmp_path_factory, data, task, probe):
    m = fitted(data)
    path = tmp_path_factory.mktemp("idx") / "index.npz"
    m.save(path)
    loaded = type(m).load(path)
    assert loaded.rank_assistants(task, k=10) == m.rank_assistants(task, k=10)
    assert loaded.rank_tasks(probe, k=10) == m.rank_tasks(probe, k=10)
