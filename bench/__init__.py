"""watchwire's benchmarks: ``python -m bench.run`` runs them all (see README.md)."""
