"""The job-posting set ships with its licence, splits the same way every time, hides its tags."""

from __future__ import annotations

import json

from devtools.derive_skillspan import derive
from matching import skillspan
from matching.evaluation import evaluate_set, format_table


def test_the_project_ships_the_postings_with_their_licence(monkeypatch):
    monkeypatch.delenv("SKILLSPAN_DIR", raising=False)
    d = skillspan.data_dir()
    assert d == skillspan.DEFAULT_DIR
    assert "MIT License" in (d / "LICENSE").read_text(encoding="utf-8")
    attribution = (d / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "github.com/kris927b/SkillSpan" in attribution and "MIT licence" in attribution
    ls = skillspan.load()
    assert len(ls.profiles) == 134 and len(ls.tune) + len(ls.held_out) == 134


def test_split_is_fixed_by_the_ids_and_never_overlaps():
    first, again = skillspan.load(), skillspan.load()
    tune = {t.id for t in first.tune}
    held = {t.id for t in first.held_out}
    assert tune == {t.id for t in again.tune} and held == {t.id for t in again.held_out}
    assert tune.isdisjoint(held) and min(len(tune), len(held)) > 50
    assert all(skillspan.held_out(t.id.removeprefix("post-")) for t in first.held_out)
    # The split belongs to each posting, not to where it sits in the file.
    reordered = skillspan.labelled(list(reversed(skillspan.postings())))
    assert {t.id for t in reordered.held_out} == held


def test_the_tags_that_grade_are_in_neither_query_nor_profile():
    rows = {r["id"]: r for r in skillspan.postings()}
    ls = skillspan.load()
    tags_lines = {r["id"]: "Technologies " + " ".join(r["tags"]) for r in rows.values()}
    for p in ls.profiles:
        assert not p.skills and not p.headline and tags_lines[p.id] not in p.bio
    for t in ls.tune + ls.held_out:
        g = ls.grades[t.id]
        own = t.id.removeprefix("post-")
        assert g[own] == 2 and list(g.values()).count(2) == 1
        assert t.title == rows[own]["title"] and t.description
        for other, grade in g.items():
            if other != own:
                assert grade == 1
                assert len(set(rows[other]["tags"]) & set(rows[own]["tags"])) >= 2


def test_derive_keeps_tagged_tech_postings_and_their_description_only(tmp_path):
    def line(idx, tokens, source="tech"):
        tokens = tokens.split()
        o = ["O"] * len(tokens)
        return json.dumps(
            {"idx": idx, "tokens": tokens, "tags_skill": o, "tags_knowledge": o, "source": source}
        )

    source = tmp_path / "json"
    source.mkdir()
    (source / "train.json").write_text(
        "\n".join(
            [
                line(1, "Bookkeeper <ORGANIZATION>"),
                line(1, "Date posted: 2021-01-01 Technologies quickbooks . net Job description"),
                line(1, "Reconcile accounts for <ORGANIZATION> every month ."),
                line(1, "Job benefits: free coffee"),
                line(2, "Untagged role"),
                line(2, "Job description Answer the phone ."),
                line(3, "House role Technologies excel Job description Data entry .", "house"),
            ]
        ),
        encoding="utf-8",
    )
    for name in ("dev", "test"):
        (source / f"{name}.json").write_text("", encoding="utf-8")
    assert derive(source, tmp_path / "out") == 1
    first = (tmp_path / "out" / skillspan.FILE).read_bytes()
    [row] = skillspan.postings(tmp_path / "out")
    assert row == {
        "id": "train-1",
        "title": "Bookkeeper",
        "tags": [".net", "quickbooks"],
        "description": "Reconcile accounts for every month .",
    }
    derive(source, tmp_path / "out")
    assert (tmp_path / "out" / skillspan.FILE).read_bytes() == first  # byte-identical rebuild


def test_evaluation_prints_the_postings_beside_both_baselines():
    res = evaluate_set(skillspan.load(), splits=("tune",))
    table = format_table("postings", res)
    for name in ("tfidf", "bm25", "matcher", "matcher/TF-IDF"):
        assert name in table
    assert ("held_out", "matcher") not in res  # held-out is scored only when asked for


def test_matcher_beats_both_baselines_on_the_postings_tune_split():
    # before 2.5.0 it lost to TF-IDF here (0.430 vs 0.443): a whole post's generic words
    # outweighed the few rare ones it shares with the profile it was cut from
    res = evaluate_set(skillspan.load(), splits=("tune",))
    ours = res[("tune", "matcher")]["ndcg@10"]
    best = max(res[("tune", name)]["ndcg@10"] for name in ("tfidf", "bm25"))
    assert ours > best + 0.03, res
