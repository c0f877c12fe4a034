"""Benchmarks of Flo Communications at a large team's size (see docs/performance.md)."""
