"""The register of uncertain inputs (``configs/uncertainty/default.yaml``), read and applied.

Each entry names a config key and the range its value may take: ``low`` and
``high`` (uniform; ``integer`` for whole numbers), or ``scale`` for a time
distribution (a factor on every hour value it has). :func:`read_register`
checks every entry against the composed config (the key exists and holds a
number or a time distribution, the range is ordered and holds the default) and
against the model's own validation at the register's corners (every value at
its low end, every value at its high end); every problem is raised at once.
:func:`apply` writes one sample into a copy of the config.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import InputError, Problems
from sim.params.reader import Reader

#: Fields of a time distribution that are hours (scaled by a ``scale`` entry).
HOUR_FIELDS = ("hours", "low", "high", "mode")
#: Kinds of entry.
KINDS = ("estimate", "sourced")


@dataclass(frozen=True)
class Uncertain:
    """One uncertain input: its key, range, default, and why."""

    key: str
    low: float
    high: float
    default: float
    why: str
    kind: str = "estimate"
    integer: bool = False
    #: A factor on a time distribution's hours (the default factor is 1).
    scale: bool = False

    @property
    def label(self) -> str:
        """Short label for tables and charts."""
        return f"{self.key} (x)" if self.scale else self.key


def _get(cfg: Any, key: str) -> Any:
    """The value at a dotted key (list items by index), or ``Reader.ABSENT``."""
    return Reader(cfg, Problems()).get(key)


def _set(cfg: Any, key: str, value: Any) -> None:
    *path, last = key.split(".")
    node = cfg
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _entry(i: int, e: Any, cfg: Mapping[str, Any], problems: Problems) -> Uncertain | None:
    where = f"uncertainty.inputs.{i}"
    if not isinstance(e, Mapping) or "key" not in e:
        problems.add(where, e, "must be a mapping with key, low and high (or scale), why")
        return None
    key = str(e["key"])
    unknown = sorted(set(e) - {"key", "low", "high", "scale", "why", "kind", "integer",
                               "default"})
    if unknown:
        problems.add(f"{where} ({key})", unknown, "unknown fields; allowed: key, low, high, "
                     "scale, why, kind, integer, default")
    if not str(e.get("why") or "").strip():
        problems.add(f"{where} ({key}).why", e.get("why"), "give a one-line reason for the "
                     "range")
    value = _get(cfg, key)
    if value is None and _is_number(e.get("default")):
        # A null setting (e.g. power.fixed.min_autonomy_h: as in the geodata) behaves as
        # the register's default; the samples give it a number.
        value = e["default"]
    elif "default" in e:
        problems.add(f"{where} ({key}).default", e["default"], "only for a key whose config "
                     "value is null: the number that null behaves like")
    kind = str(e.get("kind", "estimate"))
    if kind not in KINDS:
        problems.add(f"{where} ({key}).kind", kind, f"must be one of {list(KINDS)}")
    if value is Reader.ABSENT:
        problems.add(f"{where}.key", key, "is not a key of the config (dotted path, list "
                     "items by index, e.g. outage.waves.1.share)")
        return None
    if "scale" in e:
        scale = e["scale"]
        if not (isinstance(value, Mapping) and "distribution" in value):
            problems.add(f"{where} ({key}).scale", scale, "scale is for time distributions "
                         "(a mapping with distribution); give low and high for a number")
            return None
        if not (isinstance(scale, list | tuple) and len(scale) == 2
                and all(_is_number(s) for s in scale) and 0 < scale[0] <= 1 <= scale[1]):
            problems.add(f"{where} ({key}).scale", scale, "must be [low, high] with "
                         "0 < low <= 1 <= high (a factor; 1 is the default)")
            return None
        lo, hi = float(scale[0]), float(scale[1])
        if lo == hi:
            problems.add(f"{where} ({key}).scale", scale, "low and high must differ")
            return None
        return Uncertain(key, lo, hi, 1.0, str(e.get("why", "")), kind, scale=True)
    if not _is_number(value):
        problems.add(f"{where}.key", key, f"must name a number (it holds {value!r}); time "
                     "distributions take scale: [low, high]")
        return None
    given_lo: Any = e.get("low")
    given_hi: Any = e.get("high")
    if not (_is_number(given_lo) and _is_number(given_hi) and given_lo < given_hi):
        problems.add(f"{where} ({key})", {"low": given_lo, "high": given_hi},
                     "low and high must be numbers with low < high")
        return None
    lo, hi = float(given_lo), float(given_hi)
    if not lo <= value <= hi:
        problems.add(f"{where} ({key})", {"low": lo, "high": hi},
                     f"the range must hold the config's value {value}")
    integer = bool(e.get("integer", False))
    if integer and not (float(lo).is_integer() and float(hi).is_integer()):
        problems.add(f"{where} ({key})", {"low": lo, "high": hi},
                     "integer inputs need whole-number low and high")
    return Uncertain(key, float(lo), float(hi), float(value), str(e.get("why", "")), kind,
                     integer=integer)


def read_register(entries: Any, cfg: Mapping[str, Any],
                  check: Callable[[dict[str, Any]], object] | None = None
                  ) -> tuple[Uncertain, ...]:
    """The validated register; ``check(cfg)`` validates a config (the model's ``prepare``).

    The corners (every input at its low end; every input at its high end) must pass
    ``check``: a range outside what a key allows is named with the key.
    """
    problems = Problems()
    if not isinstance(entries, list) or not entries:
        problems.add("uncertainty.inputs", entries, "must be a non-empty list of entries")
        problems.raise_if_any()
    out = [u for i, e in enumerate(entries) if (u := _entry(i, e, cfg, problems)) is not None]
    keys = [u.key for u in out]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        problems.add("uncertainty.inputs", twice, "each key may appear once")
    problems.raise_if_any()
    if check is not None:
        for end in ("low", "high"):
            x = [u.low if end == "low" else u.high for u in out]
            try:
                check(apply(cfg, out, x))
            except InputError as exc:
                for p in exc.problems:
                    problems.add(f"uncertainty ({end} ends) {p.field}", p.value,
                                 f"{p.allowed}: narrow the range of this key in the register")
        problems.raise_if_any()
    return tuple(out)


def apply(cfg: Mapping[str, Any], inputs: Sequence[Uncertain],
          x: Sequence[float]) -> dict[str, Any]:
    """A copy of ``cfg`` with every input set to its value in ``x``."""
    out = copy.deepcopy(dict(cfg))
    for u, v in zip(inputs, x, strict=True):
        if u.scale:
            dist = _get(out, u.key)
            for f in HOUR_FIELDS:
                if _is_number(dist.get(f)):
                    dist[f] = float(dist[f]) * float(v)
        else:
            _set(out, u.key, round(float(v)) if u.integer else float(v))
    return out
