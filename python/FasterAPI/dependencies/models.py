"""The compiled dependency graph of a route: one Dependant per callable (the handler at the
root), worked out once when the route is registered, so a request does no introspection."""

from __future__ import annotations

import contextlib
import functools
import inspect
from dataclasses import dataclass, field
from typing import Any


def called_function(call: Any) -> Any:
    """What calling `call` runs: a partial's function, a class's __init__, a callable
    instance's __call__, else `call` itself."""
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isclass(call):
        return call.__init__
    if not (inspect.isfunction(call) or inspect.ismethod(call)) and callable(call):
        return call.__call__
    return call


def call_kind(call: Any) -> str:
    """How a dependency is called: "async", "sync", "async_gen" or "gen" (yield dependencies).
    Classes are called to make an instance; callable instances by their __call__."""
    if inspect.isclass(call):
        return "sync"
    target = called_function(call)
    if inspect.isasyncgenfunction(target):
        return "async_gen"
    if inspect.isgeneratorfunction(target):
        return "gen"
    if inspect.iscoroutinefunction(target):
        return "async"
    return "sync"


def cache_key(call: Any, scopes: list[str]) -> tuple[Any, tuple[str, ...]]:
    """What a dependency's result is known by in a request's cache: it and its scopes."""
    return (call, tuple(sorted(set(scopes))))


def call_name(call: Any) -> str:
    return getattr(call, "__qualname__", None) or type(call).__qualname__


@dataclass(eq=False)
class Dependant:
    """A callable and everything it is called with."""

    call: Any
    #: The OAuth2 scopes required along the chain that leads here (SecurityScopes).
    scopes: list[str] = field(default_factory=list)
    #: (parameter, key in the route's extracted values): query/path/header/cookie/body values.
    args: list[tuple[str, str]] = field(default_factory=list)
    #: (parameter or None for `dependencies=[...]`, the Dependant, use_cache), in order.
    dependencies: list[tuple[str | None, Dependant, bool]] = field(default_factory=list)
    #: Its path, query, header and cookie parameters, as documented (signature.ParamDoc).
    params: list[Any] = field(default_factory=list)
    #: (parameter, what it is given): "request", "response", "background", "security_scopes".
    specials: list[tuple[str, str]] = field(default_factory=list)
    #: How it is called (call_kind).
    kind: str = field(init=False)
    #: What a request's cache knows its result by: the callable and its scopes.
    cache_key: tuple[Any, tuple[str, ...]] = field(init=False)
    #: For a yield dependency, the context-manager factory around `call`.
    manager: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.kind = call_kind(self.call)
        self.cache_key = cache_key(self.call, self.scopes)
        if self.kind == "async_gen":
            self.manager = contextlib.asynccontextmanager(self.call)
        elif self.kind == "gen":
            self.manager = contextlib.contextmanager(self.call)

    def needs_solving(self) -> bool:
        """Whether serving the route takes the dependency solver: it has dependencies, or
        asks for BackgroundTasks or SecurityScopes (Request and Response alone do not)."""
        return bool(self.dependencies) or any(
            what not in ("request", "response") for _, what in self.specials
        )
