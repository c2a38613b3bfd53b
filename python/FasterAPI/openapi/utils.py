"""`get_openapi`: the OpenAPI 3.1 document of a list of routes, in FastAPI's shape (the same
operation ids, summaries, parameters, request bodies, responses and component schemas), so
that clients generated from a FastAPI app's schema keep working."""

from __future__ import annotations

import copy
import http.client
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .._compiler.form_plan import FormPlan
from .._types import is_subclass
from ..params import Body, Required
from ..responses import JSONResponse
from ..routing import APIRoute, path_format
from ..security.base import SecurityBase
from ..sse import SSE_EVENT_SCHEMA, EventSourceResponse, ServerSentEvent
from .constants import METHODS_WITH_BODY, REF_PREFIX
from .form_bodies import form_annotation, form_body, form_model_params, has_nullable_model
from .schemas import SchemaBuilder, Slot, deep_update, field_attributes

_SOURCES = ("path", "query", "header", "cookie")

_STATUS_RANGES = {
    "1XX": "Information",
    "2XX": "Success",
    "3XX": "Redirection",
    "4XX": "Client Error",
    "5XX": "Server Error",
    "DEFAULT": "Default Response",
}

validation_error_definition = {
    "properties": {
        "loc": {
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "type": "array",
            "title": "Location",
        },
        "msg": {"type": "string", "title": "Message"},
        "type": {"type": "string", "title": "Error Type"},
        "input": {"title": "Input"},
        "ctx": {"type": "object", "title": "Context"},
    },
    "type": "object",
    "required": ["loc", "msg", "type"],
    "title": "ValidationError",
}

validation_error_response_definition = {
    "properties": {
        "detail": {
            "items": {"$ref": REF_PREFIX + "ValidationError"},
            "type": "array",
            "title": "Detail",
        }
    },
    "type": "object",
    "title": "HTTPValidationError",
}

