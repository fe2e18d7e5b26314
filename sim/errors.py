"""One error type for bad input: every problem found, each naming field, value and allowed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    field: str
    value: object
    allowed: str

    def __str__(self) -> str:
        value = self.value
        text = repr(value) if not isinstance(value, str) or len(value) < 200 else value[:200] + "…"
        return f"{self.field} = {text}: {self.allowed}"


class InputError(ValueError):
    """Raised by validation, before the model starts, with every problem found at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"invalid input ({n} problem{'s' if n > 1 else ''}):\n{lines}")

    def fields(self) -> list[str]:
        """The fields named by the problems, in order."""
        return [p.field for p in self.problems]


class Problems:
    """A collector: add problems as they are found, raise them all at the end."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str, value: object, allowed: str) -> None:
        """Record one problem."""
        self.items.append(Problem(field, value, allowed))

    def extend(self, other: Iterable[Problem]) -> None:
        """Record several problems."""
        self.items.extend(other)

    def __bool__(self) -> bool:
        return bool(self.items)

    def about(self, key: str) -> bool:
        """Whether a problem is already recorded for ``key`` or a key under it.

        Rules that combine settings skip a key whose own value was rejected, so a
        message never names a value the user did not give.
        """
        return any(p.field == key or p.field.startswith(f"{key}.") for p in self.items)

    def raise_if_any(self) -> None:
        """Raise an ``InputError`` holding every problem recorded, if any."""
        if self.items:
            raise InputError(self.items)
