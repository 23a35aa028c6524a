"""A Queue whose ``get`` crashes the interpreter with a segmentation fault (it reads address 0 through ctypes).

The test process dies at once, in the middle of a test.  Under
pytest-xdist the controller replaces the worker and the run goes on;
``tests/test_watchdog.py`` checks that the crashed test's failure carries
the process's fatal-error report (written by ``faulthandler`` to a file of
the worker's, not to the terminal) and that the tests after it run.
"""

import ctypes

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class SegfaultingQueue(ForkQueue):
    def get(self, block=True, timeout=None):
        return ctypes.string_at(0)


ADAPTER = fault_adapter(__name__, queue=SegfaultingQueue)
