"""Benchmark and fuzzing scripts; a package so that tests can import the fuzzing engine."""
