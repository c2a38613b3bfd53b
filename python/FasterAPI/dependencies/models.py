"""The compiled dependency graph of a route: one Dependant per callable (the handler at the
root), worked out once when the route is registered, so a request does no introspection."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any

#: What a parameter can be given by annotation instead of from the request.
SPECIALS = ("request", "response", "background", "security_scopes")


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


def call_name(call: Any) -> str:
    return getattr(call, "__qualname__", None) or type(call).__qualname__


@dataclass(eq=False)
class Dependant:
    """A callable and everything it is called with."""

    call: Any
    kind: str = "sync"
    #: (parameter, key in the route's extracted values): query/path/header/cookie/body values.
    args: list[tuple[str, str]] = field(default_factory=list)
    #: (parameter or None for `dependencies=[...]`, the Dependant, use_cache), in order.
    dependencies: list[tuple[str | None, Dependant, bool]] = field(default_factory=list)
    #: (parameter, one of SPECIALS).
    specials: list[tuple[str, str]] = field(default_factory=list)
    #: The OAuth2 scopes required along the chain that leads here (SecurityScopes).
    scopes: list[str] = field(default_factory=list)

    @property
    def cache_key(self) -> tuple[Any, tuple[str, ...]]:
        return (self.call, tuple(sorted(set(self.scopes))))

    @property
    def name(self) -> str:
        return call_name(self.call)

    def needs_solving(self) -> bool:
        """Whether serving the route takes the dependency solver: it has dependencies, or
        asks for BackgroundTasks or SecurityScopes (Request and Response alone do not)."""
        return bool(self.dependencies) or any(
            what not in ("request", "response") for _, what in self.specials
        )
