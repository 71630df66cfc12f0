"""NDCG@10, MRR@10 and recall@10 of the matcher beside TF-IDF and BM25 baselines, one run.

Every labelled set is scored: O*NET task statements against occupation profiles (`onet`), and
real job postings against the rest of other postings, graded by the job board's own skill tags
(`skillspan`). The matcher is the product's own: `Matcher()` with default config, fitted on the
profiles and the tune queries (unsupervised: vocabulary and IDF only, no labels), never on
held-out ones. The baselines index the profiles alone, as a search engine over profiles would,
and read the same query text as the matcher (title and description).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import make_union

from . import onet, skillspan
from .exposure import ExposurePolicy, allocate_batch, gini, share_cap
from .matcher import Matcher
from .models import Assistant, Task
from .scoring import MatcherConfig
from .static import is_static

K = 10


def metrics(ranked: Sequence[Sequence[str]], tasks: Sequence[Task], grades, k: int = K):
    """Mean NDCG@k (gain 2^g - 1), MRR@k and recall@k of the own occupation (grade 2)."""
    nd, rr, rec = [], [], []
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    for ids, task in zip(ranked, tasks, strict=True):
        g = grades[task.id]
        gains = [2 ** g.get(i, 0) - 1 for i in ids[:k]]
        ideal = sorted((2**v - 1 for v in g.values()), reverse=True)[:k]
        nd.append(float(np.dot(gains, disc[: len(gains)]) / np.dot(ideal, disc[: len(ideal)])))
        own = next(c for c, v in g.items() if v == 2)
        pos = list(ids[:k]).index(own) if own in ids[:k] else -1
        rr.append(1.0 / (pos + 1) if pos >= 0 else 0.0)
        rec.append(1.0 if pos >= 0 else 0.0)
    return {
        "ndcg@10": float(np.mean(nd)),
        "mrr@10": float(np.mean(rr)),
        "recall@10": float(np.mean(rec)),
        "n": len(nd),
    }


def profile_text(p: Assistant) -> str:
    return " ".join([p.headline, p.bio, " ".join(p.skills)])


def task_text(t: Task) -> str:
    return " ".join(part for part in (t.title, t.description) if part)


def _top(scores: np.ndarray, ids: list[str], k: int = K) -> list[list[str]]:
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return [[ids[j] for j in row] for row in order]


def tfidf_baseline(profiles: list[Assistant]) -> Callable[[list[Task]], list[list[str]]]:
    vec = make_union(
        TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2)),
        TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5)),
    )
    docs = vec.fit_transform([profile_text(p) for p in profiles])
    ids = [str(p.id) for p in profiles]
    return lambda tasks: _top(
        (vec.transform([task_text(t) for t in tasks]) @ docs.T).toarray(), ids
    )


def bm25_baseline(profiles: list[Assistant], k1: float = 1.5, b: float = 0.75):
    """Okapi BM25 (the rank_bm25/Lucene formula, non-negative IDF) over the same tokens."""
    cv = CountVectorizer(stop_words="english")
    tf = cv.fit_transform([profile_text(p) for p in profiles]).tocsc().astype(np.float64)
    n = tf.shape[0]
    df = np.diff(tf.indptr)
    idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0)
    dl = np.asarray(tf.sum(axis=1)).ravel()
    tf = tf.tocoo()
    norm = k1 * (1 - b + b * dl[tf.row] / dl.mean())
    w = tf.data * (k1 + 1) / (tf.data + norm) * idf[tf.col]
    weights = type(tf)((w, (tf.row, tf.col)), shape=tf.shape).tocsr()
    ids = [str(p.id) for p in profiles]

    def rank(tasks):
        q = cv.transform([task_text(t) for t in tasks])
        q.data[:] = 1.0  # each query term once, as rank_bm25's get_scores does per token
        return _top((q @ weights.T).toarray(), ids)

    return rank


def matcher_ranker(profiles: list[Assistant], tune: list[Task], config=None, cap: float = 0.0):
    """The matcher's top 10 per query; with `cap`, under the exposure cap: the queries are
    shown one after another and no profile takes more than `cap` times the even share of
    their slots (slots / profiles)."""
    m = Matcher(config).fit(assistants=profiles, tasks=tune)
    if not cap:
        return lambda tasks: [[str(x.id) for x in ms] for ms in m.rank_assistants_batch(tasks, K)]

    def rank(tasks):
        policy = ExposurePolicy(cap=share_cap(min(1.0, cap / len(profiles)), len(tasks) * K))
        wide = m.rank_assistants_batch(tasks, policy.candidates(K))
        return [[str(x.id) for x in ms] for ms in allocate_batch(wide, K, policy)]

    return rank


def impressions_gini(ranked: Sequence[Sequence[str]], profiles: list[Assistant]) -> float:
    """Gini of how often each profile is in a top 10, the never-shown included."""
    shown = dict.fromkeys((str(p.id) for p in profiles), 0)
    for ids in ranked:
        for i in ids[:K]:
            shown[i] += 1
    return gini(shown.values())


def evaluate_set(
    ls: onet.LabelledSet, config=None, splits=("tune", "held_out"), cap: float = 0.0
) -> dict:
    systems = {
        "tfidf": tfidf_baseline(ls.profiles),
        "bm25": bm25_baseline(ls.profiles),
        "matcher": matcher_ranker(ls.profiles, ls.tune, config),
    }
    if cap:
        systems["capped"] = matcher_ranker(ls.profiles, ls.tune, config, cap)
    out: dict = {}
    for split, tasks in (("tune", ls.tune), ("held_out", ls.held_out)):
        if split not in splits:
            continue
        for name, rank in systems.items():
            ranked = rank(tasks)
            out[(split, name)] = metrics(ranked, tasks, ls.grades)
            out[(split, name)]["gini"] = impressions_gini(ranked, ls.profiles)
    out["n_profiles"] = len(ls.profiles)
    out["cap"] = cap
    return out


def evaluate(data=None, pool=onet.VA_POOL, config=None, splits=("tune", "held_out")) -> dict:
    return evaluate_set(onet.load(data, pool), config, splits)


def format_table(title: str, res: dict) -> str:
    lines = [
        title,
        f"{'split':9} {'system':8} {'n':>5} {'NDCG@10':>8} {'MRR@10':>7} {'R@10':>6} {'Gini':>5}",
    ]
    names = ("tfidf", "bm25", "matcher", "capped")
    for split in ("tune", "held_out"):
        if (split, "matcher") not in res:
            continue
        for name in names:
            if (split, name) not in res:
                continue
            r = res[(split, name)]
            lines.append(
                f"{split:9} {name:8} {r['n']:5d} {r['ndcg@10']:8.3f} "
                f"{r['mrr@10']:7.3f} {r['recall@10']:6.3f} {r['gini']:5.3f}"
            )
        ours = res[(split, "matcher")]["ndcg@10"]
        best = max(res[(split, b)]["ndcg@10"] for b in ("tfidf", "bm25"))
        ratio = ours / res[(split, "tfidf")]["ndcg@10"]
        target = "meets" if ratio >= 1.10 else "misses"
        lines.append(
            f"{split:9} matcher/TF-IDF {ratio:.2f}x NDCG@10 ({target} the 1.10x target); "
            f"margin over the best baseline {ours - best:+.3f}"
        )
        if (split, "capped") in res:
            c = res[(split, "capped")]
            m = res[(split, "matcher")]
            lines.append(
                f"{split:9} capped at {res['cap']:g}x the even share: NDCG@10 "
                f"{c['ndcg@10'] - m['ndcg@10']:+.3f} ({c['ndcg@10'] / m['ndcg@10'] - 1:+.1%}), "
                f"Gini of impressions {m['gini']:.3f} -> {c['gini']:.3f}"
            )
    return "\n".join(lines)


def labelled_sets(args) -> list[tuple[str, Callable[[], onet.LabelledSet]]]:
    """(title, loader) of each set `args` asks for, O*NET first, in the order they print."""
    chosen: list[tuple[str, Callable[[], onet.LabelledSet]]] = []
    which = getattr(args, "set", "all")
    if which in ("onet", "all"):
        if args.pool in ("va", "both"):
            chosen.append(
                ("O*NET, VA pool (45 occupations)", lambda: onet.load(args.data, onet.VA_POOL))
            )
        if args.pool in ("all", "both"):
            chosen.append(("O*NET, all occupations (1,016)", lambda: onet.load(args.data, None)))
    if which in ("postings", "all"):
        chosen.append(("SkillSpan tech job postings", lambda: skillspan.load(None)))
    return chosen


def main(args) -> int:
    print(f"Data: {onet.CITATION}; read from {onet.data_dir(args.data)}")
    print(f"Data: {skillspan.CITATION}; read from {skillspan.data_dir()}")
    dense_weight = getattr(args, "dense_weight", 0.0) or 0.0
    dense_model = getattr(args, "dense_model", None)
    config = (
        MatcherConfig(dense_weight=dense_weight, dense_model=dense_model) if dense_weight else None
    )
    splits = ("tune",) if getattr(args, "tune_only", False) else ("tune", "held_out")
    if getattr(args, "exposure_cap", 0.0):
        print(
            f"capped: the matcher under the exposure cap, no profile in more than "
            f"{args.exposure_cap:g}x the even share of a split's top-10 slots"
        )
    if dense_weight:
        kind = "static table of" if is_static(dense_model) else "sentence-transformers"
        print(f"Matcher with dense_weight={dense_weight} ({kind} all-MiniLM-L6-v2, Apache-2.0)")
    print()
    for title, load in labelled_sets(args):
        t0 = time.perf_counter()
        try:
            res = evaluate_set(load(), config, splits, getattr(args, "exposure_cap", 0.0) or 0.0)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(
            format_table(
                f"{title}, {res['n_profiles']} profiles ({time.perf_counter() - t0:.0f} s)", res
            )
        )
        print()
    return 0
