"""faster-api-web's module path for the application: `from FasterAPI.app import Faster`.
`Faster` is FastAPI's app (also named `FastAPI`), defined in FasterAPI.applications."""

from .applications import FastAPI, Faster

__all__ = ["FastAPI", "Faster"]
