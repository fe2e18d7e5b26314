"""Sweeps for planners: one table per sweep folder, a summary over seeds, and figures.

``tables`` gathers the job folders, ``figures`` draws them, ``aggregate`` does
both. May import ``sim.results`` and below, not ``research``, ``injects`` or ``cli``.
"""
