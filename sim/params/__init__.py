"""Frozen, typed parameters: one module per config group, and the one validation step.

``validate.prepare`` turns a plain config mapping into a ``scenario.Scenario``
or raises one ``InputError`` listing every problem. May import ``sim.geo``,
``sim.config`` and the base modules (``errors``, ``streams``, ``paths``).
"""
