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
