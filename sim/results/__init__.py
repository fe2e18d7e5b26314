"""Results of a run: running a scenario, its indicators and tables, and the run folder.

``run`` runs one replication; ``records``, ``indicators`` and ``series`` are
pure functions of its event records; ``summary`` counts the region; ``folder``
and ``files`` write (atomically) and read back. May import ``sim.model``,
``sim.params``, ``sim.geo`` and the base modules.
"""