_VALIDATION_ERROR_RESPONSE = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
}


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[Any],
    webhooks: Sequence[Any] | None = None,
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, Any] | None = None,
    license_info: dict[str, Any] | None = None,
    separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI document of `routes` (those with include_in_schema; WebSocket routes and
    mounted apps are not described)."""
    info: dict[str, Any] = {"title": title, "summary": summary, "description": description or None}
    info.update(version=version, termsOfService=terms_of_service)
    info.update(contact=contact, license=license_info)
    output: dict[str, Any] = {"openapi": openapi_version, "info": info}
    output["servers"] = servers or None
    builder = SchemaBuilder(separate_input_output_schemas)
    writer = _OperationWriter(builder)
    paths = writer.paths(routes)
    webhook_paths = writer.paths(webhooks or [])
    builder.build()
    definitions = {**builder.definitions, **writer.definitions}
    if writer.validation_errors:
        definitions["ValidationError"] = validation_error_definition
        definitions["HTTPValidationError"] = validation_error_response_definition
    output["paths"] = paths
    output["webhooks"] = webhook_paths or None
    components: dict[str, Any] = {}
    if definitions:
        components["schemas"] = {k: definitions[k] for k in sorted(definitions)}
    if writer.security_schemes:
        components["securitySchemes"] = writer.security_schemes
    output["components"] = components or None
    output["tags"] = tags or None
    output["externalDocs"] = external_docs
    return builder.fill(_jsonable(output))


class _OperationWriter:
    """Writes the operations of routes with Slots where schemas go (SchemaBuilder.fill)."""

    def __init__(self, builder: SchemaBuilder) -> None:
        self.builder = builder
        self.definitions: dict[str, Any] = {}
        #: Scheme name -> its OpenAPI description, for `components/securitySchemes`.
        self.security_schemes: dict[str, Any] = {}
        self.operation_ids: set[str] = set()
        #: Whether an operation answers 422: the validation error schemas go in the document.
        self.validation_errors = False

    def paths(self, routes: Sequence[Any]) -> dict[str, dict[str, Any]]:
        paths: dict[str, dict[str, Any]] = {}
        for route in routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                operations = paths.setdefault(path_format(route.path), {})
                for method in sorted(route.methods):
                    operations[method.lower()] = self.operation(route, method)
        return {path: ops for path, ops in paths.items() if ops}

    def operation(self, route: APIRoute, method: str) -> dict[str, Any]:
        operation: dict[str, Any] = {"tags": route.tags or None}
        operation["summary"] = route.summary or route.name.replace("_", " ").title()
        operation["description"] = route.description or None
        operation_id = route.operation_id or route.unique_id
        if operation_id in self.operation_ids:
            name = getattr(route.endpoint, "__name__", "<unnamed_endpoint>")
            warnings.warn(
                f"Duplicate Operation ID {operation_id} for function {name}", stacklevel=2
            )
        self.operation_ids.add(operation_id)
        operation["operationId"] = operation_id
        operation["deprecated"] = route.deprecated or None
        operation["security"] = self.security(route) or None
        params = self.parameters(route)
        operation["parameters"] = params or None
        body = route.body
        if method in METHODS_WITH_BODY and body is not None:
            operation["requestBody"] = self.request_body(route)
        if route.callbacks:
            operation["callbacks"] = self.callbacks(route.callbacks)
        responses = operation["responses"] = self.responses(route)
        # Any parameter, even one left out of the document, can fail validation.
        validated = body is not None or any(d.params for d in _flat_dependants(route.plan.root))
        if validated and not ({"422", "4XX", "default"} & responses.keys()):
            responses["422"] = copy.deepcopy(_VALIDATION_ERROR_RESPONSE)
            self.validation_errors = True
        if route.openapi_extra:
            deep_update(operation, route.openapi_extra)
        return operation

    def callbacks(self, routes: Sequence[Any]) -> dict[str, Any]:
        """An operation's callbacks: the operations of each callback route, under its path
        (an expression such as `{$request.body.callback_url}/events`) and named after the
        route. Their schemas go in the document; as in FastAPI, their security schemes and
        validation errors do not."""
        writer = _OperationWriter(self.builder)
        writer.definitions = self.definitions
        writer.operation_ids = self.operation_ids
        callbacks: dict[str, Any] = {}
        for route in routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                operations = {m.lower(): writer.operation(route, m) for m in sorted(route.methods)}
                callbacks[route.name] = {route.path: operations}
        return callbacks

    def security(self, route: APIRoute) -> list[dict[str, list[str]]]:
        """The security requirements of the route: one per security scheme among its
        dependencies, with the scopes its `Security(...)` chains require, merged by scheme."""
        required: dict[str, list[str]] = {}
        for dependant in _flat_dependants(route.plan.root)[1:]:
            scheme = dependant.call
            if not isinstance(scheme, SecurityBase):
                continue
            self.security_schemes[scheme.scheme_name] = scheme.model
            scopes = required.setdefault(scheme.scheme_name, [])
            scopes.extend(s for s in dependant.scopes if s not in scopes)
        return [{name: scopes} for name, scopes in required.items()]

    def parameters(self, route: APIRoute) -> list[dict[str, Any]]:
        """The route's path, query, header and cookie parameters, its own and then its
        dependencies' (each dependency once), grouped by where they are read from; a
        parameter declared twice is listed once, as required if either says so."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for source in _SOURCES:
            for param in (p for d in _flat_dependants(route.plan.root) for p in d.params):
                marker = param.marker
                if param.source != source or not getattr(marker, "include_in_schema", True):
                    continue
                attrs = field_attributes(marker, param.default, param.required)
                title = getattr(marker, "title", None) or _title(param.name)
                parameter = {
                    "name": param.name,
                    "in": source,
                    "required": param.required,
                    "schema": self.builder.add(param.annotation, "validation", attrs, title),
                    "description": getattr(marker, "description", None),
                }
                parameter["examples"] = _openapi_examples(marker)
                if not parameter["examples"] and _has_example(marker):  # deprecated example=
                    parameter["example"] = marker.example
                if getattr(marker, "deprecated", None):
                    parameter["deprecated"] = True
                key = (source, param.name)
                if key not in found or param.required:
                    found[key] = parameter
        return list(found.values())

    def body_field(self, f: Any, annotation: Any) -> Slot:
        """The slot of a body field's schema, described as `annotation`, with its marker's
        title (else one made from its name), default and constraints."""
        attrs = field_attributes(f.marker, f.default, f.required)
        title = getattr(f.marker, "title", None) or _title(f.alias)
        return self.builder.add(annotation, "validation", attrs, title)

    def request_body(self, route: APIRoute) -> dict[str, Any]:
        plan = route.body
        assert plan is not None  # asked of routes with a body only
        form = isinstance(plan, FormPlan)  # a form's fields, or a lone form model
        models = form_model_params(plan)
        if models:  # every field, as FastAPI lists them (the same one twice says it twice)
            fields = _handler_first(list(plan.fields), route.plan.root)
        else:  # the handler's and dependencies' fields once
            fields = _handler_first(
                list({f.alias: f for f in plan.fields}.values()), route.plan.root
            )
        name = f"Body_{route.unique_id}"
        if models and (plan.embed or has_nullable_model(models)):
            self.definitions[name] = form_body(self, name, fields, models)
            schema: Any = {"$ref": REF_PREFIX + name}
            required = fields if plan.embed else fields[:1]
            is_required = any(f.required for f in required)
        elif plan.embed:
            properties, required_names = {}, []
            for f in fields:
                annotation = form_annotation(f.annotation) if form else f.annotation
                properties[f.alias] = self.body_field(f, annotation)
                if f.required:
                    required_names.append(f.alias)
            self.definitions[name] = {
                "properties": properties or None,
                "type": "object",
                "required": required_names or None,
                "title": name,
            }
            schema = {"$ref": REF_PREFIX + name}
            is_required = any(f.required for f in fields)
        else:
            f = fields[0]
            schema = self.body_field(f, f.annotation)
            is_required = f.required
        # The Body() markers' media type when they agree, as FastAPI picks it.
        media_types = {f.marker.media_type for f in fields if isinstance(f.marker, Body)}
        media_type = media_types.pop() if len(media_types) == 1 else "application/json"
        if isinstance(plan, FormPlan):
            media_type = plan.media_type
        content: dict[str, Any] = {"schema": schema}
        if not plan.embed:
            content["examples"] = _openapi_examples(fields[0].marker)
            if not content["examples"] and _has_example(fields[0].marker):  # deprecated example=
                content["example"] = fields[0].marker.example
        return {"required": is_required or None, "content": {media_type: content}}

    def stream_content(self, route: APIRoute, media_type: str | None) -> dict[str, Any] | None:
        """The content of an endpoint that yields: JSON Lines or events, each item
        described by `itemSchema` (OpenAPI 3.2), as FastAPI writes it."""
        item = route.stream_item
        if is_subclass(item, ServerSentEvent):  # a transport wrapper, not the data
            item = None
        slot: Any = {}
        if item is not None:
            slot = self.builder.add(
                item, "serialization", title=_title(f"StreamItem_{route.unique_id}")
            )
        if is_subclass(route.response_class, EventSourceResponse):
            event = copy.deepcopy(SSE_EVENT_SCHEMA)
            if item is not None:
                event["properties"]["data"] = {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": slot,
                }
                event["required"] = ["data"]
            return {"text/event-stream": {"itemSchema": event}}
        if route.response_class is JSONResponse:
            return {"application/jsonl": {"itemSchema": slot}}
        return {media_type: {"schema": {"type": "string"}}} if media_type else None

    def responses(self, route: APIRoute) -> dict[str, Any]:
        status = str(route.status_code)
        response_class = route.response_class
        media_type = getattr(response_class, "media_type", None)
        main: dict[str, Any] = {"description": route.response_description}
        responses: dict[str, Any] = {status: main}
        if route.body_allowed and route.is_stream:
            main["content"] = self.stream_content(route, media_type)
        elif route.body_allowed and media_type:
            schema: Any = {"type": "string"}
            if _is_json_response(response_class):
                model = route.response_model
                title = _title(f"Response_{route.unique_id}")
                schema = (
                    {} if model is None else self.builder.add(model, "serialization", title=title)
                )
            main["content"] = {media_type: {"schema": schema}}
        for code, extra in route.responses.items():
            extra = copy.deepcopy(extra)
            model = extra.pop("model", None)
            key = str(code).upper()
            key = "default" if key == "DEFAULT" else key
            response = responses.setdefault(key, {})
            if model is not None:  # its schema, laid over any the response gives
                content = extra.setdefault("content", {})
                schema_at = content.setdefault(media_type or "application/json", {})
                title = _title(f"Response_{code}_{route.unique_id}")
                slot = self.builder.add(model, "serialization", title=title)
                slot.base = schema_at.get("schema") or {}
                schema_at["schema"] = slot
            status_text = _STATUS_RANGES.get(str(code).upper()) or _status_phrase(code)
            description = (
                extra.get("description")
                or response.get("description")
                or status_text
                or "Additional Response"
            )
            deep_update(response, extra)
            response["description"] = description
        return responses


