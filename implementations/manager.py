"""``SyncManager`` queue proxies: a different contract from ``multiprocessing.Queue``.

Each call is a synchronous round trip to the manager's server process, so
queries are exact (consistency ``exact``), and the proxied object is a
``queue.Queue``: no ``close``/``join_thread``, but ``task_done``/``join`` on
both queue kinds, and ``queue.Queue``'s timeout rules.  There is no
SimpleQueue and no Pipe.  The manager process is started lazily and shut
down when the session ends.
"""

import multiprocessing
import platform

from conformance.adapter import Adapter, Consistency, Trait
from conformance.primitives import Feature
from implementations.stdlib import default_start_method


class _LazyManager:
    """Starts the manager on first use, so loading the adapter is cheap."""

    def __init__(self, context):
        self._context = context
        self._manager = None

    def _get(self):
        if self._manager is None:
            self._manager = self._context.Manager()
        return self._manager

    def queue(self, maxsize: int = 0):
        return self._get().Queue(maxsize)

    def joinable_queue(self, maxsize: int = 0):
        return self._get().JoinableQueue(maxsize)

    def shutdown(self) -> None:
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None


def manager() -> Adapter:
    method = default_start_method()
    context = multiprocessing.get_context(method)
    lazy = _LazyManager(context)
    return Adapter(
        name="manager",
        implementation="CPython multiprocessing.managers.SyncManager",
        version=platform.python_version(),
        start_method=method,
        context=context,
        queue=lazy.queue,
        joinable_queue=lazy.joinable_queue,
        lacks={
            Feature.QUEUE_CLOSE: "a proxy of queue.Queue has no close()",
            Feature.QUEUE_FEEDER: (
                "a proxy of queue.Queue has no feeder thread: no join_thread() or cancel_join_thread()"
            ),
        },
        traits={Trait.PROXY},
        consistency=Consistency.EXACT,
        shutdown=lazy.shutdown,
    )
