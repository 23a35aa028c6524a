"""A Queue whose ``get`` holds the GIL for ever: the test process stops dead (the watchdog's case).

``get`` calls the C library's ``sleep`` through ``ctypes.PyDLL``, which,
unlike ``ctypes.CDLL``, keeps the GIL during the call, in a loop: no other
thread of the test process runs again, so the harness's deadline (a helper
thread waiting for the call) can never fire.  Only a watchdog outside the
process can turn this into a failure: ``tests/test_watchdog.py`` checks
that the run reports it as a failure of the running test, naming ``get``,
with every thread's traceback, and goes on with the next test.

If ``IPC_FAULT_HANG_STAMP`` names a file, the wall-clock time the hang
began is written there first, so a test can measure how long the watchdog
took.
"""

import ctypes
import os
import time

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter

STAMP_ENV = "IPC_FAULT_HANG_STAMP"


def hold_the_gil_for_ever() -> None:
    stamp = os.environ.get(STAMP_ENV)
    if stamp:
        with open(stamp, "w", encoding="utf-8") as handle:
            handle.write(repr(time.time()))
    libc = ctypes.PyDLL(None)
    while True:  # a signal ends one sleep(): start another, still holding the GIL
        libc.sleep(10**6)


class GilHoldingQueue(ForkQueue):
    def get(self, block=True, timeout=None):
        hold_the_gil_for_ever()


ADAPTER = fault_adapter(__name__, queue=GilHoldingQueue)
