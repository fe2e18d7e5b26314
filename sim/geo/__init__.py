"""Geodata: layer schemas, loading and checking, the synthetic Oost-5 build, the network.

Also the station policy (which stations have backup power or coordinate).
May import only the base modules (``errors``, ``streams``, ``paths``, ``mathutil``);
type hints may name ``sim.params``.
"""
