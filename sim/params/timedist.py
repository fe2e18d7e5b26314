"""Times in hours: fixed, or drawn from a uniform or triangular distribution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params.reader import MAX_HOURS, Reader

DURATION_KINDS = ("fixed", "uniform", "triangular")


@dataclass(frozen=True)
class TimeDist:
    """A time in hours: fixed, or drawn from a uniform or triangular distribution."""

    distribution: str
    hours: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """One draw."""
        return float(self.sample_many(rng, 1)[0])

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (a fixed time uses no random numbers)."""
        if self.distribution == "fixed":
            assert self.hours is not None
            return np.full(n, self.hours, dtype=float)
        assert self.low is not None and self.high is not None
        if self.distribution == "uniform":
            return rng.uniform(self.low, self.high, size=n)
        assert self.mode is not None
        return rng.triangular(self.low, self.mode, self.high, size=n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The times at probabilities ``u``: the inverse distribution function.

        For uniforms drawn elsewhere (one row per person keeps common random numbers).
        """
        u = np.asarray(u, float)
        if self.distribution == "fixed":
            assert self.hours is not None
            return np.full(u.shape, self.hours, dtype=float)
        assert self.low is not None and self.high is not None
        lo, hi = self.low, self.high
        if self.distribution == "uniform":
            return lo + u * (hi - lo)
        assert self.mode is not None
        cut = (self.mode - lo) / (hi - lo)
        return np.where(u < cut, lo + np.sqrt(u * (hi - lo) * (self.mode - lo)),
                        hi - np.sqrt((1 - u) * (hi - lo) * (hi - self.mode)))

    @property
    def upper(self) -> float:
        """The largest value a draw can take."""
        return float(self.hours if self.distribution == "fixed" else self.high)  # type: ignore[arg-type]


def read_time_dist(c: Reader, key: str, lo: float = 0.0, hi: float = MAX_HOURS,
                   positive: bool = False) -> TimeDist:
    """A fixed or drawn time in hours at ``key``, with its cross-field rules."""
    kind = c.choice(f"{key}.distribution", DURATION_KINDS)
    hours = c.optional_number(f"{key}.hours", lo=lo, hi=hi, lo_open=positive)
    low = c.optional_number(f"{key}.low", lo=lo, hi=hi)
    high = c.optional_number(f"{key}.high", lo=lo, hi=hi)
    mode = c.optional_number(f"{key}.mode", lo=lo, hi=hi)
    if kind == "fixed":
        if hours is None:
            c.problems.add(f"{key}.hours", None, "a fixed time needs hours")
        for name, v in (("low", low), ("high", high), ("mode", mode)):
            if v is not None:
                c.problems.add(f"{key}.{name}", v, "is only used by uniform or triangular "
                               "times; set it to null for a fixed time")
    elif kind in DURATION_KINDS:
        if low is None or high is None:
            c.problems.add(f"{key}.low/high", [low, high],
                           f"a {kind} time needs both low and high (hours)")
        elif not low < high or (positive and low <= 0):
            c.problems.add(f"{key}.low/high", [low, high],
                           f"must satisfy {'0 < ' if positive else ''}low < high")
        if kind == "triangular":
            if mode is None:
                c.problems.add(f"{key}.mode", None, "a triangular time needs a mode (hours)")
            elif low is not None and high is not None and not low <= mode <= high:
                c.problems.add(f"{key}.mode", mode,
                               f"must lie between low ({low:g}) and high ({high:g})")
        elif mode is not None:
            c.problems.add(f"{key}.mode", mode, "is only used by a triangular time; set null")
    # ``hours`` is ignored by drawn times (the defaults set it for the fixed case).
    return TimeDist(kind, hours if kind == "fixed" else None, low, high, mode)

