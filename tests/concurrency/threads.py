"""What the thread-mode race faults share: a ``queue.Queue`` subclass driven by worker threads.

Each fault module subclasses :class:`queue.Queue`, breaks one thing about
its locking, and exports ``ADAPTER``: the ``threading-queue`` reference
(``implementations.threading_queues``) with its queue replaced.  The suite's
workers are threads of the test process sharing the one queue
(:class:`~conformance.harness.launchers.Threads`).

The broken section releases the GIL in the middle (``time.sleep(0)``, as a
real implementation does when it logs, allocates a C buffer or takes
another lock there), so another thread can run in it: the fault is the
missing atomicity, not the pause.
"""

import platform

from conformance.adapter import Adapter, Consistency
from conformance.harness.launchers import Threads
from implementations.threading_queues import _NO_CLOSE


def adapter(module: str, queue_class) -> Adapter:
    return Adapter(
        name="fault-" + module.rsplit(".", 1)[-1].replace("_", "-"),
        implementation=module,
        version=platform.python_version(),
        queue=queue_class,
        lacks=_NO_CLOSE,
        launcher=Threads(),
        consistency=Consistency.EXACT,
    )
