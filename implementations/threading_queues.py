"""Thread-only queues: ``queue.Queue`` and ``multiprocessing.dummy``.

Both are declared ``thread_only``: the context is ``multiprocessing.dummy``,
whose ``Process`` is a thread and whose ``Pipe`` is a pair of queue-backed
connections, so the harness's peers are threads of the test process.  A
queue handed to a thread is shared, not copied, which is what
``inheritance`` promises here.  ``put`` is visible when it returns
(consistency exact).  ``queue.Queue`` has no ``close``/``join_thread``
(``shutdown`` in 3.13 is another thing); its ``task_done``/``join`` make it
the joinable queue as well, and ``queue.SimpleQueue`` is the simple queue.

``multiprocessing.dummy`` offers ``Queue`` and ``JoinableQueue`` (both
``queue.Queue``) and ``Pipe``, whose connections have ``send``/``recv``/
``poll``/``close`` but no ``send_bytes``/``recv_bytes``/``recv_bytes_into``,
so its pipe is not offered (a declared absence), and it has no SimpleQueue.
"""

import multiprocessing.dummy
import platform
import queue

from conformance.adapter import Adapter, Capability, Consistency
from implementations._support import expectations

_CAPABILITIES = {Capability.QSIZE, Capability.TIMEOUTS, Capability.TASK_DONE, Capability.INHERITANCE, Capability.THREAD_ONLY}


def threading_queue() -> Adapter:
    return Adapter(
        name="threading-queue",
        implementation="queue.Queue",
        version=platform.python_version(),
        context=multiprocessing.dummy,
        queue=queue.Queue,
        joinable_queue=queue.Queue,
        simple_queue=queue.SimpleQueue,
        capabilities=_CAPABILITIES,
        consistency=Consistency.EXACT,
        expectations=expectations("threading-queue"),
    )


def dummy() -> Adapter:
    return Adapter(
        name="multiprocessing-dummy",
        implementation="multiprocessing.dummy",
        version=platform.python_version(),
        context=multiprocessing.dummy,
        queue=multiprocessing.dummy.Queue,
        joinable_queue=multiprocessing.dummy.JoinableQueue,
        capabilities=_CAPABILITIES,
        consistency=Consistency.EXACT,
        expectations=expectations("multiprocessing-dummy"),
    )
