"""Benchmarks: run apart from the tests, they print figures and same-run ratios, never assert timings."""
