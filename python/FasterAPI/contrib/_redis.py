"""What the Redis backends of `contrib` share (ratelimit's and cache's `RedisBackend`): a
redis.asyncio client for each event loop that uses it, with the backend's Lua scripts
registered on it. A redis.asyncio connection belongs to the loop that opened it, and the
native server may run an app's code on several loops (its sub-interpreters, a TestClient
beside a server in tests): from a URL, a client is made for the loop in use; a client given
is used as it is, on whatever loop awaits it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


class LoopClient:
    """The client for `url` on the running loop (made with `timeout` seconds to connect and
    to answer), or the `client` given; `scripts()` are `lua` registered on it, in order."""

    def __init__(self, url: str | None, client: Any, timeout: float, lua: Sequence[str]) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisBackend takes a url or a client, one of them")
        if url is not None:
            try:
                import redis.asyncio  # noqa: F401
            except ImportError:
                raise RuntimeError(
                    "RedisBackend needs the redis package: pip install 'redis>=5'"
                ) from None
        self.url = url
        self.timeout = timeout
        self.lua = tuple(lua)
        #: The client, its scripts, and the loop it was made for (None: the given client).
        self._made: tuple[Any, tuple[Any, ...], Any] | None = None
        if client is not None:
            self._made = (client, self._register(client), None)

    def _register(self, client: Any) -> tuple[Any, ...]:
        return tuple(client.register_script(source) for source in self.lua)

    def scripts(self) -> tuple[Any, ...]:
        loop = asyncio.get_running_loop()
        made = self._made
        if made is None or (made[2] is not None and made[2] is not loop):
            import redis.asyncio

            assert self.url is not None  # (no url: the client given, made for any loop)
            client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
            made = self._made = (client, self._register(client), loop)
        return made[1]

    async def aclose(self) -> None:
        if self._made is not None:
            await self._made[0].aclose()
            self._made = None
