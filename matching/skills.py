"""Skill overlap as sparse products: a task's skills against an assistant's credit row.

An assistant's credit row holds 1 for each skill they name and `related_credit` for each
vocabulary concept related to one they name; the pair's value is the mean credit over the
task's skills. Every concept is in the column vocabulary from the start, so matrices built
earlier stay valid when new free-text skills add columns later (those have no relations).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .vocabulary import CONCEPTS, related


class SkillSpace:
    def __init__(self) -> None:
        self.vocab: dict[str, int] = {c: i for i, c in enumerate(sorted(CONCEPTS))}

    def _col(self, skill: str, grow: bool) -> int | None:
        j = self.vocab.get(skill)
        if j is None and grow:
            j = self.vocab[skill] = len(self.vocab)
        return j

    def incidence(self, rows: Sequence[Sequence[str]], width: int | None = None) -> sp.csr_matrix:
        r, c = [], []
        for i, skills in enumerate(rows):
            for s in skills:
                j = self._col(s, width is None)
                if j is not None and (width is None or j < width):
                    r.append(i)
                    c.append(j)
        shape = (len(rows), width if width is not None else len(self.vocab))
        return sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=shape)

    def credit(
        self, rows: Sequence[Sequence[str]], related_credit: float, width: int | None = None
    ) -> sp.csr_matrix:
        r, c, v = [], [], []
        for i, skills in enumerate(rows):
            got: dict[int, float] = {}
            for s in skills:
                j = self._col(s, width is None)
                if j is not None:
                    got[j] = 1.0
            for s in skills:
                for rel in related(s):
                    j = self.vocab[rel]
                    got.setdefault(j, related_credit)
            for j, val in got.items():
                if width is None or j < width:
                    r.append(i)
                    c.append(j)
                    v.append(val)
        shape = (len(rows), width if width is not None else len(self.vocab))
        return sp.csr_matrix((np.array(v, np.float32), (r, c)), shape=shape)


def explain_skills(task_skills: Sequence[str], assistant_skills: Sequence[str]):
    have = set(assistant_skills)
    matched = [s for s in task_skills if s in have]
    near = [s for s in task_skills if s not in have and related(s) & have]
    return matched, near
