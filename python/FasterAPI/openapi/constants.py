"""Constants of the OpenAPI document, under FastAPI's names (`fastapi.openapi.constants`)."""

#: The methods whose operations document a request body when the route reads one.
METHODS_WITH_BODY = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}
#: Where a component schema is referenced from (`{"$ref": REF_PREFIX + "Item"}`).
REF_PREFIX = "#/components/schemas/"
REF_TEMPLATE = REF_PREFIX + "{model}"
