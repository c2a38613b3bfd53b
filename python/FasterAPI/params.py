"""Parameter markers: Path, Query, Header, Cookie, Body, Form and File, as defaults or in
Annotated[...].

They carry where a value comes from, its alias and its constraints; title, description,
examples and deprecated are kept for the OpenAPI schema.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from .concurrency import DependencyConcurrency
from .exceptions import FastAPIDeprecationWarning


class _Unset:
    """The default of a parameter declared without one: it is required. Shown as pydantic's
    `PydanticUndefined`, as FastAPI's markers show it."""

    def __repr__(self) -> str:
        return "PydanticUndefined"


Required: Any = _Unset()

#: pydantic Field() options a marker passes on to the validation of its value.
FIELD_OPTIONS = (
    "gt",
    "ge",
    "lt",
    "le",
    "min_length",
    "max_length",
    "pattern",
    "strict",
    "multiple_of",
    "allow_inf_nan",
    "max_digits",
    "decimal_places",
    "discriminator",
    "union_mode",
    "fail_fast",
)


def _deprecation(message: str) -> None:
    """FastAPI's FastAPIDeprecationWarning (a UserWarning, shown by default)."""
    warnings.warn(message, category=FastAPIDeprecationWarning, stacklevel=4)


class ParamTypes(Enum):
    """Where a parameter is read from (a marker's `in_`)."""

    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


class Param:
    """Base of the parameter markers; `source` names where the value is read from.

    `alias` is the name the client sends the value by; `validation_alias` (a name,
    pydantic's AliasChoices or AliasPath) overrides it for reading, as in pydantic."""

    source = ""

    def __init__(
        self,
        default: Any = Required,
        *,
        default_factory: Any = None,
        annotation: Any = None,
        alias: Any = Required,
        alias_priority: int | None = None,
        validation_alias: Any = Required,
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
        discriminator: Any = None,
        strict: bool | None = None,
        validate_default: bool | None = None,
        union_mode: str | None = None,
        fail_fast: bool | None = None,
        multiple_of: float | None = None,
        allow_inf_nan: bool | None = None,
        max_digits: int | None = None,
        decimal_places: int | None = None,
        examples: list[Any] | None = None,
        example: Any = Required,
        openapi_examples: dict[str, Any] | None = None,
        deprecated: bool | str | None = None,
        include_in_schema: bool = True,
        json_schema_extra: dict[str, Any] | None = None,
    ) -> None:
        if default is not Required and default is not ... and default_factory is not None:
            raise TypeError("cannot give both default and default_factory")
        if example is not Required:
            _deprecation("`example` has been deprecated, please use `examples` instead")
        if regex is not None:
            _deprecation("`regex` has been deprecated, please use `pattern` instead")
        self.default = Required if default is ... else default
        self.default_factory = default_factory
        self.annotation = annotation
        #: The aliases given, even as None: they override a pydantic Field()'s in Annotated.
        self.aliases_given = alias is not Required or validation_alias is not Required
        alias = None if alias is Required else alias
        validation_alias = None if validation_alias is Required else validation_alias
        self.alias = alias
        self.alias_priority = alias_priority
        #: The name (or pydantic AliasChoices/AliasPath) read instead of `alias`, as pydantic's
        #: (the alias when not given).
        self.validation_alias = alias if validation_alias is None else validation_alias
        self.serialization_alias = serialization_alias or alias
        self.title = title
        self.description = description
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.min_length, self.max_length = min_length, max_length
        self.pattern = pattern or regex
        self.discriminator = discriminator
        self.strict = strict
        self.validate_default = validate_default
        self.union_mode = union_mode
        self.fail_fast = fail_fast
        self.multiple_of = multiple_of
        self.allow_inf_nan = allow_inf_nan
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.example = example
        self.examples = examples
        self.openapi_examples = openapi_examples
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.json_schema_extra = json_schema_extra

    @property
    def required(self) -> bool:
        return self.default is Required and self.default_factory is None

    def field_options(self) -> dict[str, Any]:
        """The pydantic Field() options it sets (constraints, strictness...)."""
        found = {name: getattr(self, name) for name in FIELD_OPTIONS}
        return {name: value for name, value in found.items() if value is not None}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Path(Param):
    source = "path"
    in_ = ParamTypes.path

    def __init__(self, default: Any = ..., **kw: Any) -> None:
        assert default is ... or default is Required, "Path parameters cannot have a default value"
        super().__init__(default, **kw)


class Query(Param):
    source = "query"
    in_ = ParamTypes.query


class Header(Param):
    source = "header"
    in_ = ParamTypes.header

    def __init__(self, default: Any = Required, *, convert_underscores: bool = True, **kw: Any):
        super().__init__(default, **kw)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    source = "cookie"
    in_ = ParamTypes.cookie


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
