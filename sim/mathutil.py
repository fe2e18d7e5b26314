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


def sum_rows(index: np.ndarray, size: int, *tables: np.ndarray,
              weights: np.ndarray | None = None) -> np.ndarray:
    """Rows of ``tables`` (side by side, each row times ``weights``) summed by ``index``.

    One ``np.bincount`` for all columns, adding in the same order as one per column.
    """
    values = np.concatenate(tables, axis=1)
    if weights is not None:
        values = values * weights[:, None]
    width = values.shape[1]
    bins = index[:, None] * width + np.arange(width)
    return np.bincount(bins.ravel(), weights=values.ravel(),
                       minlength=size * width).reshape(size, width)


def nearest_first(key: np.ndarray, width: int) -> np.ndarray:
    """Per row, the columns of the ``width`` smallest keys, smallest first (ties by column).

    As ``np.argsort(key, kind="stable")[:, :width]`` for the finite keys, without sorting
    whole rows (a national run has thousands of points per row).
    """
    if width >= key.shape[1]:
        return np.argsort(key, axis=1, kind="stable")
    part = np.argpartition(key, width - 1, axis=1)[:, :width]
    within = np.lexsort((part, np.take_along_axis(key, part, axis=1)), axis=1)
    return np.take_along_axis(part, within, axis=1)


def reach_fraction(mask: np.ndarray, candidates: np.ndarray, walkable: np.ndarray,
                   cycling_share: float) -> np.ndarray:
    """Per demand point: the share of its residents within reach of a ``mask``-ed point.

    ``candidates``: [demand point, k] point indices within cycling distance (-1 pads);
    ``walkable``: [demand point, k] whether that one is within walking distance too.
    Those who cycle reach any candidate, the others only the walkable ones.
    """
    near = np.append(mask, False)[candidates]  # index -1 reads the appended False
    return ((1 - cycling_share) * (near & walkable).any(axis=1)
            + cycling_share * near.any(axis=1))
