"""Text relevance: a TF-IDF model over stemmed words, word pairs and skill concepts.

Beyond plain TF-IDF it (a) stems, so "invoices"/"invoicing" meet, (b) adds a token for every
vocabulary concept a text mentions, so "QuickBooks" meets "bookkeeping" and "inbox" meets
"email management", (c) weights fields
(headline/title, bio/description, skills) separately and (d) re-scores with pseudo-relevance
feedback (the query is pulled toward its best few documents), which the evaluation showed
lifts NDCG@10 on the tune split. Character n-grams were measured too: they add ~0.01 NDCG but
multiply index memory by ~15, so they are left out.

Speed: every text is analysed once, and in bulk. `analyse_many` tokenises each text with one
regular-expression call, then works on integer arrays: each distinct word is stop-checked and
stemmed once per call, word pairs are pairs of stem ids, and concept phrases are found by
matching base-B codes of stem-id n-grams. `TextModel.fit_transform` builds the vocabulary,
IDF and the weighted rows from that single pass (the scikit-learn way, fit then transform,
analysed everything twice in pure Python).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .arrays import distinct
from .vocabulary import ALIASES

TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*")
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | {"etc", "e", "g", "using", "use", "various", "related"}
_SUFFIXES = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("isation", "ize"),
    ("fulness", "ful"),
    ("iveness", "ive"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ings", ""),
    ("ing", ""),
    ("ities", "ity"),
    ("ies", "y"),
    ("ied", "y"),
    ("ers", ""),
    ("er", ""),
    ("ed", ""),
    ("ly", ""),
    ("sses", "ss"),
    ("es", "e"),
    ("s", ""),
)


# bytes.translate table: letters to lower case, digits, "+" and "#" kept, NUL kept (it
# separates texts in bulk), anything else a space
_KEEP = b"abcdefghijklmnopqrstuvwxyz0123456789+#\x00"
_TABLE = bytes(c + 32 if 65 <= c <= 90 else (c if c in _KEEP else 32) for c in range(256))
_SEP = "\x00"


def _ascii(text: str) -> str:
    # accents folded as `vocabulary.fold` does; NFKD leaves ASCII as it is
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _strip_lead(token: str) -> str:
    return token.lstrip("+#") if token[0] in "+#" else token  # "" for "++" or "#"


def words(text: str) -> list[str]:
    """The word tokens of a text: accents and case folded as `vocabulary.fold` does, split at
    anything but letters, digits, "+" and "#" (so "C++" and "C#" stay whole), a token
    starting at a letter or digit. The tokens of `TOKEN.findall(fold(text))` but for the
    stop word "and" fold writes for "&"."""
    folded = _ascii(text).replace(_SEP, " ").encode("ascii").translate(_TABLE).decode("ascii")
    out = folded.split()
    if "+" in text or "#" in text:  # rare: "+" and "#" may not start a token
        out = [t for t in map(_strip_lead, out) if t]
    return out


def _words_many(texts: Sequence[str]) -> list[str]:
    """Every text's `words`, in order, a separator token between texts: one translate and
    one split over all of them (per-text calls cost more than the scanning itself). Tokens
    may still start with "+" or "#": callers strip them per distinct token."""
    joined = f" {_SEP} ".join(texts)
    if joined.count(_SEP) != max(len(texts) - 1, 0):  # a text holding the separator itself
        joined = f" {_SEP} ".join(t.replace(_SEP, " ") for t in texts)
    return _ascii(joined).encode("ascii").translate(_TABLE).decode("ascii").split()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light suffix stripper: enough to join plural and verb forms, cheap, dependency-free."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suf, rep in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            if suf == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: -len(suf)] + rep
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in words(text) if t not in STOP_WORDS)


# stemmed phrase -> concept; longest match wins
PHRASES: dict[tuple[str, ...], str] = {}
for _alias, _canon in sorted(ALIASES.items()):
    _k = _phrase_key(_alias)
    if _k:
        PHRASES.setdefault(_k, _canon)
_MAX_PHRASE = max(len(k) for k in PHRASES)
# Phrase matching on integer arrays: each stem that occurs in some phrase gets a digit
# 1..P, other stems 0, and an n-gram's code is its digits in base P + 1. A phrase's code has no
# zero digit, so an n-gram containing a non-phrase stem never matches one.
_PHRASE_DIGIT = {w: i + 1 for i, w in enumerate(sorted({w for k in PHRASES for w in k}))}
_BASE = len(_PHRASE_DIGIT) + 1
_CANONS = sorted(set(PHRASES.values()))
_PHRASE_CODES: list[tuple[np.ndarray, np.ndarray]] = []  # per length n: sorted codes, canon ids
for _n in range(1, _MAX_PHRASE + 1):
    _pairs = sorted(
        (sum(_PHRASE_DIGIT[w] * _BASE**j for j, w in enumerate(k)), _CANONS.index(c))
        for k, c in PHRASES.items()
        if len(k) == _n
    )
    _PHRASE_CODES.append(
        (
            np.array([p[0] for p in _pairs], dtype=np.int64),
            np.array([p[1] for p in _pairs], dtype=np.int64),
        )
    )


# Prefix terms: a word longer than PREFIX_LETTERS letters also counts as its first
# PREFIX_LETTERS letters, weighed PREFIX_WEIGHT of a word, so words the stemmer leaves apart
# meet ("analyst"/"analysis", "accountant"/"accounting"). The fit keeps only prefixes that
# join two stems or more. Chosen on the tune splits (all O*NET occupations: 5 letters 0.241,
# 4 letters 0.244 NDCG@10 with that rule; weight 0.8 / 1.0 lost on the postings). "~" never
# occurs in a word, so a prefix term is never a word, pair or concept term.
PREFIX_LETTERS = 4
PREFIX_WEIGHT = 0.6
PREFIX_MARK = "~"


def prefix_token(word: str) -> str:
    return PREFIX_MARK + word[:PREFIX_LETTERS]


def concept_token(canon: str, rel: bool = False) -> str:
    return ("r_" if rel else "c_") + canon.replace(" ", "_")


_CONCEPT_TOKENS = [concept_token(c) for c in _CANONS]


def _concepts(sid: np.ndarray, text_of: np.ndarray, digit: np.ndarray):
    """(positions, canon ids) of concept phrases in the stem-id sequence, longest match first,
    left to right, a matched phrase's words not reused; phrases never cross texts."""
    pv = digit[sid]
    m = len(pv)
    best_n = np.zeros(m, dtype=np.int64)
    best_c = np.zeros(m, dtype=np.int64)
    for n, (codes, canon) in enumerate(_PHRASE_CODES, start=1):
        if m < n or not len(codes):
            continue
        span = m - n + 1
        code = pv[:span].copy()
        for j in range(1, n):
            code += pv[j : j + span] * _BASE**j
        at = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
        hit = codes[at] == code
        if n > 1:
            hit &= text_of[n - 1 :] == text_of[:span]
        where = np.flatnonzero(hit)
        best_n[where] = n  # longer phrases come later and win
        best_c[where] = canon[at[where]]
    cand = np.flatnonzero(best_n)
    if cand.size == 0:
        return cand, cand
    ends = cand + best_n[cand]
    # a phrase overlaps an earlier one when it starts before the furthest end so far; only
    # such runs need the sequential rule (keep a start no earlier kept phrase covers)
    reach = np.maximum.accumulate(ends)
    clash = np.zeros(len(cand), dtype=bool)
    clash[1:] = cand[1:] < reach[:-1]
    if not clash.any():
        return cand, best_c[cand]
    keep = ~clash  # the first phrase of every run is kept
    run_start = np.flatnonzero(~clash)
    for r in np.flatnonzero(clash[np.minimum(run_start + 1, len(cand) - 1)]).tolist():
        lo = run_start[r]
        hi = run_start[r + 1] if r + 1 < len(run_start) else len(cand)
        covered = -1
        for t in range(lo, hi):
            if cand[t] >= covered:
                keep[t] = True
                covered = int(ends[t])
            else:
                keep[t] = False
    pos = cand[keep]
    return pos, best_c[pos]


