"""Benchmarks: ``make bench`` runs them (see docs/performance.md once the suite exists)."""
