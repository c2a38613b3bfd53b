"""Background work: BackgroundTasks (injected into a handler by annotation) and
BackgroundTask (a Response's `background=`). Tasks run after the response is sent, in the
order they were added; `def` tasks run inline on the loop, as `def` handlers do. A task that
raises is logged and the next one still runs: it changes neither the response, which is
already sent, nor any later request."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any

logger = logging.getLogger("fasterapi.error")


class BackgroundTask:
    """`func(*args, **kwargs)`, to run once the response is sent."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs

    async def __call__(self) -> None:
        await _run((self,), own=True)


class BackgroundTasks(BackgroundTask):
    """A list of tasks run one after the other; what a handler gets for a `BackgroundTasks`
    parameter."""

    def __init__(self, tasks: list[BackgroundTask] | None = None) -> None:
        self.tasks = list(tasks or [])

    def add_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    def __call__(self) -> Coroutine[Any, Any, None]:  # type: ignore[override]
        return _run(self.tasks)  # (the coroutine to await: one frame less per request)


async def _run(tasks: Any, own: bool = False) -> None:
    """Runs `tasks` one after the other, in one coroutine: a BackgroundTask's function is
    called here (its own, `own`, whatever its class); any other task (a subclass's, which may
    run itself otherwise) is awaited. A task that raises is logged, and the next one runs."""
    for task in tasks:
        if not own and type(task) is not BackgroundTask:
            await task()
            continue
        try:
            result = task.func(*task.args, **task.kwargs)
            if result is not None and inspect.isawaitable(result):
                await result
        except Exception:
            name = getattr(task.func, "__qualname__", repr(task.func))
            logger.exception("Background task %s failed", name)
