"""Thread-only queues: ``queue.Queue`` and ``multiprocessing.dummy``.

Both run their workers and peers as threads of the test process
(:class:`~conformance.harness.launchers.Threads`), which share the very
queue object.  ``put`` is visible when it returns (consistency exact).

``queue.Queue`` has no ``close``/``join_thread`` (``shutdown`` in 3.13 is
another thing); its ``task_done``/``join`` make it the joinable queue as
well, and ``queue.SimpleQueue``, which has no ``close()``, is the simple
queue.

``multiprocessing.dummy`` offers ``Queue`` and ``JoinableQueue`` (both
``queue.Queue``) and ``Pipe``, whose connections have ``send``/``recv``
(and ``send_bytes``/``recv_bytes`` as the same methods), ``poll`` and
``close``, but no ``recv_bytes_into``; it has no SimpleQueue.
"""

import multiprocessing.dummy
import platform
import queue

from conformance.adapter import Adapter, Consistency
from conformance.harness.launchers import Threads
from conformance.primitives import Feature
from implementations._support import expectations

_NO_CLOSE = {
    Feature.QUEUE_CLOSE: "queue.Queue has no close()",
    Feature.QUEUE_FEEDER: "queue.Queue has no feeder thread: no join_thread() or cancel_join_thread()",
}


def threading_queue() -> Adapter:
    return Adapter(
        name="threading-queue",
        implementation="queue.Queue",
        version=platform.python_version(),
        queue=queue.Queue,
        joinable_queue=queue.Queue,
        simple_queue=queue.SimpleQueue,
        lacks={**_NO_CLOSE, Feature.SIMPLE_QUEUE_CLOSE: "queue.SimpleQueue has no close()"},
        launcher=Threads(),
        consistency=Consistency.EXACT,
        expectations=expectations("threading-queue"),
    )


def dummy() -> Adapter:
    return Adapter(
        name="multiprocessing-dummy",
        implementation="multiprocessing.dummy",
        version=platform.python_version(),
        queue=multiprocessing.dummy.Queue,
        joinable_queue=multiprocessing.dummy.JoinableQueue,
        pipe=multiprocessing.dummy.Pipe,
        lacks={**_NO_CLOSE, Feature.PIPE_INTO: "multiprocessing.dummy connections have no recv_bytes_into()"},
        launcher=Threads(),
        consistency=Consistency.EXACT,
        expectations=expectations("multiprocessing-dummy"),
    )
