"""Factor weights learned from outcomes (`matching.learning`): recovering a planted preference,
falling back to the fixed weights, saved with the index, shown in the explanation."""

import json

import numpy as np
import pytest

from matching import FACTORS, Assistant, Matcher, MatcherConfig, Task
from matching.learning import LearnerConfig, OutcomeEvent, OutcomeModel, design, pairs, train
from tests.matching.matching_strategies import REFERENCE

BASE = MatcherConfig().weights


def _events_from_planted(rng, n_tasks: int, per_task: int, planted: dict):
    """Owners act on what they like by the `planted` weights (not the fixed ones); lists are
    shown in the fixed weights' order and the top of a list is looked at more."""
    events = []
    for t in range(n_tasks):
        vals = rng.random((per_task, len(FACTORS)))
        fixed = vals @ np.array([BASE[f] for f in FACTORS])
        order = np.argsort(-fixed)
        liked = vals @ np.array([planted[f] for f in FACTORS]) + rng.normal(0, 0.05, per_task)
        cut = np.quantile(liked, 0.8)
        for pos, j in enumerate(order, start=1):
            factors = dict(zip(FACTORS, vals[j].tolist(), strict=True))
            events.append(OutcomeEvent(t, j, "impression", factors, float(fixed[j]), position=pos))
            if liked[j] > cut and rng.random() < pos**-0.5:
                events.append(OutcomeEvent(t, j, "invite", factors))
    return events


def _precision_at(weights: dict, planted: dict, rng, k: int = 3, lists: int = 300) -> float:
    """Share of each fresh list's top k (by `weights`) that owners would like (top fifth)."""
    w = np.array([weights[f] for f in FACTORS])
    p = np.array([planted[f] for f in FACTORS])
    hits = 0
    for _ in range(lists):
        vals = rng.random((20, len(FACTORS)))
        liked = vals @ p
        good = set(np.flatnonzero(liked >= np.quantile(liked, 0.8)).tolist())
        hits += len(good & set(np.argsort(-(vals @ w))[:k].tolist()))
    return hits / (k * lists)


def test_the_learner_recovers_a_planted_preference():
    planted = {"text": 0.1, "skills": 0.1, "rate": 0.0, "overlap": 1.0, "availability": 0.0,
               "reputation": 0.6}  # fmt: skip
    rng = np.random.default_rng(7)
    model = train(_events_from_planted(rng, 80, 20, planted))
    assert model is not None and model.n_pairs == 1600
    fixed = _precision_at(BASE, planted, np.random.default_rng(1))
    learned = _precision_at(model.weights, planted, np.random.default_rng(1))
    best = _precision_at(planted, planted, np.random.default_rng(1))
    # the fixed weights find about a third of the liked; the learned ones nearly all of them
    assert learned > fixed + 0.3, (fixed, learned, model.weights)
    assert learned > 0.85 * best
    assert sum(model.weights.values()) == pytest.approx(sum(BASE.values()), abs=1e-5)
    assert all(w >= 0 for w in model.weights.values())


def test_too_few_events_keep_the_fixed_weights():
    rng = np.random.default_rng(3)
    events = _events_from_planted(rng, 10, 20, dict(BASE))  # 200 shown pairs, fewer than 500
    assert train(events) is None
    assert train(events, cfg=LearnerConfig(min_events=100)) is not None
    # shown but never acted on: nothing to learn either
    quiet = [e for e in events if e.kind == "impression"]
    assert train(quiet, cfg=LearnerConfig(min_events=100)) is None


def test_actions_without_an_impression_do_not_count_as_shown():
    events = [OutcomeEvent(1, a, "proposal", {"text": 0.5}) for a in range(600)]
    assert train(events, cfg=LearnerConfig(min_events=1, min_positives=1)) is None


def test_a_shortlist_counts_more_than_a_proposal_and_a_decline_counts_as_not_taken():
    shown = {"text": 0.5}

    def pair(*kinds):
        events = [OutcomeEvent(1, 7, "impression", shown, 0.5, position=1)]
        events += [OutcomeEvent(1, 7, kind) for kind in kinds]
        return events

    def label_and_weight(events):
        _, y, w = design(pairs(events))
        return int(y[0]), float(w[0])

    assert label_and_weight(pair("proposal")) == (1, 2.0)
    assert label_and_weight(pair("proposal", "shortlist")) == (1, 3.0)
    # the owner read it and said no, short list or not: a shown match that was not taken
    assert label_and_weight(pair("proposal", "shortlist", "decline")) == (0, 1.0)
    assert label_and_weight(pair("impression")) == (0, 1.0)


def test_unknown_event_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown event kind"):
        OutcomeEvent(1, 2, "click")


def _market():
    """Fifteen assistants in Manila whose profiles echo the post a little better, and fifteen
    in New York, the owners' own zone, where the owners (in the planted world) hire."""
    far = [
        Assistant(
            id=f"m{i}",
            headline="Bookkeeper, QuickBooks",
            bio="Monthly reconciliations and invoices in QuickBooks for small firms.",
            skills=("QuickBooks",),
            timezone="Asia/Manila",
            work_start="09:00",
            work_end="17:00",
            rating=4.6,
            review_count=10,
        )
        for i in range(15)
    ]
    near = [
        Assistant(
            id=f"n{i}",
            headline="Bookkeeper",
            bio="Invoices and payroll.",
            skills=("QuickBooks",),
            timezone="America/New_York",
            work_start="09:00",
            work_end="17:00",
            rating=4.6,
            review_count=10,
        )
        for i in range(15)
    ]
    return far + near  # fmt: skip


