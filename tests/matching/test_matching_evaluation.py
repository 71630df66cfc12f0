"""The matcher beats both baselines on the O*NET VA pool (tune split only, to keep it fast)."""

from matching import onet
from matching.evaluation import bm25_baseline, matcher_ranker, metrics, tfidf_baseline


def test_matcher_beats_baselines_on_va_tune_split():
    ls = onet.load(None, onet.VA_POOL)  # the packaged O*NET set (or $ONET_DIR)
    scores = {
        name: metrics(make(ls.profiles)(ls.tune), ls.tune, ls.grades)["ndcg@10"]
        for name, make in (("tfidf", tfidf_baseline), ("bm25", bm25_baseline))
    }
    ours = metrics(matcher_ranker(ls.profiles, ls.tune)(ls.tune), ls.tune, ls.grades)["ndcg@10"]
    assert ours > max(scores.values()) + 0.05, (ours, scores)


def test_under_the_exposure_cap_no_profile_takes_more_than_its_share_of_the_top_10s():
    from collections import Counter

    from matching.evaluation import impressions_gini

    ls = onet.load(None, onet.VA_POOL)
    free = matcher_ranker(ls.profiles, ls.tune)(ls.tune)
    capped = matcher_ranker(ls.profiles, ls.tune, cap=1.5)(ls.tune)
    cap = int(1.5 * len(ls.tune) * 10 / len(ls.profiles))
    assert max(Counter(i for ids in free for i in ids).values()) > cap  # it binds here
    assert max(Counter(i for ids in capped for i in ids).values()) <= cap
    assert all(len(ids) == 10 and len(set(ids)) == 10 for ids in capped)
    assert impressions_gini(capped, ls.profiles) < impressions_gini(free, ls.profiles) - 0.05
