"""The static table (all-MiniLM-L6-v2 distilled to word-piece rows): numpy only, no torch."""

import subprocess
import sys

import numpy as np
import pytest

from matching import Matcher, MatcherConfig, Task
from matching.static import DATA, StaticEncoder, _load, words
from tests.matching.matching_strategies import REFERENCE
from tests.matching.test_matching_dense import ASSISTANTS

STATIC = MatcherConfig(reference_date=REFERENCE, dense_weight=0.3, dense_model="static")


@pytest.fixture(scope="module")
def static_matcher():
    return Matcher(STATIC).fit(ASSISTANTS)


def pieces(text: str) -> list[str]:
    wp, _ = _load("static")
    vocab = (DATA / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return [vocab[i] for w in words(text) for i in wp.pieces(w)]


def test_words_are_cut_as_the_model_cuts_them():
    # the model's own tokenizer (tokenizers 0.23, tokenizer.json) gives these pieces
    assert pieces("QuickBooks bookkeeping for a café in São Paulo") == [
        "quick", "##books", "book", "##keeping", "for", "a", "cafe", "in", "sao", "paulo",
    ]  # fmt: skip
    assert pieces("I'll reconcile accounts-payable, Xero & FreshBooks!") == [
        "i", "ll", "reconcile", "accounts", "pay", "##able", "x", "##ero", "fresh", "##books",
    ]  # fmt: skip
    assert pieces("naïve résumé écrivain 24/7") == [
        "naive", "resume", "ec", "##ri", "##va", "##in", "24", "7",
    ]  # fmt: skip


def test_static_matcher_imports_no_deep_learning_framework():
    code = (
        "import sys; from matching import Matcher, MatcherConfig, Assistant, Task; "
        "m = Matcher(MatcherConfig(dense_weight=0.3, dense_model='static'))"
        ".fit([Assistant(id=1, headline='Bookkeeper')]); "
        "m.rank_assistants(Task(id=1, title='books')); "
        "print(any(k in sys.modules for k in ('torch', 'sentence_transformers', 'transformers')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_vectors_are_half_precision_unit_vectors_and_meaning_beats_words(static_matcher):
    emb = static_matcher.assistants.dense
    assert emb.shape == (4, 128) and emb.dtype == np.float16
    np.testing.assert_allclose(np.linalg.norm(emb.astype(np.float64), axis=1), 1.0, atol=2e-3)
    # no word in common with any profile: only the vectors can tell who fits
    for title, who in [
        ("Sort out my accounts payable", "books"),
        ("Book me a vacation to Lisbon", "travel"),
        ("Make a logo for my bakery", "design"),
    ]:
        assert static_matcher.rank_assistants(Task(id=1, title=title), k=4)[0].id == who


def test_a_text_with_no_known_word_gets_a_zero_vector_and_no_dense_credit():
    got = StaticEncoder().encode_texts(["", "!!! ---", "books"])
    assert not got[0].any() and not got[1].any() and got[2].any()


def test_save_load_keeps_vectors_and_rankings(static_matcher, tmp_path):
    task = Task(id=5, title="Keep the ledgers for my shop")
    before = [(x.id, x.score) for x in static_matcher.rank_assistants(task, k=3)]
    path = tmp_path / "static.npz"
    static_matcher.save(path)
    loaded = Matcher.load(path)
    assert loaded.config.dense_model == "static"
    assert loaded.assistants.dense.dtype == np.float16
    assert [(x.id, x.score) for x in loaded.rank_assistants(task, k=3)] == before


def test_batch_path_agrees_with_single_path(static_matcher):
    tasks = [
        Task(id=j, title=t) for j, t in enumerate(["ledgers", "posters", "flights", "tickets"])
    ]
    batch = static_matcher.rank_assistants_batch(tasks, k=4)
    for t, got in zip(tasks, batch, strict=True):
        single = static_matcher.rank_assistants(t, k=4)
        assert [(x.id, x.score) for x in got] == [(x.id, x.score) for x in single]
