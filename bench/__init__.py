"""Benchmarks (not tests): `make bench` runs every bench_*.py module and writes BENCHMARKS.md (bench/run.py)."""
