"""Static sentence vectors: all-MiniLM-L6-v2 distilled into one row per word piece.

No deep-learning framework at run time: a text is lower-cased, stripped of accents, split into
words, each word cut into the model's WordPiece pieces (greedy longest match, as BERT does),
and the pieces' rows of the shipped table are summed and normalised - numpy and scipy only.
`devtools/derive_static.py` builds the table (`matching/data/static-minilm/`, Apache-2.0, see
its ATTRIBUTION.md) from the model, byte for byte. It stands in for the sentence-transformers
encoder of `matching.dense` behind the same `encode` call, so the blend is the same.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .dense import dense_text
from .models import Assistant, Task

DATA = Path(__file__).resolve().parent / "data" / "static-minilm"
WORD = re.compile(r"[^\W_]+")
MAX_WORD = 100  # BERT's limit: a longer word is one unknown piece


def is_static(path: str | None) -> bool:
    """A dense model directory holding a static table (or "static": the shipped one)."""
    return path == "static" or (path is not None and (Path(path) / "table.npy").is_file())


class WordPiece:
    """BERT's WordPiece over a vocabulary list; each distinct word is cut once."""

    def __init__(self, vocab: list[str]):
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.longest = max(len(t) for t in vocab)
        self._cache: dict[str, tuple[int, ...]] = {}

    def pieces(self, word: str) -> tuple[int, ...]:
        got = self._cache.get(word)
        if got is None:
            got = self._cut(word)
            if len(self._cache) < 1_000_000:  # bounded: rare words are cut again
                self._cache[word] = got
        return got

    def _cut(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD:
            return ()
        out, start = [], 0
        while start < len(word):
            end = min(len(word), start + self.longest)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                i = self.ids.get(piece)
                if i is not None:
                    out.append(i)
                    break
                end -= 1
            if end == start:
                return ()  # BERT: a word with an uncuttable part is one unknown piece
            start = end
        return tuple(out)


def words(text: str) -> list[str]:
    text = text.lower()
    if not text.isascii():
        text = "".join(
            c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
        )
    return WORD.findall(text)


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[WordPiece, np.ndarray]:
    d = DATA if path == "static" else Path(path)
    vocab = (d / "vocab.txt").read_text(encoding="utf-8").splitlines()
    table = np.load(d / "table.npy", allow_pickle=False).astype(np.float32)
    if table.shape[0] != len(vocab):
        raise ValueError(f"{d}: {table.shape[0]} rows for {len(vocab)} pieces")
    return WordPiece(vocab), table


class StaticEncoder:
    """Turns items into unit-length float16 vectors (float16 halves the index's memory; the
    cosines are summed in float64)."""

    def __init__(self, path: str = "static"):
        self.path = path

    @property
    def dim(self) -> int:
        return _load(self.path)[1].shape[1]

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        wp, table = _load(self.path)
        per_text = [[wp.pieces(w) for w in words(t)] for t in texts]
        lengths = np.fromiter((sum(map(len, ps)) for ps in per_text), np.int64, len(texts))
        flat = np.fromiter(
            chain.from_iterable(chain.from_iterable(per_text)), np.int64, int(lengths.sum())
        )
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = sp.csr_matrix(
            (np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(len(texts), len(table))
        )
        counts.sum_duplicates()
        emb = np.asarray(counts @ table, dtype=np.float32)
        norm = np.linalg.norm(emb, axis=1, keepdims=True)
        return (emb / np.where(norm > 0, norm, 1.0)).astype(np.float16)

    def encode(self, items: list[Assistant | Task]) -> np.ndarray:
        return self.encode_texts([dense_text(x) for x in items])