def analyse_many(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every text's tokens - stems, adjacent stem pairs, concept and prefix tokens - in one
    pass.

    Returns (term strings, text index per occurrence, term index per occurrence); a term
    occurring twice in a text occurs twice here (counts are what TF-IDF needs)."""
    terms, rows, cols, _sources = _analyse(texts)
    return terms, rows, cols


def _analyse(texts: Sequence[str]):
    """`analyse_many`, and the distinct (prefix term, stem term) pairs of its words (indices
    into the terms), which tell the fit which prefixes join different stems."""
    flat = _words_many(texts)
    raw = dict.fromkeys(flat)
    raw[_SEP] = None  # present even with one text, so its id can mark boundaries
    index = {w: i for i, w in enumerate(raw)}
    stems: dict[str, int] = {}

    def stem_id(token: str) -> int:
        """-1 for the separator, stop words and tokens of "+" and "#" only."""
        token = _strip_lead(token) if token != _SEP else ""
        if not token or token in STOP_WORDS:
            return -1
        return stems.setdefault(stem(token), len(stems))

    prefixes: dict[str, int] = {}

    def prefix_id(token: str) -> int:
        """-1 for words of `PREFIX_LETTERS` letters or fewer (and what `stem_id` drops)."""
        token = _strip_lead(token) if token != _SEP else ""
        if len(token) <= PREFIX_LETTERS or token in STOP_WORDS or token.isdigit():
            return -1
        return prefixes.setdefault(prefix_token(token), len(prefixes))

    raw_sid = np.fromiter(map(stem_id, raw), dtype=np.int64, count=len(raw))
    raw_pid = np.fromiter(map(prefix_id, raw), dtype=np.int64, count=len(raw))
    both = (raw_pid >= 0) & (raw_sid >= 0)
    ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
    text_of = np.cumsum(ids == index[_SEP])
    all_sid = raw_sid[ids]
    keep = all_sid >= 0
    sid = all_sid[keep]
    pid = raw_pid[ids][keep]
    text_of = text_of[keep]
    names = list(stems)
    s = len(names)
    # pairs of neighbouring stems of the same text
    same = text_of[1:] == text_of[:-1]
    code = sid[:-1][same] * s + sid[1:][same]
    pair_codes, pair_id = np.unique(code, return_inverse=True)
    pair_names = [
        f"{names[a]}_{names[b]}"
        for a, b in zip(
            (pair_codes // max(s, 1)).tolist(), (pair_codes % max(s, 1)).tolist(), strict=True
        )
    ]
    digit = np.fromiter((_PHRASE_DIGIT.get(w, 0) for w in names), dtype=np.int64, count=s)
    cpos, cid = _concepts(sid, text_of, digit)
    terms = [*names, *pair_names, *_CONCEPT_TOKENS, *prefixes]
    first_prefix = s + len(pair_names) + len(_CONCEPT_TOKENS)
    sources = np.stack([first_prefix + raw_pid[both], raw_sid[both]], axis=1)
    long = pid >= 0
    rows = np.concatenate([text_of, text_of[:-1][same], text_of[cpos], text_of[long]])
    cols = np.concatenate(
        [
            sid,
            s + pair_id.ravel(),
            s + len(pair_names) + cid,
            first_prefix + pid[long],
        ]
    )
    return terms, rows, cols, sources


def analyse(text: str) -> list[str]:
    """Tokens of one text, in occurrence order by kind (stems, then pairs, then concepts)."""
    terms, _rows, cols = analyse_many([text])
    return [terms[j] for j in cols.tolist()]


class TextModel:
    """Fitted once on a corpus; new items are transformed with the frozen vocabulary and IDF.

    The weighting is scikit-learn's TfidfVectorizer(sublinear_tf=True) per field - tf is
    1 + ln(count), idf is ln((1 + n) / (1 + df)) + 1 with df counted per document - prefix
    terms scaled by `prefix_weight`, each field row l2-normalised, the fields mixed by
    `field_weights` (a task's by `task_field_weights`: its description says more than its
    title) and the mix l2-normalised.
    """

    def __init__(
        self,
        field_weights: Sequence[float] = (1.0, 0.7, 0.8),
        min_df: int = 1,
        task_field_weights: Sequence[float] | None = None,
        prefix_weight: float = PREFIX_WEIGHT,
    ):
        self.field_weights = tuple(float(w) for w in field_weights)
        self.task_field_weights = tuple(
            float(w) for w in (field_weights if task_field_weights is None else task_field_weights)
        )
        if len(self.task_field_weights) != len(self.field_weights):
            raise ValueError("task_field_weights needs one weight per field")
        self.min_df = min_df
        self.prefix_weight = float(prefix_weight)
        self.vocabulary: dict[str, int] | None = None
        self.idf: np.ndarray | None = None
        self.terms: np.ndarray | None = None
        self._term_scale: np.ndarray | None = None  # idf times the prefix weight, per term

    def _set_vocabulary(self, names: list[str], idf: np.ndarray) -> None:
        self.vocabulary = {t: i for i, t in enumerate(names)}
        self.terms = np.asarray(names, dtype=object)
        self.idf = idf
        prefix = np.fromiter((t.startswith(PREFIX_MARK) for t in names), bool, len(names))
        self._term_scale = idf * np.where(prefix, self.prefix_weight, 1.0)

    @property
    def fitted(self) -> bool:
        return self.vocabulary is not None

    @property
    def n_features(self) -> int:
        return 0 if self.terms is None else len(self.terms)

    def _flat(self, documents: Sequence[Sequence[str]]) -> list[str]:
        nf = len(self.field_weights)
        return [d[f] if f < len(d) else "" for d in documents for f in range(nf)]

    def _task_rows(self, tasks, lo: int, n: int) -> np.ndarray | None:
        """Which of documents lo..lo+n are tasks (None: none of them)."""
        if tasks is None or tasks is False:
            return None
        if tasks is True:
            return np.ones(n, dtype=bool)
        return np.asarray(tasks[lo : lo + n], dtype=bool)

    def _blocks(self, documents: Sequence[Sequence[str]], vocab: dict[str, int], grow: bool):
        """(first document, field rows, term ids, (prefix id, stem id) pairs) per block of
        documents, analysed once.

        Blocks bound the memory a large batch needs (Python strings of one block at a time).
        Term ids index `vocab`, which grows when fitting; unknown terms are dropped when not.
        """
        nf = len(self.field_weights)
        for lo in range(0, len(documents), BLOCK_DOCUMENTS):
            block = documents[lo : lo + BLOCK_DOCUMENTS]
            terms, rows, cols, sources = _analyse(self._flat(block))
            if grow:
                ids = [vocab.setdefault(t, len(vocab)) for t in terms]
            else:
                get = vocab.get
                ids = [get(t, -1) for t in terms]
            to_id = np.array(ids, dtype=np.int64)
            cols = to_id[cols] if ids else cols
            keep = cols >= 0
            yield lo, (rows[keep] + lo * nf).astype(np.int64), cols[keep], to_id[sources]

    def fit_transform(
        self, documents: Sequence[Sequence[str]], tasks: Sequence[bool] | None = None
    ) -> sp.csr_matrix:
        """Fit on `documents` (each (headline/title, bio/description, skills text)) and
        return their rows, analysing each text once; `tasks` says which documents are tasks
        (None: none)."""
        nf = len(self.field_weights)
        # one extra document naming every concept, so items added later that mention a concept
        # the first corpus never did still get its token (the vocabulary is frozen after fit)
        docs = [*documents, ("; ".join(sorted(set(ALIASES.values()))),)]
        n_docs = len(docs)
        seen: dict[str, int] = {}
        parts, sources = [], []
        for _lo, rows, cols, src in self._blocks(docs, seen, grow=True):
            parts.append((rows, cols))
            sources.append(src)
        rows = np.concatenate([r for r, _c in parts])
        cols = np.concatenate([c for _r, c in parts])
        # block of each occurrence (blocks of the real documents; the concept document's
        # occurrences, last, belong to no block and are dropped below)
        block_of = rows // (nf * BLOCK_DOCUMENTS)
        block_of[rows >= len(documents) * nf] = -1
        del parts
        # the vocabulary is sorted, as scikit-learn's is
        names = list(seen)
        order = np.argsort(np.array(names, dtype=object), kind="stable")
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        cols = rank[cols]
        df = np.bincount(
            distinct(rows // nf * len(names) + cols) % max(len(names), 1), minlength=len(names)
        )
        # a prefix that only one stem writes joins nothing its stem does not: left out (at a
        # million assistants such prefixes cost more of the index than the ones that join)
        src = np.concatenate(sources)
        pairs = distinct(src[:, 0] * len(names) + src[:, 1])
        stems_of = np.bincount(pairs // max(len(names), 1), minlength=len(names))
        is_prefix = np.fromiter((t.startswith(PREFIX_MARK) for t in names), bool, len(names))
        lone = np.zeros(len(names), dtype=bool)
        lone[rank] = is_prefix & (stems_of < 2)
        keep = np.flatnonzero((df >= self.min_df) & ~lone)
        vocab_names = [names[j] for j in order.tolist()]
        if len(keep) < len(vocab_names):
            remap = np.full(len(vocab_names), -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            cols = remap[cols]
            ok = cols >= 0
            rows, cols, block_of = rows[ok], cols[ok], block_of[ok]
            vocab_names = [vocab_names[j] for j in keep.tolist()]
            df = df[keep]
        self._set_vocabulary(vocab_names, np.log((1.0 + n_docs) / (1.0 + df)) + 1.0)
        # weigh block by block too (occurrences come block after block)
        real = block_of >= 0
        rows, cols, block_of = rows[real], cols[real], block_of[real]
        n_blocks = -(-len(documents) // BLOCK_DOCUMENTS)
        bounds = np.searchsorted(block_of, np.arange(n_blocks + 1))
        out = []
        for i, lo in enumerate(range(0, len(documents), BLOCK_DOCUMENTS)):
            n = min(BLOCK_DOCUMENTS, len(documents) - lo)
            r, c = rows[bounds[i] : bounds[i + 1]], cols[bounds[i] : bounds[i + 1]]
            out.append(self._weigh(r - lo * nf, c, n, self._task_rows(tasks, lo, n)))
        return _stack(out, self.n_features)

    def fit(
        self, documents: Sequence[Sequence[str]], tasks: Sequence[bool] | None = None
    ) -> TextModel:
        self.fit_transform(documents, tasks)
        return self

    def transform(self, documents: Sequence[Sequence[str]], tasks: bool = False) -> sp.csr_matrix:
        """Rows of `documents` with the frozen vocabulary; `tasks`: whether they are tasks."""
        assert self.vocabulary is not None, "TextModel is not fitted"
        blocks = []
        for lo, rows, cols, _sources in self._blocks(documents, self.vocabulary, grow=False):
            n = min(BLOCK_DOCUMENTS, len(documents) - lo)
            rows = rows - lo * len(self.field_weights)
            blocks.append(self._weigh(rows, cols, n, self._task_rows(tasks, lo, n)))
        return _stack(blocks, self.n_features)

    def _weigh(
        self, rows: np.ndarray, cols: np.ndarray, n: int, task_rows: np.ndarray | None = None
    ) -> sp.csr_matrix:
        """Field rows of counts -> sublinear TF-IDF, l2 per field, weighted mix, l2.

        Plain array arithmetic on CSR arrays: for one query, scipy's and scikit-learn's
        constructors and input checks would cost more than the arithmetic itself."""
        assert self._term_scale is not None, "TextModel is not fitted"
        nf = len(self.field_weights)
        width = self.n_features
        field_of, term, count = _sum_entries(rows, cols, np.ones(len(rows)), width)
        data = (1.0 + np.log(count)) * self._term_scale[term]
        data /= _row_norms(data, field_of, n * nf)[field_of]
        if task_rows is None:
            data *= np.asarray(self.field_weights)[field_of % nf]
        else:
            mix = np.array([self.field_weights, self.task_field_weights])
            data *= mix[task_rows[field_of // nf].astype(np.int64), field_of % nf]
        doc_of, term, data = _sum_entries(field_of // nf, term, data, width)
        data /= _row_norms(data, doc_of, n)[doc_of]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc_of, minlength=n), out=indptr[1:])
        index_dtype = np.int32 if width < 2**31 and len(term) < 2**31 else np.int64
        return sp.csr_matrix(
            (data.astype(np.float32), term.astype(index_dtype), indptr.astype(index_dtype)),
            shape=(n, width),
        )

    def shown(self, cols: np.ndarray) -> np.ndarray:
        """Whether an explanation may show each of the terms `cols` (`meaningful`), decided
        once per term as explanations first meet it."""
        assert self.terms is not None, "TextModel is not fitted"
        mask = getattr(self, "_shown", None)
        if mask is None or len(mask) != self.n_features:
            mask = self._shown = np.full(self.n_features, -1, dtype=np.int8)
        flags = mask[cols]
        for j in cols[flags < 0].tolist():
            mask[j] = meaningful(str(self.terms[j]))
        return mask[cols] > 0

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        assert self.idf is not None and self.terms is not None
        meta = {
            "field_weights": list(self.field_weights),
            "task_field_weights": list(self.task_field_weights),
            "prefix_weight": self.prefix_weight,
            "min_df": self.min_df,
        }
        return meta, {"terms": self.terms.astype(str), "idf": self.idf}

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> TextModel:
        # files of matchers before 2.4.0 weigh tasks as assistants and have no prefix terms
        model = cls(
            meta["field_weights"],
            meta["min_df"],
            meta.get("task_field_weights"),
            meta.get("prefix_weight", PREFIX_WEIGHT),
        )
        terms = [str(t) for t in arrays["terms"]]
        model._set_vocabulary(terms, np.asarray(arrays["idf"], dtype=np.float64))
        return model


BLOCK_DOCUMENTS = 16_384


def _stack(blocks: list[sp.csr_matrix], width: int) -> sp.csr_matrix:
    if not blocks:
        return sp.csr_matrix((0, width), dtype=np.float32)
    if len(blocks) == 1:
        return blocks[0]
    return sp.vstack(blocks, format="csr", dtype=np.float32)


def _sum_entries(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, width: int):
    """(row, col, value) entries with duplicates summed, sorted by row then column."""
    if len(rows) > 50_000:  # scipy's counting sort by row beats one big argsort here
        m = sp.csr_matrix((vals, (rows, cols)), shape=(int(rows.max()) + 1, width))
        m.sum_duplicates()
        return (
            np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)),
            m.indices.astype(np.int64),
            m.data,
        )
    code = rows.astype(np.int64) * width + cols
    order = np.argsort(code, kind="stable")
    code = code[order]
    if not len(code):
        return code, code, vals[order]
    start = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    summed = np.add.reduceat(vals[order], start)
    code = code[start]
    return code // width, code % width, summed


def _row_norms(data: np.ndarray, row_of: np.ndarray, n: int) -> np.ndarray:
    norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n))
    norms[norms == 0] = 1.0
    return norms


def l2_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    """`m` with each row scaled to unit length (empty rows stay empty), as
    sklearn.preprocessing.normalize does, without its input checks (they cost more than the
    arithmetic for the few rows a query has)."""
    row_of = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    out = m.copy()
    out.data = out.data / _row_norms(out.data.astype(np.float64), row_of, m.shape[0])[
        row_of
    ].astype(out.data.dtype)
    return out


def sharpen_long(
    q: sp.csr_matrix, idf: np.ndarray, power: float, terms: tuple[int, int]
) -> sp.csr_matrix:
    """Long queries with their terms' weights raised by IDF to a further power, re-normalised.

    A whole job post shares its generic words (team, experience, develop, customer) with
    every profile, and with hundreds of them their small weights outweigh the few rarer words
    that pick out the right profile ("labelling", "graph database"): on the SkillSpan
    postings' tune split the profile a post was cut from was often not in its top 10 at all.
    So a query's weights are multiplied by idf ** e, e rising from 0 at `terms[0]` terms to
    `power - 1` at `terms[1]` terms or more. A request of a line or two (every O*NET task
    statement has at most 66 terms) is scored exactly as before; the profiles' rows never
    change, so neither does the index.
    """
    if power == 1.0 or q.nnz == 0:
        return q
    lo, hi = terms
    length = np.diff(q.indptr)
    extra = (power - 1.0) * np.clip((length - lo) / max(hi - lo, 1), 0.0, 1.0)
    if not extra.any():
        return q
    out = q.copy()
    out.data = out.data * idf[out.indices] ** np.repeat(extra, length)
    return l2_rows(out).astype(np.float32)


def prf_expand(
    queries: sp.csr_matrix, docs: sp.csr_matrix, top: np.ndarray, weight: float, terms: int = 40
) -> sp.csr_matrix:
    """Rocchio feedback: add the strongest `terms` terms of the mean of each query's best
    documents, then re-normalise. Keeping few terms keeps the second pass as cheap as the
    first (long expanded queries touch most postings lists).

    `top` is (n_queries, m) row indices into `docs`, -1 for padding.
    """
    if weight <= 0 or top.size == 0:
        return queries
    n, m = top.shape
    valid = top >= 0
    counts = np.maximum(valid.sum(axis=1), 1)
    rows = np.repeat(np.arange(n), m)[valid.ravel()]
    cols = top.ravel()[valid.ravel()]
    vals = (1.0 / counts)[rows].astype(np.float32)
    mix = sp.csr_matrix((vals, (rows, cols)), shape=(n, docs.shape[0]))
    centroid = (mix @ docs).tocsr()
    if terms:
        centroid = _keep_top(centroid, terms)
    centroid = l2_rows(centroid)
    out = l2_rows((queries + np.float32(weight) * centroid).tocsr()).astype(np.float32)
    return out.tocsr()


def _keep_top(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    data, indices, indptr = [], [], [0]
    for i in range(m.shape[0]):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        v, j = m.data[lo:hi], m.indices[lo:hi]
        if hi - lo > n:
            keep = np.sort(np.lexsort((j, -v))[:n])
            v, j = v[keep], j[keep]
        data.append(v)
        indices.append(j)
        indptr.append(indptr[-1] + len(v))
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=m.shape
    )


def postings_scores(q: sp.csr_matrix, docs_t: sp.csr_matrix) -> np.ndarray:
    """(n, docs) scores of each query row against every document, via its terms' postings.

    float64 products of float32 inputs are exact, and bincount adds them in input order:
    for each (query, document) term by term in ascending term order. `pair_dots` in the
    ranking reproduces exactly these sums for chosen pairs.
    """
    if not q.has_sorted_indices:
        q = q.sorted_indices()
    n, width = q.shape[0], docs_t.shape[1]
    sub = docs_t[q.indices]
    per_term = np.diff(sub.indptr)
    weights = np.repeat(q.data.astype(np.float64), per_term) * sub.data
    owner = np.repeat(np.repeat(np.arange(n, dtype=np.int64), np.diff(q.indptr)), per_term)
    flat = owner * width + sub.indices
    return np.bincount(flat, weights=weights, minlength=n * width).reshape(n, width)


# Words that carry no meaning in an explanation ("Also in common: hours, month, need"): time
# units, quantities, the verbs and nouns every job post uses, what every profile here says
# (assistant, virtual, business) and the pieces the tokeniser leaves of contractions ("I'll"
# is "i" and "ll"). They still count for the text score (they are weak through IDF anyway);
# they are only never shown as a reason. Stop words never reach a term: analysis drops them.
_FILLER_WORDS = """
    need needs needed needing want wants wanted looking look seeking seek help helping helps
    hire hiring hired someone somebody person people job jobs task tasks work working works
    worked hour hours hourly hrs day days daily week weeks weekly month months monthly year
    years yearly annual annually minute minutes min mins time times today tomorrow asap per
    plus also new good great excellent strong best better able ability must please thanks
    thank hi hello ok okay yes will make making made get getting got experience experienced
    skill skills lot lots small big large fast quick quickly reliable ideal ideally candidate
    role position start starting ongoing long term short part full remote based like know
    knowledge way thing things stuff general basic simple easy really just currently
    available availability soon right approx approximately roughly
    one two three four five six seven eight nine ten first second third
    assistant assistants virtual va vas business businesses company companies
    don doesn didn isn aren wasn weren won wouldn couldn shouldn haven hasn hadn ll ve
    im ive dont doesnt didnt isnt wont youre youll theyre thats
"""
_FILLER = frozenset(stem(w) for w in _FILLER_WORDS.split())
# a number with a unit or ordinal is still only a number: 10am, 5pm, 2nd, 20h, 30mins (as
# stems: the unit's stem)
_NUMBER = re.compile(r"\d+(?:am|pm|st|nd|rd|th|x|h|hr|hour|min|minut)?")


def _carries_meaning(word: str) -> bool:
    return len(word) > 1 and word not in _FILLER and _NUMBER.fullmatch(word) is None


@lru_cache(maxsize=200_000)
def meaningful(term: str) -> bool:
    """Whether a vocabulary term may be shown as a reason: words (not concept tokens, which
    name what neither text may have written), each of them neither a filler word, a single
    character nor a number."""
    if term.startswith(("c_", "r_", PREFIX_MARK)):
        return False
    return all(map(_carries_meaning, term.split("_")))


class Written(NamedTuple):
    """How a text writes its terms: each stem as the word form it uses most (ties: the first
    seen), and each pair of stems it writes side by side as it first wrote them."""

    forms: dict[str, str]
    phrases: dict[str, str]


# Where a phrase ends: the analyser pairs words across these ("bookkeeping, invoices" is a
# pair to the text score), but an explanation shows only phrases a person wrote.
_CLAUSE = re.compile(r"""[,;:!?()\[\]{}<>|"\n\r\t]|\.(?!\S)|\s[-\u2013\u2014]+\s""")


@lru_cache(maxsize=4096)
def written(texts: tuple[str, ...]) -> Written:
    """`Written` of the texts (an item's fields), shared by the explanations that show them:
    one item's k per query, and popular items across queries. Callers do not change it."""
    counts: dict[str, dict[str, int]] = {}
    phrases: dict[str, str] = {}
    for clause in (c for text in texts for c in _CLAUSE.split(text)):
        prev: tuple[str, str] | None = None  # (stem, word) just before, no stop word between
        for chunk in clause.split():
            for i, t in enumerate(words(chunk)):
                if i:
                    prev = None  # "monday.com", "follow-up": no words a person spaced apart
                if t in STOP_WORDS:
                    prev = None
                    continue
                s = stem(t)
                forms = counts.setdefault(s, {})
                forms[t] = forms.get(t, 0) + 1
                if prev is not None:
                    phrases.setdefault(f"{prev[0]}_{s}", f"{prev[1]} {t}")
                prev = (s, t)
    # dicts keep insertion order and max() keeps the first maximum, so ties go to the first
    return Written({s: max(f, key=f.__getitem__) for s, f in counts.items()}, phrases)


Row = tuple[np.ndarray, np.ndarray]  # (sorted term indices, values) of one sparse row


def _values_at(row: Row, cols: np.ndarray) -> np.ndarray:
    idx, val = row
    at = np.minimum(np.searchsorted(idx, cols), max(len(idx) - 1, 0))
    return np.where(idx[at] == cols, val[at], 0) if len(idx) else np.zeros(len(cols))


def matched_terms(
    q: Row,
    d: Row,
    terms: np.ndarray,
    written: Written,
    n: int = 8,
    weight: Row | None = None,
    shown=None,
) -> list[str]:
    """Meaningful terms both the query and the document contain, strongest first, as the
    task wrote them (`written`: the task's own text, whichever side it is).

    `q` is the query as written (not the feedback-expanded one, whose extra terms came from
    other documents), `weight` the row whose values order the terms (default `q`). A pair of
    words is shown only where the task wrote it as a phrase, and each word once
    (`_each_word_once`). `shown` is `TextModel.shown` (which terms may be shown, remembered
    per term), if given.
    """
    qi, _qv = q
    di, dv = d
    if not len(qi) or not len(di):
        return []
    at = np.minimum(np.searchsorted(qi, di), len(qi) - 1)
    hit = qi[at] == di
    if shown is not None:
        hit &= shown(di)
    common = di[hit]
    if common.size == 0:
        return []
    w = _values_at(weight if weight is not None else q, common).astype(np.float64) * dv[hit]
    order = np.lexsort((common, -w))
    found = [
        (t, _label(t, written))
        for t in map(str, terms[common[order]])
        if shown is not None or meaningful(t)
    ]
    return _each_word_once([(t, label) for t, label in found if label is not None])[:n]


def _each_word_once(found: list[tuple[str, str]]) -> list[str]:
    """The labels of (term, label) pairs less repeats: a word is not shown alone beside a
    phrase holding it ("reconciling accounts", not also "reconciling"), nor a phrase whose
    words were all shown already. Words are told apart by stem ("calendar", "calendars")."""
    in_phrases = {s for term, _label in found if "_" in term for s in term.split("_")}
    out: list[str] = []
    said: set[str] = set()
    for term, label in found:
        stems = term.split("_")
        if (len(stems) == 1 and term in in_phrases) or said.issuperset(stems):
            continue
        out.append(label)
        said.update(stems)
    return out


def _label(term: str, written: Written) -> str | None:
    """A word term as the task wrote it, a pair only where it wrote the phrase; None for
    what it did not write."""
    return (written.phrases if "_" in term else written.forms).get(term)
