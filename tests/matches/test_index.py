"""The worker's matcher index follows the database incrementally instead of refitting."""

from marketplace.matches.index import MatcherIndex, to_matching_task
from marketplace.profiles.services import save_profile
from marketplace.tasks.services import close_task
from tests.factories import make_assistant, make_owner, make_task, profile_input


def test_changed_profiles_and_tasks_are_upserted_without_a_refit(app, db_session):
    owner = make_owner(db_session)
    task = make_task(
        db_session,
        owner,
        title="Design a logo in Canva",
        skills=["Canva"],
        description="A logo for a bakery, designed in Canva.",
    )
    va = make_assistant(db_session)  # a bookkeeper
    index = MatcherIndex()
    index.current(db_session)
    fitted = index.matcher

    save_profile(
        db_session,
        va,
        profile_input(headline="Logo designer", skills=["Canva"], bio="I design logos in Canva."),
    )
    db_session.flush()
    index.current(db_session)
    assert index.matcher is fitted  # caught up, not refitted
    top = index.matcher.rank_assistants(to_matching_task(task), k=1)
    assert top[0].id == va.id
    assert top[0].explanation["skills"] == [{"asked": "Canva", "has": ["Canva"], "kind": "exact"}]

    close_task(db_session, owner, task.id)
    index.current(db_session)
    assert task.id not in index.matcher.tasks.pos  # closed tasks leave the index
    assert index.current(db_session) is fitted  # nothing changed: same matcher, no work


def test_dense_weight_setting_reaches_the_worker_matcher(app, db_session, monkeypatch):
    import importlib.util
    import os

    import pytest

    from marketplace.matches.index import matcher_index

    if importlib.util.find_spec("sentence_transformers") is None and os.environ.get("CI") != "true":
        pytest.skip("the embeddings extra is absent")
    monkeypatch.setitem(app.config, "MATCHER_DENSE_WEIGHT", 0.3)
    app.extensions.pop("matcher_index", None)
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Reconcile our books", skills=["bookkeeping"])
    va = make_assistant(db_session)
    matcher = matcher_index(app).current(db_session)
    (top,) = matcher.rank_assistants(to_matching_task(task), k=1)
    assert top.id == va.id
    assert top.explanation["text_similarity"]["dense_weight"] == 0.3
    app.extensions.pop("matcher_index", None)


def test_static_dense_model_setting_reaches_the_worker_matcher(app, db_session, monkeypatch):
    """MATCHER_DENSE_MODEL=static blends the shipped table: no embeddings extra, no torch."""
    import sys

    from marketplace.matches.index import matcher_index

    monkeypatch.setitem(app.config, "MATCHER_DENSE_WEIGHT", 0.1)
    monkeypatch.setitem(app.config, "MATCHER_DENSE_MODEL", "static")
    app.extensions.pop("matcher_index", None)
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Reconcile our books", skills=["bookkeeping"])
    va = make_assistant(db_session)
    torch_loaded = "torch" in sys.modules
    matcher = matcher_index(app).current(db_session)
    (top,) = matcher.rank_assistants(to_matching_task(task), k=1)
    assert top.id == va.id
    assert top.explanation["text_similarity"]["dense_weight"] == 0.1
    assert type(matcher.dense).__name__ == "StaticEncoder"
    assert ("torch" in sys.modules) == torch_loaded  # the static table never imports torch
    app.extensions.pop("matcher_index", None)
