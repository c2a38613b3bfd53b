"""Modules that stand for FastAPI's private ones in the drop-in mode (FasterAPI.compat):
names that apps, plugins and tests import from `fastapi._compat` and the like."""
