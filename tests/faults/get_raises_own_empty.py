"""A Queue whose non-blocking and timed ``get`` raise an ``Empty`` class of the implementation's own.

The docs require ``queue.Empty`` when ``get(block=False)``, ``get_nowait()``
or ``get(timeout=t)`` finds no item.  Libraries that define their own
exceptions module sometimes raise a class of their own instead, one that
does not derive from ``queue.Empty``, so ``except queue.Empty`` in the
caller never catches it.  This queue does that: every ``get`` that would
raise ``queue.Empty`` raises :class:`OwnEmpty`.  Everything else (items,
order, capacity, blocking, timeouts, close) is the stdlib Queue.

Violates QUEUE-GET-3 (``get_nowait()``, ``get(False)``, ``get(False, t)``),
QUEUE-GET-2 (``get(True, timeout)``, ``get(timeout=t)``) and QUEUE-TIMEOUT-1
(``get(True, 0)``, ``get(True, -1)``).  ``tests/test_verdicts.py`` runs the
queue section on it to check that these known deviations hide no other
clause.
"""

import queue

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter

#: The clauses this fault violates (an expectations file listing them makes a gate run pass).
VIOLATES = ("QUEUE-GET-3", "QUEUE-GET-2", "QUEUE-TIMEOUT-1")


class OwnEmpty(Exception):
    """The implementation's own "queue is empty" exception: not a subclass of ``queue.Empty``."""


class QueueWithItsOwnEmpty(ForkQueue):
    def get(self, block=True, timeout=None):
        try:
            return super().get(block, timeout)
        except queue.Empty:
            raise OwnEmpty("get from an empty queue") from None


ADAPTER = fault_adapter(__name__, queue=QueueWithItsOwnEmpty)
