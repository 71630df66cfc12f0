"""Skills: the skills factor as sparse products, and what an explanation may say about them.

An assistant's credit row holds 1 for each skill they name and `related_credit` for each
vocabulary concept related to one they name; the pair's value is the mean credit over the
task's skills. Every concept is in the column vocabulary from the start, so matrices built
earlier stay valid when new free-text skills add columns later (those have no relations).

The factor works on canonical concepts (QuickBooks and Xero are both "bookkeeping"), but an
explanation must not say an assistant has what they never listed: `explain_skills` compares
the skills as people wrote them and says which of three things each match is.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from .vocabulary import CONCEPTS, fold, normalise_skill, related

EXACT, SIMILAR, RELATED = "exact", "similar", "related"


class SkillSpace:
    def __init__(self) -> None:
        self.vocab: dict[str, int] = {c: i for i, c in enumerate(sorted(CONCEPTS))}
        self._related: sp.csr_matrix | None = None

    def incidence(self, rows: Sequence[Sequence[str]], width: int | None = None) -> sp.csr_matrix:
        """1 for each (row, canonical skill); columns past `width` are dropped, and with no
        width new skills get new columns."""
        vocab = self.vocab
        if width is None:
            cols = [vocab.setdefault(s, len(vocab)) for skills in rows for s in skills]
            width = len(vocab)
        else:
            get = vocab.get
            cols = [get(s, width) for skills in rows for s in skills]
        counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        r = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        c = np.array(cols, dtype=np.int64)
        ok = c < width
        return sp.csr_matrix(
            (np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=(len(rows), width)
        )

    def _relations(self, width: int) -> sp.csr_matrix:
        """(width x width) 1 where column j is a concept related to concept i."""
        if self._related is None:
            n = len(CONCEPTS)
            r, c = [], []
            for concept, i in self.vocab.items():
                if i < n:
                    for rel in related(concept):
                        r.append(i)
                        c.append(self.vocab[rel])
            self._related = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(n, n))
        rel = self._related
        n = rel.shape[0]
        if width <= n:
            return rel[:width, :width]
        return sp.block_diag(
            [rel, sp.csr_matrix((width - n, width - n), dtype=np.float32)], format="csr"
        )

    def credit(
        self, rows: Sequence[Sequence[str]], related_credit: float, width: int | None = None
    ) -> sp.csr_matrix:
        """1 for each named skill, `related_credit` for each concept related to one named."""
        named = self.incidence(rows, width)
        near = (named @ self._relations(named.shape[1])).tocsr()
        near = near - near.multiply(named)  # a named skill keeps its full credit
        near.eliminate_zeros()
        near.data[:] = related_credit
        out = (named + near).tocsr()
        out.sort_indices()
        return out


@lru_cache(maxsize=65536)
def _keys(skill: str) -> tuple[str, str]:
    """(spelling key, concept key): "E-mail" and "email" spell one skill; "QuickBooks" and
    "Xero" are two skills of one concept."""
    return fold(skill).replace(" ", ""), normalise_skill(skill)


def explain_skills(asked: Sequence[str], has: Sequence[str]) -> list[dict]:
    """What the assistant lists against each skill the task asks for, in people's own words.

    One entry per asked skill that something meets, in the task's order:
    {"asked": task's skill, "has": [assistant's skills], "kind": ...} where kind is
    "exact" (the same skill, however spelled), "similar" (another skill of the same
    vocabulary concept: Xero for QuickBooks) or "related" (a related concept: payroll for
    bookkeeping). Everything in "has" is a string from the assistant's own list.
    """
    mine = [(h, *_keys(h)) for h in dict.fromkeys(has)]
    out: list[dict] = []
    done: set[str] = set()
    for a in asked:
        spelling, concept = _keys(a)
        if not spelling or spelling in done:
            continue
        done.add(spelling)
        exact = [h for h, sk, _c in mine if sk == spelling]
        if exact:
            out.append({"asked": a, "has": exact[:1], "kind": EXACT})
            continue
        similar = [h for h, _s, ck in mine if ck == concept]
        if similar:
            out.append({"asked": a, "has": similar, "kind": SIMILAR})
            continue
        near = related(concept)
        rel = [h for h, _s, ck in mine if ck in near]
        if rel:
            out.append({"asked": a, "has": rel, "kind": RELATED})
    return out
