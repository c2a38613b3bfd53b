"""CPU-bound functions for the concurrency tests: a module that imports neither FasterAPI nor
msgspec, so that a sub-interpreter can import it."""

import os
import sys


def count(n: int) -> int:
    """Pure-Python CPU work: about 50 ms per million on this kind of machine."""
    total = 0
    for i in range(n):
        total += i
    return total


def describe(a, b=0, *, scale=1):
    return {"sum": (a + b) * scale, "pid": os.getpid(), "interpreter": interpreter_id()}


def interpreter_id():
    if sys.version_info < (3, 13):
        return 0
    import _interpreters

    return _interpreters.get_current()[0]


class WorkError(ValueError):
    """A custom exception, raised by `fail`."""


def fail(message: str):
    raise WorkError(message)


def exit_worker():
    """Breaks the worker: a process exits; a sub-interpreter raises SystemExit."""
    if sys.version_info >= (3, 13):
        raise SystemExit(3)
    os._exit(3)


def main_thread_name():
    import threading

    return threading.current_thread().name


def sabotage():
    """Breaks a sub-interpreter worker: removes what it answers with."""
    import __main__

    del __main__._send
    return "sabotaged"


def timed_count(n: int) -> dict:
    """count(n), with when it started and ended (perf_counter is the same clock in every
    interpreter of the process)."""
    import time

    start = time.perf_counter()
    total = count(n)
    return {"total": total, "start": start, "end": time.perf_counter()}


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def scale(self, x):
        return x * self.factor


def nap(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds
