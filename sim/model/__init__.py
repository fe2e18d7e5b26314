"""The simulation: precomputed schedules (outage, cascade) and SimPy processes over them."""
