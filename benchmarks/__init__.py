"""Benchmarks: `make bench` (python -m benchmarks.run) measures c1-mock against a bare FastAPI
endpoint served the same way."""
