"""Reading a run's event records: the state of each site at each hour, and small helpers.

The records are flat rows (``time``, ``kind``, ``municipality``, ``site``,
``value``, ``detail``; see ``sim.model.records``). These functions turn them
into tables of the latest value per site at each reporting hour, and split the
``:``-separated details. Pure functions; the indicators are built on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # annotations only: reading results needs no model
    from sim.model.engine import ModelResult

HOURS_REPORTED = (24, 48, 72)


def hours(horizon_h: float, step: float = 1.0) -> np.ndarray:
    """The reporting grid: 0, step, ..., up to the horizon."""
    return np.arange(0.0, horizon_h + 1e-9, step)


def latest(sub: pd.DataFrame, column: str, ids: Sequence[str], at: np.ndarray,
           initial: Any, key: str) -> pd.DataFrame:
    """Per id, ``column`` of its latest record in ``sub`` at each time (``initial`` before).

    ``sub`` holds the records of one kind, in time order. One search for all ids and
    times at once: records and queries are keyed by (id, rank of time) as integers, so
    ties are exact (the last record at a time wins, as in the log).
    """
    columns = list(ids)
    unique = list(dict.fromkeys(columns))
    dtype = object if isinstance(initial, str) else float
    at = np.asarray(at, float)
    table = np.full((len(at), len(unique)), initial, dtype=dtype)
    col = pd.Index(unique).get_indexer(sub[key].to_numpy()) if len(sub) else np.zeros(0, int)
    mine = col >= 0
    if mine.any():
        times = sub["time"].to_numpy(float)[mine]
        values = sub[column].to_numpy()[mine]
        col = col[mine].astype(np.int64)
        order = np.argsort(col, kind="stable")  # by id, then time (the log is in time order)
        grid = np.unique(np.concatenate([times, at]))
        n = len(grid)
        keys = col[order] * n + np.searchsorted(grid, times[order])
        query = (np.arange(len(unique), dtype=np.int64)[None, :] * n
                 + np.searchsorted(grid, at)[:, None])
        pos = np.searchsorted(keys, query, side="right") - 1
        found = (pos >= 0) & (col[order][np.maximum(pos, 0)] == np.arange(len(unique))[None, :])
        table[found] = values[order][pos[found]]
    if len(unique) != len(columns):  # an id listed twice gets the same column twice
        table = table[:, [unique.index(c) for c in columns]]
    return pd.DataFrame(table, index=pd.Index(at, name="hour"), columns=columns)


def latest_of(result: ModelResult, kind: str, column: str, ids: Sequence[str], at: np.ndarray,
              initial: Any) -> pd.DataFrame:
    """:func:`latest` of the ``kind`` records per site, once per result (shared: read only)."""
    key = ("latest", kind, column, initial, tuple(ids), np.asarray(at, float).tobytes())
    if key not in result.memo:
        result.memo[key] = latest(result.of_kind(kind), column, ids, at, initial, "site")
    table: pd.DataFrame = result.memo[key]
    return table


def site_state(result: ModelResult, kind: str, ids: Sequence[str], at: np.ndarray,
               initial: float = 1.0) -> pd.DataFrame:
    """Value of the latest ``kind`` record per site at each time (``initial`` before)."""
    return latest_of(result, kind, "value", ids, at, float(initial))


def affected_sites(result: ModelResult, ids: Iterable[str]) -> list[str]:
    """The sites among ``ids`` in municipalities that lose power."""
    hit = result.grid.restored_at
    return [s for s in ids if result.site_municipality[s] in hit]


def intervals(records: pd.DataFrame, opens: Iterable[str], closes: Iterable[str],
              key: str, horizon: float) -> list[tuple[str, str, float, float]]:
    """(generator, site, start, end) for each open..close pair (end = horizon if open)."""
    opens, closes = set(opens), set(closes)
    sub = records[records["kind"].isin(opens | closes)]
    out: list[tuple[str, str, float, float]] = []
    for gen, group in sub.groupby(key, sort=True):
        started: tuple[str, float] | None = None
        for kind, t, site in zip(group["kind"], group["time"], group["site"], strict=True):
            if kind in opens and started is None:
                started = (site, t)
            elif kind in closes and started is not None:
                out.append((str(gen), started[0], started[1], t))
                started = None
        if started is not None:
            out.append((str(gen), started[0], started[1], horizon))
    return out


def field(details: Iterable[str], i: int) -> list[str]:
    """Field ``i`` of each ``:``-separated detail."""
    return [d.split(":")[i] for d in details]


def fields(details: pd.Series, *indices: int) -> list[np.ndarray]:
    """Fields of ``:``-separated details as object arrays, each distinct text split once.

    Long logs repeat few texts (a person and their kind, a post's requirement), so
    the details are factorised and only the distinct ones are split.
    """
    codes, uniques = pd.factorize(details)
    parts = [str(u).split(":") for u in uniques]
    return [np.array([p[i] for p in parts], dtype=object)[codes] for i in indices]


def describe(values: pd.Series) -> dict[str, float | int]:
    """Count, mean, median, 90th percentile and maximum of ``values`` (count only if none)."""
    if values.empty:
        return {"count": 0}
    return {
        "count": len(values),
        "mean": round(float(values.mean()), 4),
        "median": round(float(values.median()), 4),
        "p90": round(float(values.quantile(0.9)), 4),
        "max": round(float(values.max()), 4),
    }


def rounded(value: float, digits: int = 4) -> float | None:
    """A value for the summary: rounded, or None where it is undefined (NaN)."""
    return None if not np.isfinite(value) else round(float(value), digits)


def at_hours(series: pd.Series) -> dict[str, float | None]:
    """The series at the reporting hours (24, 48, 72), by hour as text."""
    return {str(h): rounded(series.loc[float(h)])
            for h in HOURS_REPORTED if float(h) in series.index}


def every_6h(series: pd.Series) -> dict[str, float | None]:
    """The series every 6 hours, by hour as text (None where undefined)."""
    return {f"{h:g}": rounded(v) for h, v in series.items() if h % 6 == 0}


def slice_index(result: ModelResult, at: np.ndarray) -> np.ndarray:
    """Index of the bulk slice holding each time (the last slice after the horizon)."""
    times = result.flows.times
    return np.clip(np.searchsorted(times, at, side="right") - 1, 0, max(len(times) - 1, 0))
