"""The simulation: precomputed schedules (outage, cascade) and SimPy processes over them.

``engine`` builds and runs the model; every state change is a flat record
(``records``). May import ``sim.params``, ``sim.geo`` and the base modules.
"""
