"""Discrete-event simulation of a long black-out and the Dutch emergency support points.

The package is split into a typed, pure core (``params``, ``geo``, ``streams``,
``summary``) and thin edges (``io`` for files, ``cli`` for Hydra). Only
``sim.cli`` imports Hydra.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("blackout-sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
