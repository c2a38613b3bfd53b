"""A route's dependency graph flattened into the steps its run takes (Rust's
`crates/fasterapi-py/src/route/steps.rs` reads them, `run/runner.rs` runs them): one step per
call, in the order FastAPI solves them, each result kept in the slot of its step.

The solving rules are worked out here, once, instead of per request:
- order: depth first, each dependency's own dependencies before it, in declaration order;
- the request's cache: a use of a dependency whose cache key an earlier use has (with
  use_cache=True) takes that use's slot instead of a call. Its own dependencies are emitted
  again all the same, as FastAPI solves them before it looks the dependency up: those with
  use_cache=False run again, the others are cached in turn;
- how each is called: a `def` one in the thread pool on a route that asks for it; one with
  max_concurrency, or a `def` yield dependency run in the thread pool, through an async
  generator (or `async def`) wrapper here that holds the semaphore or the thread-pool entry,
  so the run knows four kinds of call only. FasterAPI's own security schemes that read only
  headers (security.HEADER_SCHEMES, the classes themselves) are called by their plain
  `_read_headers`, the body of their `__call__`, which awaits nothing.

A step's arguments name where each value comes from: the route's extracted values (a key), an
earlier step's slot, or an object of the request (Request, Response, BackgroundTasks, the
headers alone, SecurityScopes).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ..concurrency import DependencyConcurrency, contextmanager_in_threadpool, run_in_threadpool
from ..dependencies.models import Dependant
from ..security import HEADER_SCHEMES

# How a step is called (route/steps.rs `StepKind` reads these numbers).
ASYNC, SYNC, THREAD, ASYNC_GEN, GEN = range(5)
_KINDS = {"async": ASYNC, "sync": SYNC, "async_gen": ASYNC_GEN, "gen": GEN}

# Where an argument comes from (route/steps.rs `Source`; CONNECTION and WEBSOCKET only on a
# WebSocket route, whose steps Python runs: FasterAPI.dependencies.solve).
VALUE, SLOT, REQUEST, RESPONSE, BACKGROUND, HEADERS, SECURITY_SCOPES, CONNECTION, WEBSOCKET = range(
    9
)
_SPECIALS = {
    "request": REQUEST,
    "response": RESPONSE,
    "background": BACKGROUND,
}

#: One argument: (parameter name, VALUE and the key in the values, SLOT and the step's index,
#: or the object of the request and None; SECURITY_SCOPES and the scopes).
Argument = tuple[str, int, Any]
#: One step: (kind, callable, its arguments, whether its exit runs before the response is
#: sent: a yield dependency of scope "function").
Step = tuple[int, Any, list[Argument], bool]


def dependency_steps(
    root: Dependant, threadpool: bool, websocket: bool = False
) -> tuple[list[Step], list[Argument]]:
    """The steps that solve `root`'s dependencies, and the arguments its callable (the
    endpoint) is called with; for a `websocket` route's, or else an HTTP route's (whose
    HTTPConnection is its Request, and which has no WebSocket to give)."""
    steps: list[Step] = []
    cached: dict[Any, int] = {}

    def arguments(dependant: Dependant) -> list[Argument]:
        args: list[Argument] = []
        for sub in dependant.dependencies:
            sub_args = arguments(sub)  # emitted even for a cached use, as FastAPI solves them
            key = sub.cache_key
            if sub.use_cache and key in cached:
                slot = cached[key]
            else:
                slot = len(steps)
                steps.append(_step(sub, sub_args, threadpool))
                cached.setdefault(key, slot)  # use_cache=False leaves the first one cached
            if sub.name is not None:
                args.append((sub.name, SLOT, slot))
        args.extend((name, VALUE, key) for name, key in dependant.args)
        for name, what in dependant.specials:
            if what == "security_scopes":
                args.append((name, SECURITY_SCOPES, list(dependant.scopes)))
            elif websocket and what in ("connection", "websocket"):
                args.append((name, CONNECTION if what == "connection" else WEBSOCKET, None))
            elif what == "websocket":
                continue  # left out, as FastAPI leaves it out of an HTTP request's call
            elif what in ("request", "connection") and type(dependant.call) in HEADER_SCHEMES:
                args.append((name, HEADERS, None))
            else:
                args.append((name, _SPECIALS.get(what, REQUEST), None))
        return args

    root_args = arguments(root)
    return steps, root_args


def _step(dependant: Dependant, args: list[Argument], threadpool: bool) -> Step:
    kind, call, limit = dependant.kind, dependant.call, dependant.concurrency
    function = dependant.scope == "function"
    if limit is not None:
        return (*_limited(dependant, limit, threadpool), args, function)
    if type(call) in HEADER_SCHEMES:  # FasterAPI's own scheme, whose __call__ awaits nothing
        return SYNC, call._read_headers, args, function
    if kind == "gen" and threadpool:
        return ASYNC_GEN, _entered_in_threadpool(dependant.manager), args, function
    if kind == "sync" and threadpool:
        return THREAD, call, args, function
    return _KINDS[kind], call, args, function


def _entered_in_threadpool(manager: Any) -> Any:
    """A `def` yield dependency whose code before and after `yield` runs in the thread pool,
    as an async generator."""

    async def entered(**kwargs: Any) -> AsyncIterator[Any]:
        async with contextmanager_in_threadpool(manager(**kwargs)) as value:
            yield value

    return entered


def _limited(dependant: Dependant, limit: DependencyConcurrency, threadpool: bool) -> Any:
    """A dependency declared with max_concurrency, as a call that waits for a place first:
    a plain one holds it for its call; a yield one until its exit is over; a failed entry or
    exit gives it back."""
    call, kind = dependant.call, dependant.kind
    if kind in ("async_gen", "gen"):
        manager = dependant.manager

        async def entered(**kwargs: Any) -> AsyncIterator[Any]:
            async with limit.get_semaphore():
                inner = manager(**kwargs)
                if kind == "gen" and threadpool:
                    inner = contextmanager_in_threadpool(inner)
                if isinstance(inner, contextlib.AbstractAsyncContextManager):
                    async with inner as value:
                        yield value
                else:
                    with inner as value:
                        yield value

        return ASYNC_GEN, entered

    async def limited(**kwargs: Any) -> Any:
        async with limit.get_semaphore():
            if kind == "async":
                return await call(**kwargs)
            if threadpool:
                return await run_in_threadpool(call, **kwargs)
            return call(**kwargs)

    return ASYNC, limited


def _same(generator: Any) -> Any:
    return generator


#: The context manager of a yield dependency's generator, once its call made it: entering it
#: takes the first item; its `__aexit__` (`__exit__`) is contextlib's, which ends the
#: generator or throws an exception in, with contextlib's rules.
entered_async = contextlib.asynccontextmanager(_same)
entered = contextlib.contextmanager(_same)


__all__ = ["dependency_steps", "entered", "entered_async"]
