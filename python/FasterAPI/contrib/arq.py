"""Durable background jobs on arq (the `arq` extra): enqueue from a route, a worker runs them.

`BackgroundTasks` run in the process that served the request, after its response: a restart
loses them. For work that must survive one, enqueue it on arq's queue in Redis and run
`arq module.WorkerSettings` beside the server (docs/background-jobs.md). arq's own API is the
one to use (`ArqRedis.enqueue_job`, `Job`, `WorkerSettings`); this module adds what an app
needs around it:

    jobs = ArqQueue("redis://localhost:6379/0")

    @app.post("/reports", status_code=202)
    async def report(queue: Annotated[ArqRedis, Depends(jobs.pool)]):
        job = await queue.enqueue_job("build_report", _job_id=...)

- `ArqQueue.pool`, a (yield) dependency: the queue's `ArqRedis`, opened lazily, one for each
  event loop that asks (a redis.asyncio connection belongs to the loop that opened it),
  without the reconnection retries a worker makes at start. A Redis that cannot be reached
  (refused, or not answering within `conn_timeout`) when the pool opens, or that fails a
  command of the route (gone, or silent for `socket_timeout` seconds), is answered 503
  `{"detail": "The job queue is unavailable"}` and logged, never a 500 or a hang.
  `connect()` gives the same pool outside a request; `aclose()` closes it, in the lifespan.
- `job_state(queue, job_id)`: what a status route answers of a job, or None if the queue does
  not know it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from ..exceptions import HTTPException

try:
    import arq.connections as _connections
    import arq.constants as _constants
    import arq.jobs as _jobs
    import arq.utils as _utils
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # the `arq` extra is not installed: said when ArqQueue is made
    _connections = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from arq.connections import ArqRedis, RedisSettings
    from arq.jobs import Deserializer, Serializer

_logger = logging.getLogger("fasterapi.error")


#: What Redis that went away or stopped answering raises in a route (redis-py's errors).
_REDIS_DOWN: tuple[type[Exception], ...] = ()
if _connections is not None:
    _REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
UNAVAILABLE = "The job queue is unavailable"


class ArqQueue:
    """An arq queue in the Redis at `redis` (a `redis://`, `rediss://` or `unix://` URL, or
    arq's `RedisSettings`), named `queue_name` (arq's default is the worker's default too).
    `job_serializer` and `job_deserializer` (pickle by default) must be the worker's.
    Opening the pool takes at most the settings' `conn_timeout` seconds (1 by default); a
    command then waits at most `socket_timeout` seconds for Redis's answer (None: forever)."""

    def __init__(
        self,
        redis: str | RedisSettings,
        *,
        queue_name: str | None = None,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
        socket_timeout: float | None = 5.0,
    ) -> None:
        if _connections is None:
            raise RuntimeError("ArqQueue needs the arq package: pip install 'arq>=0.26'")
        if isinstance(redis, str):
            try:
                settings = _connections.RedisSettings.from_dsn(redis)
            except (RuntimeError, ValueError) as exc:  # (a bad scheme, port or database)
                raise ValueError(
                    f"invalid Redis URL {redis!r} ({exc}): write redis://host:port/db"
                ) from None
        elif isinstance(redis, _connections.RedisSettings):
            settings = redis
        else:
            raise TypeError(
                f"ArqQueue takes a Redis URL or arq's RedisSettings, not {type(redis).__name__}"
            )
        if queue_name is None:
            queue_name = _constants.default_queue_name
        if not isinstance(queue_name, str) or not queue_name:
            raise ValueError("queue_name must be a non-empty string")
        for name, function in (
            ("job_serializer", job_serializer),
            ("job_deserializer", job_deserializer),
        ):
            if function is not None and not callable(function):
                raise TypeError(
                    f"{name} is a function (the worker's, pickle's by default), "
                    f"not {type(function).__name__}"
                )
        if socket_timeout is not None and (
            isinstance(socket_timeout, bool)
            or not isinstance(socket_timeout, Real)
            or not socket_timeout > 0
        ):
            raise ValueError(f"socket_timeout is a number of seconds > 0, not {socket_timeout!r}")
        #: The settings as given: a worker of this queue may use them (`redis_settings`).
        self.redis_settings = settings
        self.queue_name = queue_name
        self.job_serializer = job_serializer
        self.job_deserializer = job_deserializer
        self.socket_timeout = None if socket_timeout is None else float(socket_timeout)
        #: The pool of each event loop that asked for one (being opened: a task).
        self._pools: dict[asyncio.AbstractEventLoop, asyncio.Task[ArqRedis]] = {}

    async def _open(self) -> ArqRedis:
        # No retries: a request would wait conn_retries * conn_retry_delay seconds for them;
        # and a Redis that accepts the connection but does not answer must not hang it.
        settings = dataclasses.replace(self.redis_settings, conn_retries=0)
        pool = await asyncio.wait_for(
            _connections.create_pool(
                settings,
                job_serializer=self.job_serializer,
                job_deserializer=self.job_deserializer,
                default_queue_name=self.queue_name,
            ),
            timeout=settings.conn_timeout,
        )
        if self.socket_timeout is not None:  # (arq has no setting for it)
            connections = pool.connection_pool
            connections.connection_kwargs["socket_timeout"] = self.socket_timeout
            # the connection of arq's ping was made without it: the next is made with it
            await connections.disconnect()
            connections.reset()
        return pool

    def _drop_closed_loops(self) -> None:
        """Forgets the pools of event loops that are closed (their connections went with
        them)."""
        for loop in [loop for loop in self._pools if loop.is_closed()]:
            self._pools.pop(loop, None)

    async def connect(self) -> ArqRedis:
        """This event loop's `ArqRedis` (opened on first use, and again after a failure):
        for use outside a request (a lifespan, a script). Raises redis-py's ConnectionError,
        OSError or TimeoutError if Redis cannot be reached."""
        loop = asyncio.get_running_loop()
        self._drop_closed_loops()
        opening = self._pools.get(loop)
        if opening is None:
            opening = self._pools[loop] = loop.create_task(self._open())
        try:  # (shielded: a request that goes away does not cancel the others' opening)
            return await asyncio.shield(opening)
        except (OSError, RedisError, TimeoutError):
            if self._pools.get(loop) is opening:
                del self._pools[loop]
            raise

    async def pool(self) -> AsyncIterator[ArqRedis]:
        """The dependency: this event loop's `ArqRedis` (see `connect`), on which
        `enqueue_job` enqueues on this queue. If Redis cannot be reached, or fails a command
        of the route (redis-py's ConnectionError or TimeoutError), the request is answered
        503 and the failure logged; the next request tries again."""
        try:
            queue = await self.connect()
        except (OSError, RedisError, TimeoutError):
            _logger.exception("The job queue's Redis cannot be reached")
            raise HTTPException(503, UNAVAILABLE) from None
        try:
            yield queue
        except _REDIS_DOWN as exc:
            _logger.error("The job queue's Redis failed: %r", exc)
            raise HTTPException(503, UNAVAILABLE) from None

    async def aclose(self) -> None:
        """Closes the pool this event loop opened (the lifespan's, at shutdown), and forgets
        those of event loops that are closed. (The pools of other running loops are theirs
        to close.)"""
        self._drop_closed_loops()
        opening = self._pools.pop(asyncio.get_running_loop(), None)
        if opening is None:
            return
        try:
            pool = await opening
        except (OSError, RedisError, TimeoutError):
            return  # (never opened)
        await pool.aclose(close_connection_pool=True)


class JobState(TypedDict, total=False):
    """What `job_state` says of a job. `status`: arq's, "deferred" (waiting for its time),
    "queued", "in_progress" or "complete"; `tries`: the tries started (a try cut short by a
    worker's shutdown counts); once complete, `success`, and the function's `result` or the
    `error` it raised (its repr), and when it finished."""

    id: str
    status: Literal["deferred", "queued", "in_progress", "complete"]
    function: str | None
    tries: int
    enqueued_at: datetime | None
    success: bool
    result: Any
    error: str
    finished_at: datetime


async def job_state(queue: ArqRedis, job_id: str) -> JobState | None:
    """The state of the job `job_id` on `queue`'s queue, as a status route answers it; None if
    the queue does not know it (never enqueued, or its result has expired: arq keeps it
    `keep_result` seconds, an hour by default). Read in one transaction, so that a job that
    finishes meanwhile is seen before or after, never in between (arq's `Job.status()` and
    `Job.info()` are two reads). A result that cannot be unpickled here (of a class only the
    worker imports) is reported as an error."""
    c = _constants
    async with queue.pipeline(transaction=True) as tr:
        tr.get(c.result_key_prefix + job_id)
        tr.get(c.job_key_prefix + job_id)
        tr.exists(c.in_progress_key_prefix + job_id)
        tr.zscore(queue.default_queue_name, job_id)
        tr.get(c.retry_key_prefix + job_id)
        result, definition, running, score, tries = await tr.execute()
    if result is not None:
        return _finished(job_id, result, queue.job_deserializer)
    if not running and score is None:
        return None
    if running:
        status: Literal["deferred", "queued", "in_progress"] = "in_progress"
    else:  # (arq's rule: a job whose time has not come is deferred)
        status = "deferred" if score > _utils.timestamp_ms() else "queued"
    state: JobState = {"id": job_id, "status": status, "function": None, "tries": int(tries or 0)}
    if definition is not None:
        try:
            job = _jobs.deserialize_job(definition, deserializer=queue.job_deserializer)
        except _jobs.DeserializationError:
            pass  # (its arguments are of a class this process lacks: no function, no time)
        else:
            state["function"] = job.function
            state["enqueued_at"] = job.enqueue_time
    return state


def _finished(job_id: str, result: bytes, deserializer: Deserializer | None) -> JobState:
    try:
        done = _jobs.deserialize_result(result, deserializer=deserializer)
    except _jobs.DeserializationError as exc:  # (pickled with a class this process lacks)
        return {"id": job_id, "status": "complete", "success": False, "error": repr(exc)}
    state: JobState = {
        "id": job_id,
        "status": "complete",
        "function": done.function,
        "tries": done.job_try,
        "enqueued_at": done.enqueue_time,
        "success": done.success,
        "finished_at": done.finish_time,
    }
    if done.success:
        state["result"] = done.result
    else:
        state["error"] = repr(done.result)
    return state


__all__ = ["UNAVAILABLE", "ArqQueue", "JobState", "job_state"]
