"""Parameter markers: Path, Query, Header, Cookie, Body, Form and File, as defaults or in
Annotated[...].

They carry where a value comes from, its alias and its constraints; title, description,
examples and deprecated are kept for the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .concurrency import DependencyConcurrency


class _Unset:
    """The default of a parameter declared without one: it is required."""

    def __repr__(self) -> str:
        return "Required"


Required: Any = _Unset()


class Param:
    """Base of the parameter markers; `source` names where the value is read from."""

    source = ""

    def __init__(
        self,
        default: Any = Required,
        *,
        default_factory: Any = None,
        alias: str | None = None,
        validation_alias: Any = None,
        serialization_alias: str | None = None,
        title: str | None = None,
        description: str | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        regex: str | None = None,
        examples: list[Any] | None = None,
        example: Any = Required,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        json_schema_extra: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        if default is not Required and default_factory is not None:
            raise TypeError("cannot give both default and default_factory")
        self.default = Required if default is ... else default
        self.default_factory = default_factory
        self.alias = alias
        #: The name (or pydantic AliasChoices/AliasPath) read instead of `alias`, as pydantic's.
        self.validation_alias = validation_alias
        self.serialization_alias = serialization_alias
        self.title = title
        self.description = description
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.min_length, self.max_length = min_length, max_length
        self.pattern = pattern or regex
        self.examples = examples if example is Required else [*(examples or []), example]
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.json_schema_extra = json_schema_extra
        self.extra = extra

    @property
    def required(self) -> bool:
        return self.default is Required and self.default_factory is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default!r})"


class Path(Param):
    source = "path"


class Query(Param):
    source = "query"


class Header(Param):
    source = "header"

    def __init__(self, default: Any = Required, *, convert_underscores: bool = True, **kw: Any):
        super().__init__(default, **kw)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    source = "cookie"


class Body(Param):
    source = "body"

    def __init__(
        self,
        default: Any = Required,
        *,
        embed: bool = False,
        media_type: str = "application/json",
        **kw: Any,
    ) -> None:
        super().__init__(default, **kw)
        self.embed = embed
        self.media_type = media_type


class Form(Body):
    """A body parameter read from a field of a form (`application/x-www-form-urlencoded` or
    `multipart/form-data`): the field named by the alias, or the parameter's name. On a model
    (`Annotated[Model, Form()]`), the model's fields are read from the form."""

    def __init__(
        self,
        default: Any = Required,
        *,
        media_type: str = "application/x-www-form-urlencoded",
        **kw: Any,
    ) -> None:
        super().__init__(default, media_type=media_type, **kw)


class File(Form):
    """A form parameter read from an uploaded file (`multipart/form-data`): an UploadFile,
    or the file's content for `bytes`. An `UploadFile` parameter is a File() without one."""

    def __init__(
        self,
        default: Any = Required,
        *,
        media_type: str = "multipart/form-data",
        **kw: Any,
    ) -> None:
        super().__init__(default, media_type=media_type, **kw)


#: When a yield dependency's code after `yield` runs: "function", once the handler has
#: returned (before the response is sent); "request" (the default), once the response is sent.
DEPENDENCY_SCOPES = ("function", "request")


@dataclass(frozen=True)
class Depends:
    """A parameter whose value is what `dependency` returns (or yields) for the request.
    Without a dependency, the parameter's annotation is called (`x: Annotated[Cls,
    Depends()]`). With use_cache (the default), a dependency needed several times in one
    request runs once. `scope` says when a yield dependency ends (DEPENDENCY_SCOPES).
    `max_concurrency` limits how many calls of it run at once (until the code after `yield`
    is over, for a yield dependency), per declaration: reuse the same Depends object to share
    the limit. Declarations compare equal (and hash alike) when their fields do; each with a
    max_concurrency is distinct, with its own limit."""

    dependency: Callable[..., Any] | None = None
    use_cache: bool = field(default=True, kw_only=True)
    scope: Literal["function", "request"] | None = field(default=None, kw_only=True)
    max_concurrency: int | None = field(default=None, kw_only=True)
    #: The limit's accounting; kept by dataclasses.replace() unless the limit changes.
    _concurrency: DependencyConcurrency | None = field(default=None, kw_only=True, repr=False)

    def __post_init__(self) -> None:
        if self.scope is not None and self.scope not in DEPENDENCY_SCOPES:
            raise ValueError(
                f'Depends(scope={self.scope!r}): scope must be "function", "request" or None'
            )
        limit = self.max_concurrency
        if limit is None:
            object.__setattr__(self, "_concurrency", None)
            return
        if type(limit) is not int or limit < 1:
            raise ValueError(
                f"Depends(max_concurrency={limit!r}): max_concurrency must be a positive "
                "integer or None"
            )
        if self._concurrency is None or self._concurrency.max_concurrency != limit:
            object.__setattr__(self, "_concurrency", DependencyConcurrency(limit))


@dataclass(frozen=True)
class Security(Depends):
    """Depends(), plus the OAuth2 scopes the dependency requires; a `SecurityScopes`
    parameter of the dependency (or of the ones it depends on) receives them."""

    scopes: Sequence[str] | None = field(default=None, kw_only=True)
