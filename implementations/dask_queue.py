"""``distributed.Queue``: a queue held by a dask scheduler, reached over RPC.

The adapter starts a local cluster (scheduler and one worker as threads of
the test process: ``LocalCluster(processes=False)``) on the first queue it
makes, and stops it when the session ends.  Each queue is a fresh
``distributed.Queue(maxsize=...)``.

``distributed.Queue`` has ``put(value, timeout=None)``, ``get(timeout=None,
batch=False)``, ``qsize()`` and nothing else of the ``multiprocessing``
API, so the adapter maps each call form onto the nearest dask call and
adds nothing: ``put(obj, block, timeout)`` is ``put(obj, timeout=timeout)``
when blocking and ``put(obj, timeout=0)`` when not (the ``*_nowait`` forms
too), the same for ``get``; ``empty()`` is ``qsize() == 0`` and ``full()``
is ``0 < maxsize <= qsize()``.  Exceptions are dask's own
(``TimeoutError`` where the stdlib raises ``queue.Empty``/``queue.Full``):
each such difference is a finding, not translated.  There is no
``close``/``join_thread``, no JoinableQueue, SimpleQueue or Pipe, and a
queue cannot be handed to a child process without a client of its own
(no ``inheritance``).  Every call is a round trip through the event loop,
so the queue is declared at the weakest consistency level, eventual.
"""

import multiprocessing
import threading

from conformance.adapter import Adapter, Capability, Consistency
from implementations._support import expectations, require, version


class _Cluster:
    """A local dask cluster and client, started on first use and stopped by :meth:`shutdown`."""

    def __init__(self, distributed):
        self._distributed = distributed
        self._lock = threading.Lock()
        self._cluster = None
        self.client = None

    def start(self):
        with self._lock:
            if self.client is None:
                self._cluster = self._distributed.LocalCluster(
                    processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
                )
                self.client = self._distributed.Client(self._cluster, set_as_default=False)
            return self.client

    def shutdown(self):
        with self._lock:
            if self.client is not None:
                self.client.close()
                self._cluster.close()
                self.client = self._cluster = None


class DaskQueue:
    """``distributed.Queue`` under the ``multiprocessing.Queue`` call forms (see the module docstring)."""

    def __init__(self, queue, maxsize):
        self._queue = queue
        self._maxsize = maxsize

    def put(self, obj, block=True, timeout=None):
        return self._queue.put(obj, timeout=timeout if block else 0)

    def get(self, block=True, timeout=None):
        return self._queue.get(timeout=timeout if block else 0)

    def put_nowait(self, obj):
        return self.put(obj, False)

    def get_nowait(self):
        return self.get(False)

    def qsize(self):
        return self._queue.qsize()

    def empty(self):
        return self._queue.qsize() == 0

    def full(self):
        return 0 < self._maxsize <= self._queue.qsize()

    def __repr__(self):
        return f"DaskQueue({self._queue.name!r}, maxsize={self._maxsize})"


def adapter() -> Adapter:
    distributed = require("distributed", "distributed")
    cluster = _Cluster(distributed)

    def queue(maxsize=0):
        return DaskQueue(distributed.Queue(client=cluster.start(), maxsize=maxsize), maxsize)

    context = multiprocessing.get_context()
    return Adapter(
        name="dask-queue",
        implementation="distributed.Queue",
        version=version("distributed"),
        start_method=context.get_start_method(),
        context=context,
        queue=queue,
        capabilities={Capability.QSIZE, Capability.TIMEOUTS},
        consistency=Consistency.EVENTUAL,
        expectations=expectations("dask-queue"),
        shutdown=cluster.shutdown,
    )
