"""``distributed.Queue``: a queue held by a dask scheduler, reached over RPC, driven from dask workers.

The adapter starts a local cluster (scheduler and one worker with eight
threads, all in the test process: ``LocalCluster(processes=False)``) on the
first queue it makes, and stops it when the session ends.  Each queue is a
fresh ``distributed.Queue(maxsize=...)``, used as it is: the adapter adds
no method.

``distributed.Queue`` has ``put(value, timeout=None)``, ``get(timeout=None,
batch=False)``, ``qsize()`` and ``close()`` (which releases the queue on
the scheduler), and nothing else of the ``multiprocessing`` API: no
``block`` argument, no ``put_nowait``/``get_nowait``, no ``empty``/``full``,
no feeder thread to join.  The adapter declares those absences; the suite
grades them against the Queue's API clause and tests the rest with the
calls the queue has.  An expired get or put raises dask's own
``TimeoutError``, a deviation the suite reports, not something the adapter
translates.  There is no JoinableQueue, SimpleQueue or Pipe.

The suite's workers and peers run as dask tasks on the cluster's worker
(:class:`DaskWorkers`, a launcher of its own), and a queue reaches them by
name: each task reopens ``distributed.Queue(name)`` with the worker's
client.  Every call is a round trip through the scheduler, which is the one
place the queue lives, so each takes effect between its call and its
return: the queue is declared exact.
"""

import threading
import uuid
from typing import Optional

from conformance.adapter import Adapter, Consistency, Mode
from conformance.harness.handoff import Reopen
from conformance.harness.launchers import Launcher, Worker
from conformance.primitives import Feature
from implementations._support import expectations, require, version

#: Tasks that may run at once on the worker: a crew's workers and a peer, with room to spare.
WORKER_THREADS = 8


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
                    processes=False, n_workers=1, threads_per_worker=WORKER_THREADS, dashboard_address=None
                )
                self.client = self._distributed.Client(self._cluster, set_as_default=False)
            return self.client

    def shutdown(self):
        with self._lock:
            if self.client is not None:
                self.client.close()
                self._cluster.close()
                self.client = self._cluster = None


def _export(queue) -> str:
    return queue.name


def _reopen(name: str):
    import distributed

    return distributed.Queue(name, client=distributed.get_client())


class _TaskWorker(Worker):
    """A dask task: it ends when its function returns; it cannot be killed (cancelling a running task does not
    stop it)."""

    def __init__(self, name: str, future):
        super().__init__(name)
        self.future = future

    def alive(self) -> bool:
        return not self.future.done()

    def join(self, timeout: float) -> bool:
        try:
            self.future.result(timeout=max(0.0, timeout))
        except Exception:  # a timeout, or the task's own failure: done() says which
            pass
        return self.future.done()

    @property
    def exitcode(self) -> Optional[int]:
        if not self.future.done():
            return None
        return 0 if self.future.status == "finished" else 1


class DaskWorkers(Launcher):
    """Runs each worker as a task on the cluster's worker, which reopens the queue by name."""

    mode = Mode.THREADS

    def __init__(self, cluster: _Cluster):
        self._cluster = cluster
        self.handoff = Reopen(_export, _reopen)

    def start(self, target, args, name) -> Worker:
        future = self._cluster.start().submit(target, *args, pure=False, key=f"{name}-{uuid.uuid4().hex}")
        return _TaskWorker(name, future)


def adapter() -> Adapter:
    distributed = require("distributed", "distributed")
    cluster = _Cluster(distributed)

    def queue(maxsize=0):
        return distributed.Queue(client=cluster.start(), maxsize=maxsize)

    return Adapter(
        name="dask-queue",
        implementation="distributed.Queue",
        version=version("distributed"),
        queue=queue,
        lacks={
            Feature.QUEUE_BLOCK: "put() and get() take timeout= but no block argument",
            Feature.QUEUE_NOWAIT: "there is no put_nowait() or get_nowait()",
            Feature.QUEUE_EMPTY_FULL: "there is no empty() or full()",
            Feature.QUEUE_FEEDER: "there is no feeder thread: no join_thread() or cancel_join_thread()",
        },
        launcher=DaskWorkers(cluster),
        consistency=Consistency.EXACT,
        expectations=expectations("dask-queue"),
        shutdown=cluster.shutdown,
    )