def _task(i) -> Task:
    return Task(id=i, title="QuickBooks bookkeeper for monthly reconciliations",
                description="Monthly reconciliations and invoices.", skills=("QuickBooks",),
                timezone="America/New_York")  # fmt: skip


def _play(matcher: Matcher, tasks: list[Task]) -> list[OutcomeEvent]:
    events = []
    for task, ranked in zip(tasks, matcher.rank_assistants_batch(tasks, k=20), strict=True):
        for pos, m in enumerate(ranked, start=1):
            f = m.explanation["factor_values"]
            events.append(OutcomeEvent(task.id, m.id, "impression", f, m.score, position=pos))
            if m.id.startswith("n") and pos % 2:  # owners invite people in their own hours
                events.append(OutcomeEvent(task.id, m.id, "invite", f, m.score))
                events.append(OutcomeEvent(task.id, m.id, "proposal", f, m.score))
    return events


def test_a_matcher_that_learns_ranks_what_owners_chose_first(tmp_path):
    matcher = Matcher(MatcherConfig(reference_date=REFERENCE)).fit(_market())
    before = [m.id for m in matcher.rank_assistants(_task("fresh"), k=5)]
    assert all(i.startswith("m") for i in before)  # the text favours Manila
    assert "weights" not in matcher.rank_assistants(_task("fresh"), k=1)[0].explanation

    model = matcher.learn(_play(matcher, [_task(i) for i in range(60)]))
    assert model is not None and matcher.outcome_model is model
    assert model.weights["overlap"] > BASE["overlap"]
    top = matcher.rank_assistants(_task("fresh"), k=5)
    assert all(m.id.startswith("n") for m in top), [m.id for m in top]

    # the explanation's contributions are the learned weights' and still add up to the score
    e = top[0].explanation
    assert sum(e["contributions"].values()) == pytest.approx(top[0].score)
    assert e["weights"]["source"] == "learned" and e["weights"]["model"] == model.version
    assert e["weights"]["factors"] == model.weights
    active = sum(model.weights[f] for f in e["factor_values"])
    for f, v in e["factor_values"].items():
        assert e["contributions"][f] == pytest.approx(model.weights[f] * v / active)
    assert json.dumps(e)

    # versioned with the index: saved and loaded with it, rankings the same
    path = tmp_path / "index.npz"
    matcher.save(path)
    loaded = Matcher.load(path)
    assert loaded.outcome_model == model
    again = loaded.rank_assistants(_task("fresh"), k=5)
    assert [(m.id, m.score) for m in again] == [(m.id, m.score) for m in top]

    # relearning on too few events goes back to the fixed weights
    assert matcher.learn(_play(matcher, [_task("x")])) is None
    assert [m.id for m in matcher.rank_assistants(_task("fresh"), k=5)] == before
    matcher.save(path)
    assert Matcher.load(path).outcome_model is None


def test_an_index_without_a_model_is_written_in_the_old_format(tmp_path):
    matcher = Matcher(MatcherConfig(reference_date=REFERENCE)).fit(_market())
    path = tmp_path / "plain.npz"
    matcher.save(path)
    with np.load(path) as z:
        header = json.loads(z["header"].tobytes())
    assert header["format"] == 1 and "outcome_model" not in header


def test_learned_weights_never_break_the_hard_constraints():
    """Weights only order the feasible: whatever is learned, a task's rate ceiling, weekly
    hours, required overlap and currency still keep everyone else out."""
    people = [
        Assistant(id="cheap", headline="Bookkeeper", hourly_rate_cents=2000, currency="USD",
                  hours_per_week=20, timezone="America/New_York", rating=3.0, review_count=40),
        Assistant(id="dear", headline="Bookkeeper", hourly_rate_cents=9000, currency="USD",
                  hours_per_week=40, timezone="America/New_York", rating=5.0, review_count=90),
        Assistant(id="euro", headline="Bookkeeper", hourly_rate_cents=2000, currency="EUR",
                  hours_per_week=40, timezone="America/New_York", rating=5.0, review_count=90),
        Assistant(id="busy", headline="Bookkeeper", hourly_rate_cents=2000, currency="USD",
                  hours_per_week=5, timezone="America/New_York", rating=5.0, review_count=90),
        Assistant(id="far", headline="Bookkeeper", hourly_rate_cents=2000, currency="USD",
                  hours_per_week=40, timezone="Asia/Manila", work_start="09:00",
                  work_end="17:00", rating=5.0, review_count=90),
    ]  # fmt: skip
    task = Task(id=1, title="Bookkeeper", max_hourly_rate_cents=5000, currency="USD",
                hours_per_week=10, timezone="America/New_York", overlap_hours=3)  # fmt: skip
    matcher = Matcher(MatcherConfig(reference_date=REFERENCE)).fit(people)
    only_reputation = {f: (1.0 if f == "reputation" else 0.0) for f in FACTORS}
    model = OutcomeModel(only_reputation, {}, dict(BASE), n_events=1, n_pairs=1, n_positive=1)
    matcher.use_outcome_model(model)
    assert [m.id for m in matcher.rank_assistants(task, k=5)] == ["cheap"]
