"""Routers with their own strict_content_type, for tests/test_router_options.py on the
native server."""

from tests.test_router_options import strict_app

strict = strict_app()
