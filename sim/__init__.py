"""Discrete-event simulation of a long black-out and the Dutch emergency support points.

One package per stage, imports only downward (checked by ``tests/test_layout.py``):
``cli`` -> ``research``, ``sweeps``, ``injects`` -> ``results`` -> ``model`` ->
``params`` -> ``geo``, ``config`` -> the base modules ``errors``, ``streams``,
``paths``, ``mathutil``. Only ``sim.cli`` imports Hydra.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("blackout-sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
