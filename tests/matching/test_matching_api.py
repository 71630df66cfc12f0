import json

import numpy as np
import pytest

from matching import (
    MATCHER_VERSION,
    Assistant,
    IncompatibleIndexError,
    InputError,
    Matcher,
    MatcherConfig,
    Task,
    normalise_skill,
)


def test_normalise_skill_folds_and_maps_synonyms():
    assert normalise_skill("QuickBooks ") == "bookkeeping"[:0] + normalise_skill("quickbooks")
    assert normalise_skill("  Inbox ") == normalise_skill("email management")
    assert normalise_skill("E-mail") == normalise_skill("email")
    assert normalise_skill("Obsidian!") == "obsidian"  # unknown skills keep their folded form
    assert normalise_skill("QUICKBOOKS") == normalise_skill("quickbooks")


def test_quickbooks_meets_bookkeeping_and_inbox_meets_email(config):
    book = Assistant(
        id="a", headline="Virtual assistant", bio="Ten years of QuickBooks", skills=("QuickBooks",)
    )
    mail = Assistant(
        id="b", headline="Virtual assistant", bio="I tame your inbox", skills=("Inbox",)
    )
    m = Matcher(config).fit([book, mail])
    top = m.rank_assistants(Task(id=1, title="Bookkeeping help", skills=("bookkeeping",)))
    assert top[0].id == "a"
    # the factor credits QuickBooks as bookkeeping; the explanation says what she listed
    assert top[0].explanation["skills"] == [
        {"asked": "bookkeeping", "has": ["QuickBooks"], "kind": "similar"}
    ]
    top = m.rank_assistants(Task(id=2, title="Email management", skills=("email management",)))
    assert top[0].id == "b"
    assert json.dumps(top[0].explanation)  # JSON-serialisable as the web app needs


def test_cold_start_assistant_is_not_buried(config):
    veteran = Assistant(id="v", headline="bookkeeper", rating=4.0, review_count=200)
    newcomer = Assistant(id="n", headline="bookkeeper")
    m = Matcher(config).fit([veteran, newcomer])
    ranked = m.rank_assistants(Task(id=1, title="bookkeeper"))
    assert [x.id for x in ranked] == ["n", "v"]
    rep = ranked[0].explanation["reputation"]
    assert rep["cold_start_bonus"] > 0


def test_update_changes_an_item_without_refit(config):
    m = Matcher(config).fit([Assistant(id=1, headline="designer"), Assistant(id=2, headline="x")])
    m.upsert_assistants([Assistant(id=2, headline="bookkeeper quickbooks")])
    assert m.rank_assistants(Task(id=1, title="quickbooks bookkeeper"), k=1)[0].id == 2
    m.remove_assistants([2])
    assert [x.id for x in m.rank_assistants(Task(id=1, title="bookkeeper"))] == [1]
    assert m.assistant_ids() == {1} and m.task_ids() == set()


def test_incompatible_index_is_refused(tmp_path, config):
    m = Matcher(config).fit([Assistant(id=1, headline="designer")])
    path = tmp_path / "idx.npz"
    m.save(path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["header"].tobytes())
    header["format"] = 999
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(IncompatibleIndexError, match="format 999"):
        Matcher.load(path)
    (tmp_path / "junk.npz").write_bytes(b"not an index")
    with pytest.raises(IncompatibleIndexError):
        Matcher.load(tmp_path / "junk.npz")
    assert MATCHER_VERSION


def test_bad_dataclass_input_names_the_field():
    with pytest.raises(InputError, match="'rating'"):
        Assistant(id=1, rating=7)
    with pytest.raises(InputError, match="'currency'"):
        Task(id=1, currency="dollars")


def test_unfitted_matcher_and_weights():
    with pytest.raises(RuntimeError):
        Matcher().rank_assistants(Task(id=1, title="x"))
    with pytest.raises(ValueError):
        MatcherConfig(weights={"luck": 1.0})
    assert Matcher().fit().rank_assistants(Task(id=1, title="x")) == []


def test_batch_beyond_the_candidate_pool_matches_single_queries():
    cfg = MatcherConfig(candidate_pool=20)
    words = ["bookkeeping", "invoices", "inbox", "calendar", "design", "canva", "travel", "excel"]
    rng = np.random.default_rng(0)
    assistants = [
        Assistant(
            id=i,
            headline=" ".join(rng.choice(words, 3)),
            bio=" ".join(rng.choice(words, 6)),
            rating=float(rng.uniform(3, 5)),
            review_count=int(rng.integers(0, 50)),
        )
        for i in range(300)
    ]
    tasks = [Task(id=j, title=" ".join(rng.choice(words, 3))) for j in range(20)]
    m = Matcher(cfg).fit(assistants)
    batch = m.rank_assistants_batch(tasks, k=5)
    single = [m.rank_assistants(t, k=5) for t in tasks]

    # the batch re-scores candidates with another float32 product: equal up to rounding
    def key(ms):
        return [(x.id, round(x.score, 5)) for x in ms]

    agree = sum(key(b) == key(s) for b, s in zip(batch, single, strict=True))
    assert agree >= 18
