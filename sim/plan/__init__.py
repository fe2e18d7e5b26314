"""Planners' decision support: the cheapest package of measures that meets the 72-hour norm.

``settings`` reads the plan config (target, budget, levers, costs); ``screen`` is
the static pre-screen (which sites to designate and equip first); ``package``
turns choices into config changes and costs (``sim.results.batch`` runs them with
the model over common seeds and keeps every result); ``propose`` and ``space``
give the search its packages; ``search`` improves packages with
Optuna's NSGA-II and picks the frontier and the chosen package; ``report`` writes
the preset and the report. May import ``results`` and below; the command line is
``sim.cli.plan``.
"""
