"""An adapter whose queue factory, the first time it is called, starts a non-daemon thread that never ends.

The plugin validates the adapter when pytest configures, so every process
that loads the adapter (the pytest process, each pytest-xdist worker) has
the thread, and the interpreter's exit waits for it for ever.  Threads
cannot be reaped: ``tests/test_watchdog.py`` checks that the watchdog
kills the process a few seconds after the run's summary, and says why,
with the thread's traceback.
"""

import threading

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter

_never = threading.Event()
_started = []


def make_queue(maxsize=0):
    if not _started:
        thread = threading.Thread(target=_never.wait, name="left running by the adapter", daemon=False)
        thread.start()
        _started.append(thread)
    return ForkQueue(maxsize)


ADAPTER = fault_adapter(__name__, queue=make_queue)
