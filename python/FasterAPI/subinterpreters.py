"""CPU-bound Python, in parallel: `SubInterpreterPool` and `run_in_subinterpreter(fn, ...)`,
and `run_in_executor(fn, ...)` (a process pool, faster-api-web's name).

On Python 3.13+ each worker is a thread running its own sub-interpreter, which has its own GIL
(CPython's `_interpreters`, or `concurrent.interpreters` where present); below 3.13 it is a
process pool. Functions go by reference (module and name), arguments and results by pickle, so
a function must be defined at the top level of a module that the worker can import. Compiled
extensions that refuse sub-interpreters (FasterAPI's own core, msgspec, pydantic) cannot be
imported there: keep CPU-bound functions in modules that do not import them.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import importlib
import inspect
import multiprocessing
import os
import pickle
import sys
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")


def _interpreters_backend() -> str | None:
    """ "concurrent.interpreters", "_interpreters", or None where sub-interpreters with their
    own GIL are not available (below 3.13, or a build without them)."""
    if sys.version_info < (3, 13):
        return None
    try:
        import concurrent.interpreters  # noqa: F401 - Python 3.14+

        return "concurrent.interpreters"
    except ImportError:
        pass
    try:
        import _interpqueues  # noqa: F401
        import _interpreters  # noqa: F401

        return "_interpreters"
    except ImportError:
        return None


BACKEND = _interpreters_backend()


class SubInterpreterPool:
    """A pool of `max_workers` workers (default: the number of CPUs) for CPU-bound calls:
    `await pool.run(fn, *args, **kwargs)`. Sub-interpreters on Python 3.13+, processes
    below. Use it as a context manager, or call shutdown()."""

    #: The multiprocessing context of a process pool (None: the platform's default).
    _mp_context: Any = None

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers or os.cpu_count() or 1
        #: "subinterpreters" or "processes": what the workers are.
        self.kind = "subinterpreters" if BACKEND else "processes"
        self._lock = threading.Lock()
        self._executor: concurrent.futures.Executor | None = None
        self._workers: list[_Worker] = []
        self._local = threading.local()
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a worker; its exception, if it raises, is raised here."""
        reference = _reference(fn)
        loop = asyncio.get_running_loop()
        executor = self._ensure_executor()
        if self.kind == "processes":
            try:
                return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))
            except BrokenProcessPool:
                self._replace_broken(executor)
                raise
        payload = {"reference": pickle.dumps(reference), "arguments": pickle.dumps((args, kwargs))}
        return _result(await loop.run_in_executor(executor, self._run_in_worker, payload))

    def shutdown(self, wait: bool = True) -> None:
        """Stops the workers: at once if idle, else when their call ends (waiting for it when
        `wait`). Calls not yet started are cancelled."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
            idle = [worker for worker in self._workers if not worker.busy]
            self._workers = [worker for worker in self._workers if worker.busy]
        for worker in idle:
            worker.close()
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> SubInterpreterPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    async def __aenter__(self) -> SubInterpreterPool:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.shutdown)

    def _ensure_executor(self) -> concurrent.futures.Executor:
        with self._lock:
            if self._closed:
                raise RuntimeError("this SubInterpreterPool is shut down")
            if self._executor is None:
                if self.kind == "processes":
                    self._executor = concurrent.futures.ProcessPoolExecutor(
                        self.max_workers, mp_context=self._mp_context
                    )
                else:
                    self._executor = concurrent.futures.ThreadPoolExecutor(
                        self.max_workers, thread_name_prefix="fasterapi-subinterpreter"
                    )
            return self._executor

    def _replace_broken(self, executor: concurrent.futures.Executor) -> None:
        """A worker process died: the pool is unusable, so the next call gets a new one."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False)

    def _run_in_worker(self, payload: dict[str, bytes]) -> tuple:
        """In a pool thread: the call, in this thread's sub-interpreter (made on first use)."""
        with self._lock:
            if self._closed:
                return ("error", "builtins", "RuntimeError", "the pool was shut down", None)
            worker = getattr(self._local, "worker", None)
            if worker is None:
                worker = self._local.worker = _Worker()
                self._workers.append(worker)
            worker.busy = True
        outcome: tuple = ("broken", "builtins", "RuntimeError", "the worker failed", None)
        try:
            outcome = worker.call(payload)
        finally:
            with self._lock:
                worker.busy = False
                # broken: the next call gets a new one; shut down: nobody else will close it
                done = self._closed or outcome[0] == "broken"
                if done:
                    self._workers.remove(worker)
                    self._local.worker = None
            if done:
                worker.close()
        return outcome


