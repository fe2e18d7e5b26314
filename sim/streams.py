"""Named random streams spawned from one seed.

The model owns its randomness: a run has one integer seed, and every source
of randomness asks for its own stream by name. A stream depends only on the
seed and its name, never on which other streams exist or the order they were
asked for, so adding a process does not reshuffle the others (common random
numbers across scenarios).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """A factory of independent ``numpy.random.Generator`` streams keyed by name."""

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = seed

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The ``SeedSequence`` of the stream called ``name``."""
        if not name:
            raise ValueError("a stream needs a non-empty name")
        return np.random.SeedSequence(entropy=self.seed, spawn_key=_name_key(name))

    def get(self, name: str) -> np.random.Generator:
        """A fresh generator for the stream called ``name`` (same name, same numbers)."""
        return np.random.Generator(np.random.PCG64(self.sequence(name)))
