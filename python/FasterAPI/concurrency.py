"""Running blocking code away from the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_in_threadpool(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs `func(*args, **kwargs)` in the loop's default thread pool and awaits its result."""
    loop = asyncio.get_running_loop()
    call = functools.partial(func, *args, **kwargs) if kwargs else func
    return await loop.run_in_executor(None, call, *(() if kwargs else args))