class _ProcessPool(SubInterpreterPool):
    """A SubInterpreterPool whose workers are processes whatever the Python version; started
    by a fork server where sub-interpreters may run, which a fork must not copy."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = "processes"
        if BACKEND:
            self._mp_context = multiprocessing.get_context("forkserver")


#: The pools shared by the whole process, by class: made on first use, shut down at exit.
_shared: dict[type[SubInterpreterPool], SubInterpreterPool] = {}
_shared_lock = threading.Lock()


def _shared_pool(kind: type[SubInterpreterPool]) -> SubInterpreterPool:
    with _shared_lock:
        pool = _shared.get(kind)
        if pool is None:
            pool = _shared[kind] = kind()
            atexit.register(pool.shutdown, wait=False)
        return pool


async def run_in_subinterpreter(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a pool shared by the whole process (made on first use,
    with one worker per CPU, and shut down at exit)."""
    return await _shared_pool(SubInterpreterPool).run(fn, *args, **kwargs)


async def run_in_executor(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a process pool shared by the whole process (one worker per
    CPU), as faster-api-web's `run_in_executor`: `fn`, its arguments and its result must
    pickle. Prefer run_in_subinterpreter, which uses sub-interpreters where it can."""
    return await _shared_pool(_ProcessPool).run(fn, *args, **kwargs)


def _reference(fn: Any) -> tuple[str, str, str | None]:
    """(module, qualified name, file of __main__ or None): how a worker finds `fn`."""
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None)
    bound_to_instance = inspect.ismethod(fn) and not isinstance(fn.__self__, type)
    if not module or not name or "<" in name or bound_to_instance:
        raise TypeError(
            f"{fn!r} cannot be sent to a worker: pass a function defined at the top level "
            "of a module (not a lambda, a nested function or a bound method)"
        )
    main_file = None
    if module == "__main__":
        main = sys.modules["__main__"]
        spec = getattr(main, "__spec__", None)
        if spec is not None and spec.name:  # `python -m package.module`: import it by name
            return spec.name, name, None
        main_file = getattr(main, "__file__", None)
        if main_file is None:
            raise TypeError(f"{name} is defined in an interactive session; workers cannot find it")
    return module, name, main_file


def _result(outcome: tuple) -> Any:
    """The worker's result, or its exception raised here with its type and message."""
    if outcome[0] == "ok":
        return pickle.loads(outcome[1])
    _, module, qualname, message, pickled = outcome
    exc = None
    if pickled is not None:
        try:
            exc = pickle.loads(pickled)
        except Exception:
            exc = None
    if not isinstance(exc, BaseException):
        exc = _rebuilt(module, qualname, message)
    if not isinstance(exc, Exception):  # SystemExit and the like must not stop the caller
        exc = RuntimeError(f"the worker raised {qualname}: {message}")
    raise exc


def _rebuilt(module: str, qualname: str, message: str) -> BaseException:
    try:
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls(message)
    except Exception:
        pass
    return RuntimeError(f"{qualname}: {message}")


# What a worker's interpreter runs for each call. It gets `reference` (the pickled module,
# name and script file of the function) and `arguments` (pickled args and kwargs) as globals,
# and answers on its queue with one pickled tuple: ("ok", pickled result) or
# ("error", module, qualname, message, pickled exception).
_SCRIPT = """
import pickle as _pickle
try:
    _module, _name, _main_file = _pickle.loads(reference)
    import importlib as _importlib, sys as _sys
    if _main_file is not None:  # the caller's script: loaded once, as __mp_main__
        if "__mp_main__" not in _sys.modules:
            import runpy as _runpy, types as _types
            _main = _types.ModuleType("__mp_main__")
            _main.__dict__.update(_runpy.run_path(_main_file, run_name="__mp_main__"))
            _sys.modules["__mp_main__"] = _main
        _module = "__mp_main__"
    _target = _importlib.import_module(_module)
    for _part in _name.split("."):
        _target = getattr(_target, _part)

    class _Unpickler(_pickle.Unpickler):
        def find_class(self, module, name):  # the caller's __main__ is _module here
            return super().find_class(_module if module == "__main__" else module, name)

    import io as _io
    _args, _kwargs = _Unpickler(_io.BytesIO(arguments)).load()
    _answer = ("ok", _pickle.dumps(_target(*_args, **_kwargs)))
except BaseException as _exc:
    try:
        _pickled = _pickle.dumps(_exc)
    except Exception:
        _pickled = None
    _type = type(_exc)
    _answer = ("error", _type.__module__, _type.__qualname__, str(_exc), _pickled)
    del _exc
_send(_pickle.dumps(_answer))
# nothing of this call stays alive in the worker until the next one
reference = arguments = _args = _kwargs = _answer = _target = _pickled = None
"""


class _Worker:
    """One sub-interpreter (with its own GIL), used by one pool thread at a time."""

    busy = False

    def __init__(self) -> None:
        if BACKEND == "concurrent.interpreters":
            import concurrent.interpreters as interpreters

            self.interpreter: Any = interpreters.create()
            self.queue: Any = interpreters.create_queue()
            self.id = self.interpreter.id
        else:
            import _interpqueues
            import _interpreters

            self.id = _interpreters.create()
            self.queue = _interpqueues.create(0, 0, 2)  # any size; bytes; unbound: remove
        self._exec(
            "import sys\nsys.path[:] = paths\n" + _SEND_SETUP,
            {"paths": tuple(sys.path), "qid": self._queue_id()},
        )

    def _queue_id(self) -> int:
        return self.queue if isinstance(self.queue, int) else self.queue.id

    def _exec(self, code: str, shared: dict[str, Any]) -> Any:
        """Runs `code` in the interpreter; its uncaught exception, if any (None if none)."""
        if BACKEND == "concurrent.interpreters":
            self.interpreter.prepare_main(shared)
            try:
                self.interpreter.exec(code)
            except Exception as exc:  # ExecutionFailed
                return exc
            return None
        import _interpreters

        return _interpreters.exec(self.id, code, shared)

    def call(self, payload: dict[str, bytes]) -> tuple:
        """Runs one call; ("ok", pickled result), ("error", ...) or ("broken", ...)."""
        failure = self._exec(_SCRIPT, payload)
        if failure is not None:
            return (
                "broken",
                "builtins",
                "RuntimeError",
                f"sub-interpreter failed: {failure}",
                None,
            )
        return pickle.loads(self._receive())

    def _receive(self) -> bytes:
        if BACKEND == "concurrent.interpreters":
            return self.queue.get_nowait()
        import _interpqueues

        return _interpqueues.get(self.queue)[0]

    def close(self) -> None:
        try:
            if BACKEND == "concurrent.interpreters":
                self.interpreter.close()
            else:
                import _interpqueues
                import _interpreters

                _interpreters.destroy(self.id)
                _interpqueues.destroy(self.queue)
        except Exception:  # already gone
            pass


# Defines _send(data) in a worker's interpreter: puts `data` on the worker's queue.
_SEND_SETUP = """
try:
    import concurrent.interpreters as _ci
    _queue = _ci.Queue(qid)
    def _send(data):
        _queue.put_nowait(data)
except ImportError:
    import _interpqueues as _iq
    def _send(data, _qid=qid):
        try:
            _iq.put(_qid, data, 0, 2)
        except TypeError:  # the 3-argument form of other 3.13 releases
            _iq.put(_qid, data, 0)
"""
