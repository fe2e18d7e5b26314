"""Geodata: layer schemas, reading, loading, synthetic build, network, GeoPackage writing.

May import only the base modules (``errors``, ``streams``, ``paths``, ``mathutil``).
"""
