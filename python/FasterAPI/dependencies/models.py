"""The compiled dependency graph of a route: one Dependant per use of a callable (the handler
at the root), worked out once when the route is registered, so a request does no
introspection.

A Dependant has FastAPI's public fields (call, name, use_cache, scope, the OAuth scopes, the
`*_param_name` of injected objects) and FastAPI's helpers that tools import from
`fastapi.dependencies.models` (`_get_cache_key`, `_is_gen_callable`...); what it is called
with is compiled for FasterAPI's solver (`args`, `specials`) and documented for OpenAPI
(`params`)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from ..concurrency import DependencyConcurrency
from ..exceptions import DependencyScopeError
from ..security.base import SecurityBase

if sys.version_info >= (3, 13):
    from inspect import iscoroutinefunction
else:  # asyncio's also knows the legacy `_is_coroutine` marker, as FastAPI reads it
    from asyncio import iscoroutinefunction

#: What a request's cache knows a dependency's result by: the callable, the OAuth scopes it
#: sees (if it uses them) and its scope ("" for a plain dependency).
DependencyCacheKey = tuple[Any, tuple[str, ...], str]


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


def _impartial(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _unwrapped_call(call: Any) -> Any:
    """`call` without partials and without the decorators that say what they wrap
    (functools.wraps)."""
    return None if call is None else inspect.unwrap(_impartial(call))


class _CallIdentity:
    """A callable as a cache key, by identity (a callable may be unhashable, or equal to
    another of another kind)."""

    __slots__ = ("call",)

    def __init__(self, call: Any) -> None:
        self.call = call

    def __hash__(self) -> int:
        return id(self.call)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CallIdentity) and self.call is other.call


_CLASSIFICATION_CACHE_SIZE = 4096


def _classify(call: Any, test: Any) -> bool:
    """Whether calling `call` gives what `test` recognises: the callable itself, what it
    wraps, or (for an instance) its __call__ or what that wraps."""
    if call is None:
        return False
    if test(_impartial(call)) or test(_unwrapped_call(call)):
        return True
    if inspect.isclass(_unwrapped_call(call)):
        return False
    for owner in (_impartial(call), _unwrapped_call(call)):
        dunder_call = getattr(owner, "__call__", None)  # noqa: B004
        if dunder_call is not None and (
            test(_impartial(dunder_call)) or test(_unwrapped_call(dunder_call))
        ):
            return True
    return False


def _is_coroutine(call: Any) -> bool:
    return inspect.isroutine(call) and iscoroutinefunction(call)


def _cached_classifier(test: Any) -> Any:
    """FastAPI's cached form of `_classify(call, test)` (by the callable's identity), for the
    tools that import it. FasterAPI classifies a callable once, when a route is compiled,
    without a cache: one would keep every app's handlers and dependencies alive."""

    @functools.lru_cache(maxsize=_CLASSIFICATION_CACHE_SIZE)
    def cached(identity: _CallIdentity) -> bool:
        return _classify(identity.call, test)

    def classify(call: Any) -> bool:
        return call is not None and cached(_CallIdentity(call))

    return classify, cached


_is_gen_callable, _is_gen_callable_cached = _cached_classifier(inspect.isgeneratorfunction)
_is_async_gen_callable, _is_async_gen_callable_cached = _cached_classifier(
    inspect.isasyncgenfunction
)
_is_coroutine_callable, _is_coroutine_callable_cached = _cached_classifier(_is_coroutine)


def is_coroutine_callable(call: Any) -> bool:
    """Whether calling `call` gives a coroutine (an `async def`, or what wraps one)."""
    return _classify(call, _is_coroutine)


def call_kind(call: Any) -> str:
    """How a dependency is called: "async_gen" or "gen" (yield dependencies, entered as
    context managers), "async" (awaited) or "sync". A decorated function is what it wraps
    (functools.wraps); a callable instance is what its __call__ is; a class is "sync"."""
    if _classify(call, inspect.isasyncgenfunction):
        return "async_gen"
    if _classify(call, inspect.isgeneratorfunction):
        return "gen"
    if is_coroutine_callable(call):
        return "async"
    return "sync"


def cache_key(call: Any, scopes: list[str]) -> tuple[Any, tuple[str, ...]]:
    """What the compiler knows a compiled callable by: it and the OAuth scopes it sees."""
    return (call, tuple(sorted(set(scopes))))


def call_name(call: Any) -> str:
    return getattr(call, "__qualname__", None) or type(call).__qualname__


def _special_name(what: str) -> property:
    """FastAPI's `<what>_param_name`: the parameter given the injected `what` object."""

    def get(self: Dependant) -> str | None:
        return next((name for name, given in self.specials if given == what), None)

    def set_(self: Dependant, name: str | None) -> None:
        kept = [(n, given) for n, given in self.specials if given != what]
        self.specials = kept + ([(name, what)] if name is not None else [])

    return property(get, set_, doc=f"The parameter given the {what} object, if any.")


