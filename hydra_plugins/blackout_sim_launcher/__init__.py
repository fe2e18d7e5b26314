"""Hydra plugins of blackout-sim: the ``pool`` launcher and the ``composing`` sweeper.

Hydra finds launcher and sweeper plugins only in the ``hydra_plugins`` namespace;
the code is in :mod:`.pool_launcher`.
"""
