"""aioprocessing: asyncio-friendly wrappers of the ``multiprocessing`` primitives.

``AioQueue``, ``AioJoinableQueue``, ``AioSimpleQueue`` and ``AioPipe``
wrap the objects of the ``multiprocessing`` module aioprocessing picked
(``multiprocess`` when it is installed, else the stdlib; its ``mp``
module says which) and add ``coro_<method>`` coroutines that run the
blocking method in a per-object ``ThreadPoolExecutor``.  Two adapters:

``aioprocessing``
    the blocking API, which the wrappers delegate to the wrapped object.
``aioprocessing-coro``
    the ``coro_*`` API, as an asyncio program uses it.  The suite's workers
    and peers are asyncio tasks on one event loop
    (:class:`~conformance.harness.launchers.Tasks`), which await the
    ``coro_*`` methods of the very objects the test process uses; the test
    process itself awaits each operation on a private event loop running
    in a thread of its own, and waits for the result.
    ``get_nowait``/``put_nowait`` await ``coro_get(False)`` and
    ``coro_put(obj, False)``, the coroutine API's non-blocking forms.  The
    other methods (``qsize``, ``close``, ``task_done`` ...) have no
    coroutine and are called directly.

The wrapped module's own deviations come with it, so each adapter's
expectations file depends on it: ``<adapter>.expect`` over the stdlib's
``multiprocessing``, ``<adapter>-over-multiprocess.expect`` over
``multiprocess``.
"""

import asyncio
import os
import threading

from conformance.adapter import Adapter, Consistency
from conformance.harness.launchers import Processes, Tasks
from implementations._support import expectations, require, version


def _adapter(name, aioprocessing, wrap, launcher) -> Adapter:
    context = aioprocessing.multiprocessing.get_context()
    return Adapter(
        name=name,
        implementation=f"aioprocessing (over {_wrapped_module(aioprocessing)})",
        version=version("aioprocessing"),
        start_method=context.get_start_method(),
        queue=lambda *maxsize: wrap(aioprocessing.AioQueue(*maxsize)),
        joinable_queue=lambda *maxsize: wrap(aioprocessing.AioJoinableQueue(*maxsize)),
        simple_queue=lambda: wrap(aioprocessing.AioSimpleQueue()),
        pipe=lambda *duplex: tuple(wrap(end) for end in aioprocessing.AioPipe(*duplex)),
        launcher=launcher or Processes(context),
        consistency=Consistency.EVENTUAL,
        expectations=expectations(
            name
            if _wrapped_module(aioprocessing) == "multiprocessing"
            else f"{name}-over-{_wrapped_module(aioprocessing)}"
        ),
    )


def _wrapped_module(aioprocessing) -> str:
    """``multiprocess`` or ``multiprocessing``: what aioprocessing's ``mp`` module re-exports."""
    return aioprocessing.multiprocessing.Queue.__module__.split(".")[0]


def blocking() -> Adapter:
    return _adapter("aioprocessing", require("aioprocessing", "aioprocessing"), lambda obj: obj, None)


def coroutines() -> Adapter:
    return _adapter("aioprocessing-coro", require("aioprocessing", "aioprocessing"), Awaited, Tasks())


class _Loop:
    """This process's private event loop, running forever in a daemon thread."""

    _lock = threading.Lock()
    _pid = None
    _loop = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._pid != os.getpid():  # first use, or a forked child: the thread did not survive the fork
                cls._loop = asyncio.new_event_loop()
                threading.Thread(target=cls._loop.run_forever, name="aioprocessing-coro loop", daemon=True).start()
                cls._pid = os.getpid()
            return cls._loop


async def _await(coroutine_function, args, kwargs):
    return await coroutine_function(*args, **kwargs)


class Awaited:
    """A blocking face on an aioprocessing object whose operations are awaited ``coro_*`` coroutines."""

    def __init__(self, aio):
        self._aio = aio

    def _awaited(self, name, *args, **kwargs):
        future = asyncio.run_coroutine_threadsafe(_await(getattr(self._aio, f"coro_{name}"), args, kwargs), _Loop.get())
        return future.result()

    def get_nowait(self):
        return self._awaited("get", False)

    def put_nowait(self, obj):
        return self._awaited("put", obj, False)

    def __enter__(self):  # Connection's context manager (dunder methods bypass __getattr__)
        self._aio.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._aio.__exit__(*exc_info)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if hasattr(self._aio, f"coro_{name}"):
            return lambda *args, **kwargs: self._awaited(name, *args, **kwargs)
        return getattr(self._aio, name)

    def __repr__(self):
        return f"Awaited({self._aio._obj!r})"
