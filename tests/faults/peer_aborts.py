"""A Queue whose ``get`` aborts the interpreter in any process but the one that made the queue.

A peer or crew worker (which inherits the queue under fork) that calls
``get`` dies by SIGABRT, and its interpreter prints a fatal-error report of
every thread.  The suite fails the test (a worker died during ``get``),
and ``tests/test_watchdog.py`` checks that the report is in the failure
text, and not in the progress output.
"""

import os

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter

_MAKER = os.getpid()


class AbortingQueue(ForkQueue):
    def get(self, block=True, timeout=None):
        if os.getpid() != _MAKER:
            os.abort()
        return super().get(block, timeout)


ADAPTER = fault_adapter(__name__, queue=AbortingQueue)
