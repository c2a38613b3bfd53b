"""Shared pytest configuration: the ``fasterapi_only`` marker and its skip rule, the
``native_xfail`` marker, and the `door`, `client` and `make_client` fixtures that run a
behaviour test through both doors."""

import os
from contextlib import ExitStack

import pytest

from tests.support.doors import DOORS, open_client


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fasterapi_only: behaviour specific to FasterAPI; skipped when FASTERAPI_SHIM is set "
        "(i.e. when the suite runs against real FastAPI through the re-export shim)",
    )
    config.addinivalue_line(
        "markers",
        "native_xfail(reason): the test's native-door case is a strict xfail; `reason` says how "
        "the native server answers differently from the ASGI door",
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        mark = item.get_closest_marker("native_xfail")
        callspec = getattr(item, "callspec", None)
        if mark and callspec and callspec.params.get("door") == "native":
            reason = mark.kwargs.get("reason") or mark.args[0]
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
    if not os.environ.get("FASTERAPI_SHIM"):
        return
    skip = pytest.mark.skip(reason="FasterAPI-only behaviour; FASTERAPI_SHIM is set")
    for item in items:
        if "fasterapi_only" in item.keywords:
            item.add_marker(skip)


# -- the two doors ------------------------------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=[
        door if door == "asgi" else pytest.param(door, marks=pytest.mark.fasterapi_only)
        for door in DOORS
    ],
)
def door(request):
    """The door a behaviour test's requests come in by: "asgi" (TestClient, in process) or
    "native" (the native server over a socket); see tests/support/doors.py. Module-scoped, so
    a module's tests run through one door, then the other, sharing each server."""
    return request.param


@pytest.fixture(scope="module")
def client(door, app):
    """A client for the module's `app` fixture through `door`, shared by the module's tests."""
    with open_client(app, door) as client:
        yield client


@pytest.fixture
def make_client(door):
    """`make_client(app, **options)`: a client for an app built by the test, through `door`;
    closed (its server stopped) when the test ends."""
    with ExitStack() as stack:
        yield lambda app, **options: stack.enter_context(open_client(app, door, **options))
