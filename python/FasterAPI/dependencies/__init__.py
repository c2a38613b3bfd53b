"""Dependency injection: `Depends` graphs compiled once per route (models, and the compiler
in FasterAPI._compiler.signature) and solved per request (solve)."""

from ..params import Depends, Security

__all__ = ["Depends", "Security"]
