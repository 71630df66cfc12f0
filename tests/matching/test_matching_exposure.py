"""Fair exposure (`matching.exposure`): a cap on one assistant's slots, places kept for new
assistants chosen by relevance and saying so, and the Gini of impressions."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Assistant, Match, Matcher, MatcherConfig, Task
from matching.exposure import (
    SHOWN_BY_QUOTA,
    ExposurePolicy,
    allocate,
    allocate_batch,
    gini,
    share_cap,
)
from tests.matching.matching_strategies import REFERENCE


def ranked(*scores, prefix="a"):
    return [Match(f"{prefix}{i}", s, {"factor_values": {"text": s}}) for i, s in enumerate(scores)]


def ids(matches):
    return [m.id for m in matches]


def test_a_popular_assistant_stops_taking_slots_at_the_cap_and_the_next_best_gets_them():
    # a0, a1 and a2 top every list; with a cap of 2 the third and fourth lists go to others
    lists = [ranked(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3) for _ in range(4)]
    counts: dict = {}
    shown = allocate_batch(lists, 3, ExposurePolicy(cap=2), counts=counts)
    assert [ids(s) for s in shown] == [["a0", "a1", "a2"]] * 2 + [["a3", "a4", "a5"]] * 2
    assert counts == {f"a{i}": 2 for i in range(6)}
    # without a cap the same three take all twelve slots
    assert [ids(s) for s in allocate_batch(lists, 3, ExposurePolicy())] == [["a0", "a1", "a2"]] * 4


def test_the_cap_never_leaves_a_list_shorter_than_it_could_be():
    # only two candidates and both capped: they are shown anyway, best first
    out = allocate(ranked(0.9, 0.4), 3, ExposurePolicy(cap=1), counts={"a0": 5, "a1": 5})
    assert ids(out) == ["a0", "a1"]
    # one capped among enough others: passed over
    out = allocate(ranked(0.9, 0.8, 0.7, 0.6), 3, ExposurePolicy(cap=1), counts={"a0": 1})
    assert ids(out) == ["a1", "a2", "a3"]


def test_a_place_already_held_in_this_list_is_not_a_new_slot():
    out = allocate(
        ranked(0.9, 0.8, 0.7, 0.6), 3, ExposurePolicy(cap=1), counts={"a0": 9}, keep={"a0"}
    )
    assert ids(out) == ["a0", "a1", "a2"]


def test_newcomers_get_the_kept_places_by_relevance_and_their_explanation_says_so():
    matches = ranked(0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.3)
    # a5 and a6 are new; a6's 0.3 is under 0.6 x the best (0.54): not relevant enough
    out = allocate(matches, 4, ExposurePolicy(new_share=0.5), newcomers={"a5", "a6"})
    assert ids(out) == ["a0", "a1", "a2", "a5"]  # a5 replaces a3, the lowest of the others
    by_id = {m.id: m for m in out}
    assert by_id["a5"].score == 0.6  # the score is the matcher's, unchanged
    assert by_id["a5"].explanation["shown_by"] == SHOWN_BY_QUOTA
    assert by_id["a5"].explanation["factor_values"] == {"text": 0.6}
    assert "shown_by" not in by_id["a0"].explanation


def test_a_newcomer_who_earned_a_place_on_score_is_not_marked_and_fills_the_quota():
    out = allocate(ranked(0.9, 0.85, 0.8, 0.7), 2, ExposurePolicy(new_share=0.5), newcomers={"a1"})
    assert ids(out) == ["a0", "a1"]
    assert all("shown_by" not in m.explanation for m in out)


def test_a_short_list_grows_with_newcomers_rather_than_dropping_anyone():
    # four candidates for five places, one of them new: nobody gives way
    out = allocate(ranked(0.9, 0.8, 0.7, 0.6), 5, ExposurePolicy(new_share=0.4), newcomers={"a3"})
    assert ids(out) == ["a0", "a1", "a2", "a3"]


def test_policies_refuse_nonsense():
    with pytest.raises(ValueError):
        ExposurePolicy(cap=0)
    with pytest.raises(ValueError):
        ExposurePolicy(new_share=1.5)
    with pytest.raises(ValueError):
        share_cap(0, 100)
    assert share_cap(0.003, 1500) == 4 and share_cap(0.0001, 10) == 1
    assert ExposurePolicy().candidates(10) == 10  # nothing to do: rank only k
    assert ExposurePolicy(cap=3).candidates(10) == 30
    assert ExposurePolicy(new_share=0.2).quota(10) == 2


def test_gini_of_impressions():
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 20]) == pytest.approx(0.75)  # one of four has everything
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)


lists_of_scores = st.lists(
    st.lists(st.floats(0, 1), min_size=0, max_size=12).map(lambda s: sorted(s, reverse=True)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    lists_of_scores,
    st.integers(1, 6),
    st.integers(1, 4),
    st.floats(0, 1),
    st.sets(st.integers(0, 11), max_size=6),
)
def test_allocation_shows_only_ranked_people_in_score_order_and_respects_the_cap(
    score_lists, k, cap, share, new
):
    # the same twelve people appear in every list, with different scores
    lists = [
        [Match(f"a{(i * 5 + j) % 12}", s, {}) for j, s in enumerate(scores)]
        for i, scores in enumerate(score_lists)
    ]
    lists = [[m for n, m in enumerate(ms) if m.id not in ids(ms[:n])] for ms in lists]
    newcomers = {f"a{i}" for i in new}
    counts: dict = {}
    policy = ExposurePolicy(cap=cap, new_share=share)
    for ms in lists:
        before = dict(counts)
        out = allocate(ms, k, policy, counts=before, newcomers=newcomers)
        assert len(out) <= k
        assert len(set(ids(out))) == len(out) and set(ids(out)) <= set(ids(ms))
        assert [m.score for m in out] == sorted((m.score for m in out), reverse=True)
        under = [m for m in ms if before.get(m.id, 0) < cap]
        if len(under) >= k:  # enough people under the cap: nobody over it is shown
            assert all(before.get(m.id, 0) < cap for m in out)
        assert len(out) >= min(k, len(ms))  # never shorter than it could be
        for m in out:
            counts[m.id] = counts.get(m.id, 0) + 1


def _people():
    common = dict(timezone="America/New_York", work_start="09:00", work_end="17:00")
    veterans = [
        Assistant(id=f"v{i}", headline="Bookkeeper, QuickBooks and Xero",
                  bio="Monthly reconciliations and invoices in QuickBooks.",
                  skills=("QuickBooks",), rating=4.8, review_count=30, **common)
        for i in range(6)
    ]  # fmt: skip
    fresh = Assistant(id="new", headline="Bookkeeper", bio="Invoices and reconciliations.",
                      skills=("QuickBooks",), review_count=0, **common)  # fmt: skip
    return [*veterans, fresh]


def test_with_the_matcher_a_new_bookkeeper_is_shown_and_the_explanation_stays_whole():
    matcher = Matcher(MatcherConfig(reference_date=REFERENCE)).fit(_people())
    task = Task(id=1, title="QuickBooks bookkeeper", description="Monthly reconciliations.",
                skills=("QuickBooks",), timezone="America/New_York")  # fmt: skip
    policy = ExposurePolicy(new_share=0.2)
    wide = matcher.rank_assistants(task, k=policy.candidates(5))
    assert "new" not in ids(wide[:5])  # on score alone the veterans fill the list
    out = allocate(wide, 5, policy, newcomers={"new"})
    assert "new" in ids(out) and len(out) == 5
    e = next(m for m in out if m.id == "new").explanation
    assert e["shown_by"] == SHOWN_BY_QUOTA
    score = next(m.score for m in wide if m.id == "new")
    assert sum(e["contributions"].values()) == pytest.approx(score)
    assert {s["asked"] for s in e["skills"]} == {"QuickBooks"}
