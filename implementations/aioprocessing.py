"""aioprocessing: asyncio-friendly wrappers of the ``multiprocessing`` primitives, on each backend it can wrap.

``AioQueue``, ``AioJoinableQueue``, ``AioSimpleQueue`` and ``AioPipe``
wrap the objects of a ``multiprocessing`` module and add ``coro_<method>``
coroutines that run the blocking method in a per-object
``ThreadPoolExecutor``.  The module is the backend, picked when
aioprocessing is imported: ``multiprocess`` when it is installed
(``pip install aioprocessing[dill]``), else the stdlib's
``multiprocessing``; a non-empty ``AIOPROCESSING_DILL_DISABLED`` forces the
stdlib (aioprocessing's README).  The backend's own deviations come with
it, so each backend is a column of its own: every adapter names its
:class:`Backend`, selects it through that variable before aioprocessing is
imported and checks that aioprocessing wraps it; the header and the report
name it with its version.

``aioprocessing`` and ``aioprocessing-over-multiprocess``
    the blocking API, which the wrappers delegate to the wrapped object.
``aioprocessing-coro`` and ``aioprocessing-coro-over-multiprocess``
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

Each adapter's expectations file is ``<adapter>.expect``.
"""

import asyncio
import enum
import os
import platform
import threading

from conformance.adapter import Adapter, AdapterError, Consistency
from conformance.harness.launchers import Processes, Tasks
from implementations._support import expectations, require, version

#: aioprocessing's switch: a non-empty value makes it wrap the stdlib even where multiprocess is installed.
DILL_DISABLED = "AIOPROCESSING_DILL_DISABLED"


class Backend(enum.Enum):
    """The ``multiprocessing`` module aioprocessing wraps, by its import name."""

    STDLIB = "multiprocessing"
    MULTIPROCESS = "multiprocess"

    def describe(self) -> str:
        """The module with its version."""
        if self is Backend.STDLIB:
            return f"multiprocessing of Python {platform.python_version()}"
        return f"multiprocess {version('multiprocess')}"


def _aioprocessing(backend: Backend):
    """aioprocessing, imported over ``backend`` (its ``mp`` module reads the switch when it is first imported)."""
    if backend is Backend.MULTIPROCESS:
        require("multiprocess", "aioprocessing[dill]")
        os.environ.pop(DILL_DISABLED, None)
    else:
        os.environ[DILL_DISABLED] = "1"  # also for the children of a spawn or forkserver context, which re-import it
    aioprocessing = require("aioprocessing", "aioprocessing")
    wrapped = aioprocessing.multiprocessing.Queue.__module__.split(".")[0]
    if wrapped != backend.value:
        raise AdapterError(
            f"aioprocessing wraps {wrapped}, not {backend.value}: it was imported before this adapter chose its "
            f"backend; run each aioprocessing backend in a pytest process of its own"
        )
    return aioprocessing


def _adapter(name: str, backend: Backend, coroutines: bool) -> Adapter:
    aioprocessing = _aioprocessing(backend)
    context = aioprocessing.multiprocessing.get_context()
    wrap = Awaited if coroutines else _itself
    return Adapter(
        name=name,
        implementation=f"aioprocessing (over {backend.describe()})",
        version=version("aioprocessing"),
        start_method=context.get_start_method(),
        queue=lambda *maxsize: wrap(aioprocessing.AioQueue(*maxsize)),
        joinable_queue=lambda *maxsize: wrap(aioprocessing.AioJoinableQueue(*maxsize)),
        simple_queue=lambda: wrap(aioprocessing.AioSimpleQueue()),
        pipe=lambda *duplex: tuple(wrap(end) for end in aioprocessing.AioPipe(*duplex)),
        launcher=Tasks() if coroutines else Processes(context),
        consistency=Consistency.EVENTUAL,
        expectations=expectations(name),
    )


def _itself(obj):
    return obj


def blocking() -> Adapter:
    return _adapter("aioprocessing", Backend.STDLIB, coroutines=False)


def coroutines() -> Adapter:
    return _adapter("aioprocessing-coro", Backend.STDLIB, coroutines=True)


def blocking_over_multiprocess() -> Adapter:
    return _adapter("aioprocessing-over-multiprocess", Backend.MULTIPROCESS, coroutines=False)


def coroutines_over_multiprocess() -> Adapter:
    return _adapter("aioprocessing-coro-over-multiprocess", Backend.MULTIPROCESS, coroutines=True)


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
