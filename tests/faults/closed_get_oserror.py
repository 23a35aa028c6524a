"""A Queue whose ``get`` after ``close()`` raises OSError, not ValueError: violates QUEUE-CLOSE-2.

The docs: after ``close()``, ``get`` in the same process raises
``ValueError``.  This queue reports its closed reader the way a
``Connection`` does, with ``OSError("handle is closed")``.  ``put`` after
close still raises ValueError.
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWithConnectionErrors(ForkQueue):
    def get(self, block=True, timeout=None):
        if self._closed:
            raise OSError("handle is closed")
        return super().get(block, timeout)


ADAPTER = fault_adapter(__name__, queue=QueueWithConnectionErrors)
