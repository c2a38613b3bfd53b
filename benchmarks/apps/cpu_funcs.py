"""The CPU-bound function of benchmarks/cpu_bound.py, in a module that imports nothing
compiled, so that a sub-interpreter can import it."""


def count(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total
