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

- `ArqQueue.pool`, a dependency: the queue's `ArqRedis`, opened lazily, one for each event loop
  that asks (a redis.asyncio connection belongs to the loop that opened it), without the
  reconnection retries a worker makes at start (a request is answered 503 at once when Redis
  cannot be reached); `aclose()` closes it, in the app's lifespan.
- `job_state(queue, job_id)`: what a status route answers of a job, or None if the queue does
  not know it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from ..exceptions import HTTPException

try:
    import arq.connections as _connections
    import arq.constants as _constants
    import arq.jobs as _jobs
    import arq.utils as _utils
    from redis.exceptions import RedisError
except ImportError:  # the `arq` extra is not installed: said when ArqQueue is made
    _connections = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from arq.connections import ArqRedis, RedisSettings
    from arq.jobs import Deserializer, Serializer

_logger = logging.getLogger("fasterapi.error")


class ArqQueue:
    """An arq queue in the Redis at `redis` (a `redis://`, `rediss://` or `unix://` URL, or
    arq's `RedisSettings`), named `queue_name` (arq's default is the worker's default too).
    `job_serializer` and `job_deserializer` (pickle by default) must be the worker's."""

    def __init__(
        self,
        redis: str | RedisSettings,
        *,
        queue_name: str | None = None,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
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
        #: The settings as given: a worker of this queue may use them (`redis_settings`).
        self.redis_settings = settings
        self.queue_name = queue_name
        self.job_serializer = job_serializer
        self.job_deserializer = job_deserializer
        #: The pool of each event loop that asked for one (being opened: a task).
        self._pools: dict[asyncio.AbstractEventLoop, asyncio.Task[ArqRedis]] = {}

    async def _open(self) -> ArqRedis:
        # No retries: a request would wait conn_retries * conn_retry_delay seconds for them.
        settings = dataclasses.replace(self.redis_settings, conn_retries=0)
        return await _connections.create_pool(
            settings,
            job_serializer=self.job_serializer,
            job_deserializer=self.job_deserializer,
            default_queue_name=self.queue_name,
        )

    async def pool(self) -> ArqRedis:
        """The dependency: this event loop's `ArqRedis` (opened on first use), on which
        `enqueue_job` enqueues on this queue. If Redis cannot be reached, the request is
        answered 503 (and the failure logged); the next request tries again."""
        loop = asyncio.get_running_loop()
        opening = self._pools.get(loop)
        if opening is None:
            for other in [other for other in self._pools if other.is_closed()]:
                self._pools.pop(other, None)  # (its connections went with its loop)
            opening = self._pools[loop] = loop.create_task(self._open())
        try:  # (shielded: a request that goes away does not cancel the others' opening)
            return await asyncio.shield(opening)
        except (OSError, RedisError, TimeoutError):
            if self._pools.get(loop) is opening:
                del self._pools[loop]
            _logger.exception("The job queue's Redis cannot be reached")
            raise HTTPException(503, "The job queue is unavailable") from None

    async def aclose(self) -> None:
        """Closes the pool this event loop opened (the lifespan's, at shutdown)."""
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


__all__ = ["ArqQueue", "JobState", "job_state"]
