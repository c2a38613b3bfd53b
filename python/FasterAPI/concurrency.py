"""Running work away from the event loop.

- `run_in_threadpool(fn, ...)`: blocking I/O, in the loop's default thread pool;
  `iterate_in_threadpool(iterator)` and `contextmanager_in_threadpool(cm)` likewise.
- `Semaphore` and `DependencyConcurrency`: the limit of `Depends(max_concurrency=...)`.
- `is_coroutine(fn)`: whether calling `fn` gives a coroutine (faster-api-web's name).
- CPU-bound Python in parallel is FasterAPI.subinterpreters' (`SubInterpreterPool`,
  `run_in_subinterpreter`, and faster-api-web's `run_in_executor`), which this module also
  exports under faster-api-web's names, imported on first use.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


async def run_in_threadpool(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs `func(*args, **kwargs)` in the loop's default thread pool and awaits its result;
    it sees the caller's context variables, as with Starlette's (asyncio.to_thread's way)."""
    loop = asyncio.get_running_loop()
    call = functools.partial(func, *args, **kwargs) if kwargs else func
    context = contextvars.copy_context()
    return await loop.run_in_executor(None, context.run, call, *(() if kwargs else args))


async def iterate_in_threadpool(iterator: Iterator[T]) -> AsyncIterator[T]:
    """The items of a blocking iterator, each `next()` run in the thread pool."""
    done = object()
    while True:
        item = await run_in_threadpool(next, iterator, done)
        if item is done:
            return
        yield item  # type: ignore[misc]


@asynccontextmanager
async def contextmanager_in_threadpool(cm: AbstractContextManager[T]) -> AsyncIterator[T]:
    """A blocking context manager used from async code: its `__enter__` and `__exit__` run
    in the thread pool. `__exit__` runs only if `__enter__` succeeded, and once started it is
    awaited to its end even if the task is cancelled meanwhile (the cancellation follows)."""
    value = await run_in_threadpool(cm.__enter__)
    try:
        yield value
    except BaseException as exc:
        if not await _finish_in_threadpool(cm.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await _finish_in_threadpool(cm.__exit__, None, None, None)


async def _finish_in_threadpool(func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` in the thread pool, awaited to its end: a cancellation of the task
    meanwhile is raised once it is over (cleanup code is never cut short)."""
    future = asyncio.get_running_loop().run_in_executor(None, func, *args)
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return future.result()


@dataclass
class SemaphoreStatistics:
    """What `Semaphore.statistics()` reports (anyio's name)."""

    tasks_waiting: int


class Semaphore(asyncio.Semaphore):
    """An asyncio semaphore that also tells its free places (`value`) and its waiting tasks
    (`statistics().tasks_waiting`), as anyio's does."""

    @property
    def value(self) -> int:
        return self._value

    def statistics(self) -> SemaphoreStatistics:
        waiters = getattr(self, "_waiters", None) or ()
        return SemaphoreStatistics(sum(1 for waiter in waiters if not waiter.done()))


class DependencyConcurrency:
    """The limit of one `Depends(..., max_concurrency=n)` declaration: at most `n` calls of
    its dependency run at once, per event loop, on every route that uses the declaration."""

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency
        self._semaphores: weakref.WeakKeyDictionary[Any, Semaphore] = weakref.WeakKeyDictionary()

    def get_semaphore(self) -> Semaphore:
        """The semaphore of the running event loop (made on first use)."""
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = Semaphore(self.max_concurrency)
        return semaphore

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.max_concurrency})"


_DependencyConcurrency = DependencyConcurrency  # FastAPI's name


def is_coroutine(fn: Any) -> bool:
    """Whether `fn` is an `async def` function (or a partial of one, or an object whose
    `__call__` is one), so that calling it gives a coroutine to await."""
    if inspect.iscoroutinefunction(fn):
        return True
    if inspect.isclass(fn) or inspect.isroutine(fn):  # calling a class makes an instance
        return False
    return inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004


def __getattr__(name: str) -> Any:
    """faster-api-web's names for FasterAPI.subinterpreters', imported on first use."""
    if name in ("SubInterpreterPool", "run_in_subinterpreter", "run_in_executor"):
        from . import subinterpreters

        return getattr(subinterpreters, name)
    raise AttributeError(f"module 'FasterAPI.concurrency' has no attribute {name!r}")