def _flat_dependants(root: Any) -> list[Any]:
    """`root` and, depth first, each dependency it reaches, once each."""
    found, seen, stack = [], set(), [root]
    while stack:
        dependant = stack.pop()
        if dependant is None or id(dependant) in seen:
            continue
        seen.add(id(dependant))
        found.append(dependant)
        stack.extend(reversed(dependant.dependencies))
    return found


def _handler_first(fields: list[Any], root: Any) -> list[Any]:
    """Body fields in the order FastAPI lists them: the handler's, then its dependencies',
    depth first."""
    keys = [key for dependant in _flat_dependants(root) for _, key in dependant.args]
    order = {key: i for i, key in reversed(list(enumerate(keys)))}
    return sorted(fields, key=lambda f: order.get(f.name, len(order)))


def _is_json_response(response_class: Any) -> bool:
    """Whether a route's response class writes JSON (its response model's schema is then
    documented): a JSONResponse, FasterAPI's or Starlette's (which some apps import)."""
    starlette = sys.modules.get("starlette.responses")  # not imported: not used either
    return is_subclass(response_class, JSONResponse) or (
        starlette is not None and is_subclass(response_class, starlette.JSONResponse)
    )


def _openapi_examples(marker: Any) -> dict[str, Any] | None:
    """A marker's `openapi_examples` (named examples, shown by Swagger UI), which go beside
    the schema rather than in it (its `examples`)."""
    return getattr(marker, "openapi_examples", None) or None


def _has_example(marker: Any) -> bool:
    """Whether a marker was given the deprecated `example=`, which FastAPI writes beside the
    schema when there are no `openapi_examples`."""
    return getattr(marker, "example", Required) is not Required


def _title(name: str) -> str:
    """The title FastAPI gives a schema named after a field: `item_id` is "Item Id"."""
    return name.title().replace("_", " ")


def _status_phrase(code: Any) -> str | None:
    """The reason phrase of an additional response's status code; a key that is neither a
    status code, a range ("4XX") nor "default" is a ValueError, as in FastAPI."""
    try:
        return http.client.responses.get(int(code))
    except (TypeError, ValueError):
        raise ValueError(
            f"additional response {code!r}: not a status code, a range such as '4XX', or 'default'"
        ) from None


def _jsonable(value: Any) -> Any:
    """User-given parts of the document (tags, servers, examples...) as JSON data."""
    if isinstance(value, Slot):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    from ..encoders import jsonable_encoder

    return jsonable_encoder(value)
