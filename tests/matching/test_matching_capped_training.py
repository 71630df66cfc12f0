"""Capped training (`matching.learning`): one heavy owner cannot steer the learned weights,
a pair is one example however many events it has, and only the latest events are read."""

import dataclasses

import numpy as np
import pytest

from matching import FACTORS, MatcherConfig
from matching.learning import LearnerConfig, OutcomeEvent, design, pairs, train

BASE = MatcherConfig().weights
# most owners care about shared hours; the heavy one only about the rate
MOST = {"text": 0.1, "skills": 0.1, "rate": 0.0, "overlap": 1.0, "availability": 0.0,
        "reputation": 0.3}  # fmt: skip
HEAVY = {"text": 0.0, "skills": 0.0, "rate": 1.0, "overlap": 0.0, "availability": 0.0,
         "reputation": 0.0}  # fmt: skip


def shown_lists(rng, tasks, owner_of, taste: dict, per_task: int = 20, offset: int = 0):
    """Lists in the fixed weights' order; owners invite the best fifth by their `taste`."""
    events = []
    for t in tasks:
        vals = rng.random((per_task, len(FACTORS)))
        order = np.argsort(-(vals @ np.array([BASE[f] for f in FACTORS])))
        liked = vals @ np.array([taste[f] for f in FACTORS]) + rng.normal(0, 0.05, per_task)
        cut = np.quantile(liked, 0.8)
        for pos, j in enumerate(order, start=1):
            f = dict(zip(FACTORS, vals[j].tolist(), strict=True))
            a = offset + int(rng.integers(0, 10_000))  # a large pool: assistants barely repeat
            events.append(OutcomeEvent(t, a, "impression", f, position=pos, owner_id=owner_of(t)))
            if liked[j] > cut and rng.random() < pos**-0.5:
                events.append(OutcomeEvent(t, a, "invite", f, owner_id=owner_of(t)))
    return events


def world(seed=5):
    rng = np.random.default_rng(seed)
    most = shown_lists(rng, range(100), lambda t: f"owner{t}", MOST)
    # one owner posts three times as many tasks as everyone else together
    heavy = shown_lists(rng, range(1000, 1300), lambda t: "heavy", HEAVY, offset=10_000)
    return most, heavy


def test_a_heavy_owner_cannot_steer_the_learned_weights():
    most, heavy = world()
    alone = train(most, cfg=LearnerConfig(max_pairs_per_person=None))
    uncapped = train(most + heavy, cfg=LearnerConfig(max_pairs_per_person=None))
    capped = train(most + heavy, cfg=LearnerConfig(max_pairs_per_person=100))
    assert alone and uncapped and capped
    # uncapped, the one owner's taste for rate takes over: rate outweighs shared hours
    assert uncapped.weights["rate"] > uncapped.weights["overlap"], uncapped.weights
    # capped, their 6,000 pairs count as 100: the market's own preference stands
    assert capped.weights["overlap"] > 2 * capped.weights["rate"], capped.weights
    assert capped.weights["overlap"] == pytest.approx(alone.weights["overlap"], rel=0.25)


def test_a_pair_is_one_example_however_many_events_it_has():
    shown = {"text": 0.5, "skills": 0.2}
    events = [OutcomeEvent(1, 7, "impression", shown, position=1) for _ in range(300)]
    events += [OutcomeEvent(1, 7, "proposal") for _ in range(50)]
    events += [OutcomeEvent(1, 8, "impression", shown, position=2)]
    x, y, w = design(pairs(events))
    assert len(y) == 2 and list(y) == [1, 0] and list(w) == [2.0, 1.0]


def test_an_assistant_who_proposes_everywhere_weighs_as_the_cap_allows():
    events = []
    for t in range(400):  # one assistant shown and proposing on 400 tasks, beside another
        events.append(OutcomeEvent(t, "eager", "impression", {"text": 0.2}, position=1))
        events.append(OutcomeEvent(t, "eager", "proposal"))
        events.append(OutcomeEvent(t, f"other{t}", "impression", {"text": 0.9}, position=2))
    _, y, w = design(pairs(events), max_pairs_per_person=100)
    eager = w[y == 1]
    assert eager.sum() == pytest.approx(100 * 2.0)  # 400 proposals count as 100
    assert w[y == 0].sum() == pytest.approx(400.0)  # people with one pair each: untouched


def test_only_the_most_recent_events_are_trained_on():
    most, heavy = world(seed=9)
    old = [dataclasses.replace(e, task_id=("old", e.task_id)) for e in heavy]
    recent = most
    cfg = LearnerConfig(max_events=len(recent), max_pairs_per_person=None)
    bounded = train(old + recent, cfg=cfg)
    assert bounded is not None
    assert bounded.weights == train(recent, cfg=cfg).weights
    assert bounded.n_events == len(recent)
    with pytest.raises(ValueError):
        LearnerConfig(max_events=0)
