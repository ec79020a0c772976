"""Benchmarks (run with scripts/bench; never part of the test suite)."""
