"""Geodata: layer schemas, loading and checking, the synthetic Oost-5 build, the network."""
