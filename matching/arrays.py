"""Small array helpers the hot paths share."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array.

    np.unique without return_inverse takes numpy 2's hash-based path, which measured ~80x
    slower than a sort here (4.6 s against 0.06 s for 2 million integers)."""
    s = np.sort(values, kind="stable")
    if len(s) < 2:
        return s
    return s[np.r_[True, s[1:] != s[:-1]]]
