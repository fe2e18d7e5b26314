"""Results of a run: running a scenario, its indicators and tables, and the run folder.

``run`` runs one replication; ``records``, ``indicators``, ``points``,
``regions`` (per safety region and municipality), ``shortfall`` (causes),
``sites`` (per named site) and ``series`` are pure functions of its event
records; ``headline`` words the planner's answer; ``summary`` counts the
region; ``folder`` and ``files`` write (atomically) and read back; ``batch`` runs
many configs in parallel and keeps their indicators (plans, sensitivity). May import ``sim.model``,
``sim.params``, ``sim.geo`` and the base modules.
"""
