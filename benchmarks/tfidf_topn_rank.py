"""The speed baseline for `python -m matching rank`: plain TF-IDF + sparse_dot_topn, same file.

    .venv/bin/python benchmarks/tfidf_topn_rank.py INPUT.json [--k 10] > out.jsonl

Reads the same JSON as the matcher's command line, fits a TfidfVectorizer on the assistants'
text (headline, bio, skills), ranks every task's title + description against them with one
multi-threaded sparse_dot_topn product and prints one JSON line per task ({"query_id",
"matches": [{"id", "score"}]}). No validation, no factors, no explanations: the simplest thing
a team could ship, which is what the matcher's end-to-end time is measured against.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sparse_dot_topn import sp_matmul_topn


def vectorizer() -> TfidfVectorizer:
    # words and adjacent word pairs, as the matcher's own text model has (stems + stem pairs)
    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), dtype=np.float32)


def assistant_text(a: dict) -> str:
    return " ".join([a.get("headline") or "", a.get("bio") or "", " ".join(a.get("skills") or [])])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args(argv)
    with open(args.input, encoding="utf-8") as fh:
        data = json.load(fh)
    assistants, tasks = data["assistants"], data["tasks"]
    vec = vectorizer()
    docs = vec.fit_transform([assistant_text(a) for a in assistants])
    q = vec.transform([f"{t.get('title') or ''} {t.get('description') or ''}" for t in tasks])
    top = sp_matmul_topn(q, docs.T.tocsr(), top_n=args.k, sort=True, n_threads=2)
    ids = [a["id"] for a in assistants]
    out = sys.stdout
    for i, t in enumerate(tasks):
        lo, hi = top.indptr[i], top.indptr[i + 1]
        matches = [
            {"id": ids[j], "score": float(s)}
            for j, s in zip(top.indices[lo:hi].tolist(), top.data[lo:hi].tolist(), strict=True)
        ]
        out.write(json.dumps({"query_id": t["id"], "matches": matches}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
