"""A long query - a whole job post - is won by the rare words it shares, not by the generic
ones every profile repeats (issue 13: the SkillSpan postings' tune split)."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from matching import Assistant, Matcher, MatcherConfig, Task
from matching.text import sharpen_long

GENERIC = [
    "team",
    "experience",
    "develop",
    "software",
    "customer",
    "product",
    "work",
    "year",
    "solution",
    "service",
    "digital",
    "project",
    "quality",
    "support",
    "design",
    "code",
    "requirement",
    "environment",
    "communication",
    "agile",
    "international",
    "company",
    "flexible",
    "office",
    "skill",
    "knowledge",
    "engineer",
    "technology",
    "system",
]


def generic_text(n_words: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(rng.choice(GENERIC, size=n_words))


def job_post_matcher(config: MatcherConfig) -> tuple[Matcher, Task]:
    """Profiles that all talk like job ads, one of them longer than the rest; only one shares
    the post's trade (carton and pallet labelling)."""
    fillers = [
        Assistant(id=f"filler-{i}", bio=f"{generic_text(60, i)} {word}")
        for i, word in enumerate(("java", "python", "react", "kotlin", "golang", "scala") * 3)
    ]
    generic = Assistant(id="generic", bio=generic_text(90, 100))
    trade = Assistant(
        id="labelling",
        bio=f"{generic_text(25, 99)} carton pallet labelling printers for pharmaceutical lines",
    )
    post = Task(
        id="post",
        title="Full stack software developer",
        description=(
            generic_text(60, 101)
            + " we build labelling software for carton and pallet printers used on "
            "pharmaceutical packaging lines across many plants and warehouses worldwide . "
            "Founded fifty years ago in a family workshop near the river , our headquarters "
            "hosts engineers , electricians , mechanics and sales staff who ship machines to "
            "food , beverage , chemical and cosmetics producers on five continents , with "
            "subsidiaries in France , Spain , Poland , Mexico and Singapore , a canteen , "
            "bicycle leasing , sabbaticals and a yearly summer festival"
        ),
    )
    m = Matcher(config).fit(assistants=[*fillers, generic, trade], tasks=[post])
    return m, post


def test_a_long_post_ranks_the_profile_sharing_its_rare_words_first(config):
    m, post = job_post_matcher(config)
    assert m.rank_assistants(post, k=3)[0].id == "labelling"


def test_without_sharpening_a_profile_of_generic_words_wins(config):
    # what the matcher did before 2.5.0, so the test above can fail
    m, post = job_post_matcher(dataclasses.replace(config, long_query_idf_power=1.0))
    assert m.rank_assistants(post, k=3)[0].id != "labelling"


def test_short_requests_are_scored_exactly_as_before(config):
    profiles = [
        Assistant(id="books", bio="bookkeeping in QuickBooks and invoices"),
        Assistant(id="inbox", bio="inbox and calendar management for busy founders"),
        Assistant(id="social", bio="social media posts and scheduling"),
    ]
    task = Task(id="t", title="Reconcile invoices in QuickBooks", description="monthly books")
    plain = dataclasses.replace(config, long_query_idf_power=1.0)
    ours = Matcher(config).fit(assistants=profiles).rank_assistants(task, k=3)
    before = Matcher(plain).fit(assistants=profiles).rank_assistants(task, k=3)
    assert [(x.id, x.score) for x in ours] == [(x.id, x.score) for x in before]


def test_sharpening_ramps_with_length_and_keeps_rows_unit_length():
    idf = np.array([1.0, 2.0, 4.0] + [1.5] * 197)
    short = sp.csr_matrix(([0.6, 0.8], ([0, 0], [0, 2])), shape=(1, 200), dtype=np.float32)
    assert sharpen_long(short, idf, 3.5, (64, 128)) is short  # below the ramp: the same row
    cols = np.arange(150)
    long = sp.csr_matrix(
        (np.full(150, 1 / np.sqrt(150)), (np.zeros(150, dtype=int), cols)),
        shape=(1, 200),
        dtype=np.float32,
    )
    out = sharpen_long(long, idf, 3.5, (64, 128)).toarray()[0]
    assert out[2] / out[1] == pytest.approx(2.0**2.5, rel=1e-5)  # full ramp: idf ** 2.5
    assert np.linalg.norm(out) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"long_query_idf_power": 0.5}, "long_query_idf_power"),
        ({"long_query_terms": (128, 64)}, "long_query_terms"),
        ({"long_query_terms": (-1, 64)}, "long_query_terms"),
    ],
)
def test_bad_sharpening_settings_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        MatcherConfig(**changes)


def test_saved_index_keeps_the_sharpening(tmp_path, config):
    m, post = job_post_matcher(dataclasses.replace(config, long_query_terms=(32, 96)))
    m.save(tmp_path / "index.npz")
    loaded = Matcher.load(tmp_path / "index.npz")
    assert loaded.config.long_query_terms == (32, 96)
    assert loaded.rank_assistants(post, k=5) == m.rank_assistants(post, k=5)
