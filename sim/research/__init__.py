"""Coverage gaps for researchers: who is out of reach of a working point, where, when.

``coverage`` (the pure computation), ``layers`` (a run folder's GIS layers),
``maps``, ``curves`` and ``figures`` (what a run draws). Reads finished run
folders; may import ``sim.results`` and below, not ``sweeps``, ``injects`` or ``cli``.
"""
