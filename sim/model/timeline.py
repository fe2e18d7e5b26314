"""Piecewise-constant timelines: a value that changes at known times.

The grid state of a municipality and the state of each service are known in
advance once their random draws are made, so they are held as timelines
(sorted change times and the value from each change on) rather than as SimPy
processes. ``value_at`` answers "what was the state at time t" in O(log n).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timeline:
    """``values[i]`` holds from ``times[i]`` until ``times[i + 1]``; ``times[0]`` is the start."""

    times: tuple[float, ...]
    values: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.times) != len(self.values) or not self.times:
            raise ValueError("a timeline needs as many values as change times, at least one")
        if any(b <= a for a, b in zip(self.times, self.times[1:], strict=False)):
            raise ValueError(f"change times must increase strictly: {self.times}")

    @classmethod
    def build(cls, start_value: bool, changes: Sequence[tuple[float, bool]],
              start: float = 0.0) -> Timeline:
        """From a start value and (time, value) changes, dropping no-op and same-time changes."""
        times, values = [start], [start_value]
        for t, v in sorted(changes, key=lambda c: c[0]):
            if t < start:
                raise ValueError(f"change at {t} before the start {start}")
            if t == times[-1]:
                values[-1] = v
                if len(values) > 1 and values[-2] == v:
                    times.pop()
                    values.pop()
            elif v != values[-1]:
                times.append(t)
                values.append(v)
        return cls(tuple(times), tuple(values))

    def value_at(self, t: float) -> bool:
        """The value at time ``t`` (the start value before the start)."""
        i = bisect.bisect_right(self.times, t) - 1
        return self.values[max(i, 0)]

    def values_at(self, t: np.ndarray) -> np.ndarray:
        """:meth:`value_at` for many times at once."""
        i = np.searchsorted(np.asarray(self.times), t, side="right") - 1
        return np.asarray(self.values, dtype=bool)[np.maximum(i, 0)]

    def changes(self) -> Iterator[tuple[float, bool]]:
        """Every change after the start, as (time, new value)."""
        yield from zip(self.times[1:], self.values[1:], strict=True)

    def intervals(self, end: float) -> Iterator[tuple[float, float, bool]]:
        """(from, to, value) pieces up to ``end``."""
        bounds = [*self.times, end]
        for i, v in enumerate(self.values):
            a, b = bounds[i], min(bounds[i + 1], end)
            if b > a:
                yield a, b, v

    def time_with(self, value: bool, end: float) -> float:
        """Total time with ``value`` from the start up to ``end``."""
        return sum(b - a for a, b, v in self.intervals(end) if v == value)

    def last_change(self) -> float:
        """Time of the last change (the start when there is none)."""
        return self.times[-1]
