"""Shared pytest configuration: the ``fasterapi_only`` marker and its skip rule."""

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fasterapi_only: behaviour specific to FasterAPI; skipped when FASTERAPI_SHIM is set "
        "(i.e. when the suite runs against real FastAPI through the re-export shim)",
    )


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("FASTERAPI_SHIM"):
        return
    skip = pytest.mark.skip(reason="FasterAPI-only behaviour; FASTERAPI_SHIM is set")
    for item in items:
        if "fasterapi_only" in item.keywords:
            item.add_marker(skip)
