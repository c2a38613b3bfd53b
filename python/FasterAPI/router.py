"""faster-api-web's module path for routers: `from FasterAPI.router import FasterRouter,
RadixRouter`.

- FasterRouter is FastAPI's APIRouter (FasterAPI.routing).
- RadixRouter is a router object of its own, over the Rust router that matches an app's
  routes: `router.add_route("GET", "/users/{id}", handler, metadata)`, then
  `router.resolve("GET", "/users/42")` gives `(handler, {"id": "42"}, metadata)`, or None
  when nothing matches. Paths follow FastAPI's rules (see docs/migrating-from-faster-api-web.md).
"""

from . import _core
from .routing import APIRouter, FasterRouter

RadixRouter = _core.RadixRouter

__all__ = ["APIRouter", "FasterRouter", "RadixRouter"]
