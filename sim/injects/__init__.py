"""Injects for exercise designers: a Master Scenario Events List (MSEL) from a run.

``sources`` reads a run folder, ``msel`` picks and orders the injects (texts in
``texts``, exercise time in ``clock``), ``export`` writes them (``safety`` makes
text harmless), ``generate`` does it all. May import ``sim.results`` and below,
not ``research``, ``sweeps`` or ``cli``.
"""
