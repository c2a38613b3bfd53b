"""Routers with their own strict_content_type, and a route class wrapping the request
handling, for tests/test_router_options.py on the native server."""

from tests.test_router_options import strict_app, wrapped_app

strict = strict_app()
wrapped = wrapped_app()
