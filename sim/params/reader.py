"""Typed, range-checked reading of a plain config mapping; problems are collected.

:class:`Reader` reads one dotted key at a time (``"staffing.shift_hours"``)
and records every problem (field, value, what is allowed) instead of raising,
so :func:`sim.params.validate.prepare` can report them all at once.
:func:`check_keys` rejects keys the schema does not know.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any, get_type_hints

import numpy as np

from sim.errors import Problems

#: Longest horizon (and outage) accepted, in hours: four weeks.
MAX_HOURS = 28 * 24.0
#: A scenario name: letters, digits, '_', '.', '-'.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


#: Keys that were renamed, and what to give instead.
RENAMED = {
    "stations.tank_l": "stations.autonomy_h (hours at full load; the litres follow from "
                       "power.consumption_l_per_h)",
    "support_points.tank_l": "support_points.autonomy_h (hours at full load; the litres follow "
                             "from power.consumption_l_per_h)",
    "power.mobile.tank_l": "power.mobile.autonomy_h (hours at full load; the litres follow from "
                           "power.consumption_l_per_h)",
}


def renamed(keys: Iterable[str]) -> list[str]:
    """Messages for keys that were renamed (command-line overrides, config keys)."""
    out = []
    for key in keys:
        bare = key.split("=", 1)[0].lstrip("+~")
        if bare in RENAMED:
            out.append(f"{bare} was renamed: give {RENAMED[bare]}")
    return out


def check_keys(cfg: object, node: type, prefix: str, problems: Problems) -> None:
    """Reject keys the schema does not know, recursively."""
    if not isinstance(cfg, Mapping):
        problems.add(prefix.rstrip(".") or "<config>", cfg, "must be a mapping")
        return
    hints = get_type_hints(node)
    fields = {f.name for f in dataclasses.fields(node)}
    for key, value in cfg.items():
        if key == "hydra":
            continue
        if key not in fields:
            moved = RENAMED.get(f"{prefix}{key}")
            problems.add(f"{prefix}{key}", value, f"renamed: give {moved}" if moved
                         else f"unknown key; allowed keys: {sorted(fields)}")
            continue
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            check_keys(value, hint, f"{prefix}{key}.", problems)


class Reader:
    """Typed, range-checked access to a nested mapping; problems are recorded, not raised."""

    def __init__(self, cfg: Mapping[str, Any], problems: Problems) -> None:
        self.cfg = cfg
        self.problems = problems

    #: Returned by :meth:`get` for a key the config does not have.
    ABSENT = object()

    def get(self, key: str) -> Any:
        """The value at a dotted key (list items by index), or ``ABSENT``."""
        node: Any = self.cfg
        for part in key.split("."):
            if isinstance(node, list | tuple) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                return self.ABSENT
        return node

    def _missing(self, key: str, value: Any, allowed: str) -> bool:
        if value is self.ABSENT or value == "???":
            self.problems.add(key, None, f"is required ({allowed})")
            return True
        return False

    def number(self, key: str, lo: float = -np.inf, hi: float = np.inf,
               lo_open: bool = False) -> float:
        """A number in [lo, hi] (``lo_open``: > lo); NaN when missing or bad."""
        value = self.get(key)
        allowed = f"a number {'>' if lo_open else '>='} {lo:g} and <= {hi:g}"
        if self._missing(key, value, allowed):
            return float("nan")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.add(key, value, f"must be {allowed}")
            return float("nan")
        x = float(value)
        if not np.isfinite(x) or x > hi or x < lo or (lo_open and x == lo):
            self.problems.add(key, value, f"must be {allowed}")
        return x

    def optional_number(self, key: str, lo: float, hi: float,
                        lo_open: bool = False) -> float | None:
        """A number as :meth:`number`, or None when null or absent."""
        value = self.get(key)
        if value is None or value is self.ABSENT:
            return None
        return self.number(key, lo=lo, hi=hi, lo_open=lo_open)

    def number_or(self, key: str, default: float, lo: float, hi: float) -> float:
        """A number as :meth:`number`, or ``default`` when null or absent."""
        value = self.optional_number(key, lo, hi)
        return default if value is None else value

    def integer(self, key: str, lo: int, hi: int) -> int:
        """A whole number in [lo, hi]; 0 when missing or bad."""
        value = self.get(key)
        allowed = f"a whole number from {lo} to {hi}"
        if self._missing(key, value, allowed):
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.problems.add(key, value, f"must be {allowed}")
            return 0
        return int(value)

    def share(self, key: str) -> float:
        """A number in [0, 1]."""
        return self.number(key, lo=0.0, hi=1.0)

    def shares(self, key: str) -> dict[str, float]:
        """A mapping of safety region to share (empty when null or absent)."""
        value = self.get(key)
        if value is None or value is self.ABSENT:
            return {}
        if not isinstance(value, Mapping):
            self.problems.add(key, value, "must be a mapping of safety region to share")
            return {}
        return {str(k): self.share(f"{key}.{k}") for k in value}

    def mapping(self, key: str, read: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
        """A mapping whose values are read by ``read(full_key)``; ``required`` keys must exist."""
        value = self.get(key)
        if not isinstance(value, Mapping):
            self.problems.add(key, value, "must be a mapping")
            return {}
        for name in required:
            if name not in value:
                self.problems.add(f"{key}.{name}", None, f"is required; {key} needs "
                                  f"{list(required)}")
        return {str(k): read(f"{key}.{k}") for k in value}

    def text(self, key: str, pattern: re.Pattern[str] | None = None, allowed: str = "") -> str:
        """A non-empty text, optionally matching ``pattern`` (``allowed`` says what may appear)."""
        value = self.get(key)
        if self._missing(key, value, "a non-empty text"):
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problems.add(key, value, "must be a non-empty text")
            return ""
        if pattern is not None and not pattern.match(value):
            self.problems.add(key, value, f"may only contain {allowed}")
        return value

    def optional_text(self, key: str) -> str | None:
        """A text as :meth:`text`, or None when null or absent."""
        value = self.get(key)
        if value is None or value is self.ABSENT:
            return None
        return self.text(key)

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        """One of ``options``."""
        value = self.get(key)
        if self._missing(key, value, f"one of {list(options)}"):
            return ""
        if value not in options:
            self.problems.add(key, value, f"must be one of {list(options)}")
        return str(value)

    def flag(self, key: str) -> bool:
        """True or false."""
        value = self.get(key)
        if self._missing(key, value, "true or false"):
            return False
        if not isinstance(value, bool):
            self.problems.add(key, value, "must be true or false")
            return False
        return value

    def codes(self, key: str) -> tuple[str, ...]:
        """A list of texts (empty when null or absent)."""
        value = self.get(key)
        if value is None or value is self.ABSENT:
            return ()
        if isinstance(value, str) or not isinstance(value, list | tuple):
            self.problems.add(key, value, "must be a list of texts")
            return ()
        return tuple(str(v) for v in value)

