"""faster-api-web's module path for the request: `from FasterAPI.request import Request`.
The class is Starlette's Request as FastAPI has it (FasterAPI.requests), with faster-api-web's
`path` and `content_type` too."""

from .requests import HTTPConnection, Request

__all__ = ["HTTPConnection", "Request"]
