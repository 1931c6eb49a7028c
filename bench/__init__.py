"""Benchmarks (not tests): ``make bench`` prints figures; docs/BENCHMARKS.md records them."""
