"""Small numeric helpers shared by the geodata builder and the model."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def apportion(total: int, weights: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Split the integer ``total`` over ``weights`` so the parts sum exactly to ``total``.

    Largest-remainder (Hamilton) method; ties go to the lower index, so the
    result is deterministic.

    >>> apportion(10, [1, 1, 1]).tolist()
    [4, 3, 3]
    """
    w = np.asarray(weights, dtype=float)
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    if w.ndim != 1 or len(w) == 0:
        raise ValueError("weights must be a non-empty 1-D sequence")
    if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    remainder = total - int(base.sum())
    order = np.lexsort((np.arange(len(w)), -(quota - base)))
    base[order[:remainder]] += 1
    return base