@dataclass(slots=True, eq=False)
class Dependant:
    """A use of a callable (a parameter's `Depends`, or one of `dependencies=[...]`) and
    everything it is called with. Uses of one callable in one route share what it is called
    with (`args`, `dependencies`, `params`, `specials`)."""

    call: Any = None
    #: The parameter its result fills; None for the handler and for `dependencies=[...]`.
    name: str | None = None
    use_cache: bool = True
    #: Its declared scope (Depends(scope=...)); see _get_computed_scope.
    scope: Literal["function", "request"] | None = None
    #: The limit of its declaration (Depends(max_concurrency=...)), if any.
    concurrency: DependencyConcurrency | None = None
    #: The OAuth2 scopes its own Security(...) requires, and those of the chain above it.
    own_oauth_scopes: list[str] | None = None
    parent_oauth_scopes: list[str] | None = None
    path: str | None = None
    #: The dependencies it is called with, in order.
    dependencies: list[Dependant] = field(default_factory=list)
    #: (parameter, key in the route's extracted values): query/path/header/cookie/body values.
    args: list[tuple[str, str]] = field(default_factory=list)
    #: Its path, query, header and cookie parameters, as documented (signature.ParamDoc).
    params: list[Any] = field(default_factory=list)
    #: Its own body parameters (body.BodyField), which the route's body plan reads.
    body_params: list[Any] = field(default_factory=list)
    #: (parameter, what it is given): "request", "websocket", "connection", "response",
    #: "background", "security_scopes".
    specials: list[tuple[str, str]] = field(default_factory=list)
    #: How it is called (call_kind).
    kind: str = field(init=False)
    #: What a request's cache knows its result by (_get_cache_key).
    cache_key: DependencyCacheKey = field(init=False)
    #: For a yield dependency, the context-manager factory around `call`.
    manager: Any = field(init=False, default=None)

    request_param_name = _special_name("request")
    websocket_param_name = _special_name("websocket")
    http_connection_param_name = _special_name("connection")
    response_param_name = _special_name("response")
    background_tasks_param_name = _special_name("background")
    security_scopes_param_name = _special_name("security_scopes")

    def __post_init__(self) -> None:
        self.kind = call_kind(self.call)
        self.cache_key = _get_cache_key(dependant=self)
        if self.kind == "async_gen":
            self.manager = contextlib.asynccontextmanager(self.call)
        elif self.kind == "gen":
            self.manager = contextlib.contextmanager(self.call)

    @property
    def scopes(self) -> list[str]:
        """The OAuth2 scopes required along the chain that leads here (SecurityScopes)."""
        return _get_oauth_scopes(dependant=self)

    @property
    def computed_scope(self) -> str | None:
        return _get_computed_scope(dependant=self)

    def use(self, name: str | None, depends: Any) -> Dependant:
        """A use of this compiled callable by a parameter (`name`) or by `dependencies=[...]`
        (None), as `depends` declares it; it shares what the callable is called with."""
        return dataclasses.replace(
            self,
            name=name,
            use_cache=depends.use_cache,
            scope=depends.scope,
            concurrency=depends._concurrency,
        )

    def needs_solving(self) -> bool:
        """Whether serving the route takes the dependency solver: it has dependencies, or
        asks for BackgroundTasks or SecurityScopes (Request and Response alone do not)."""
        return bool(self.dependencies) or any(
            what not in ("request", "response") for _, what in self.specials
        )


_UsesScopesCache = dict[int, tuple[Dependant, bool]]


def _get_oauth_scopes(*, dependant: Dependant) -> list[str]:
    """The chain's OAuth2 scopes, then its own, each once, in order."""
    scopes = list(dependant.parent_oauth_scopes or [])
    scopes.extend(s for s in dependant.own_oauth_scopes or [] if s not in scopes)
    return scopes


def _get_computed_scope(*, dependant: Dependant) -> str | None:
    """Its declared scope; "request" for a yield dependency that declares none."""
    if dependant.scope:
        return dependant.scope
    if dependant.kind in ("gen", "async_gen"):
        return "request"
    return None


def _is_security_scheme(*, dependant: Dependant) -> bool:
    return isinstance(_unwrapped_call(dependant.call), SecurityBase)


def _get_security_scheme(*, dependant: Dependant) -> SecurityBase:
    scheme = _unwrapped_call(dependant.call)
    assert isinstance(scheme, SecurityBase)
    return scheme


def _uses_scopes(*, dependant: Dependant, cache: _UsesScopesCache | None = None) -> bool:
    """Whether the OAuth2 scopes matter to it: it requires some, takes SecurityScopes, is a
    security scheme, or depends on a dependency that does."""
    cache = {} if cache is None else cache
    known = cache.get(id(dependant))
    if known is not None and known[0] is dependant:
        return known[1]
    result = bool(
        dependant.own_oauth_scopes
        or dependant.security_scopes_param_name is not None
        or _is_security_scheme(dependant=dependant)
        or any(_uses_scopes(dependant=sub, cache=cache) for sub in dependant.dependencies)
    )
    cache[id(dependant)] = (dependant, result)
    return result


def _get_cache_key(
    *, dependant: Dependant, uses_scopes_cache: _UsesScopesCache | None = None
) -> DependencyCacheKey:
    """What a request's cache knows its result by: the callable, the OAuth2 scopes if they
    matter to it, and its computed scope (a yield dependency of each scope runs apart)."""
    scopes: tuple[str, ...] = ()
    if _uses_scopes(dependant=dependant, cache=uses_scopes_cache):
        scopes = tuple(sorted(set(_get_oauth_scopes(dependant=dependant))))
    return (dependant.call, scopes, _get_computed_scope(dependant=dependant) or "")


def check_scopes(dependant: Dependant) -> None:
    """Refuses a yield dependency that ends after the response is sent (scope "request")
    but depends on one that ends before (scope "function"): it would use a closed value."""
    if dependant.kind not in ("gen", "async_gen") or dependant.computed_scope != "request":
        return
    if any(sub.scope == "function" for sub in dependant.dependencies):
        name = getattr(dependant.call, "__name__", "<unnamed_callable>")
        raise DependencyScopeError(
            f'The dependency "{name}" has a scope of "request", it cannot depend on '
            'dependencies with scope "function".'
        )
