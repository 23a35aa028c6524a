"""What the seeded concurrency faults share: a stdlib Queue subclass under fork, wrapped in an adapter.

Each fault module subclasses :class:`multiprocessing.queues.Queue`,
changes one thing through the private hooks CPython's implementation has,
and exports ``ADAPTER``.  They run under fork only: the changes live in the
object each process inherits.
"""

from multiprocessing.queues import Queue

from conformance.adapter import Adapter
from tests.faults import CONTEXT, fault_adapter


class NoLock:
    """A lock that never excludes anyone (stands in for a queue's read or write lock)."""

    def acquire(self, block=True, timeout=None):
        return True

    def release(self):
        pass

    def __enter__(self):
        return True

    def __exit__(self, *exc_info):
        return False


class ForkQueue(Queue):
    """A stdlib Queue of the fork context, for subclassing."""

    def __init__(self, maxsize=0):
        super().__init__(maxsize, ctx=CONTEXT)


def adapter(module: str, queue_class) -> Adapter:
    return fault_adapter(module, queue=queue_class)
