"""``key=value`` changes to one section of a config, for the commands that work on run folders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from sim.errors import InputError, Problem


def with_overrides(base: Mapping[str, Any], overrides: Sequence[str],
                   section: str) -> dict[str, Any]:
    """``base`` with ``key=value`` overrides (values in YAML; ``<section>.`` prefix optional)."""
    out = dict(base)
    problems = []
    for text in overrides:
        key, sep, value = text.partition("=")
        key = key.removeprefix(f"{section}.")
        if not sep or not key or "." in key:
            problems.append(Problem(text, text, f"an override key=value with a top-level key "
                                    f"of {section}"))
            continue
        if key not in out and key != "enabled":
            problems.append(Problem(f"{section}.{key}", value,
                                    f"unknown key; allowed: {sorted(out)}"))
            continue
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            problems.append(Problem(f"{section}.{key}", value, f"not valid YAML ({exc})"))
    if problems:
        raise InputError(problems)
    return out
