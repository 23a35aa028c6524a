"""An adapter whose queue factory, the first time it is called, leaves a non-daemon child process running.

The plugin validates the adapter when pytest configures (it builds one of
each primitive), so the leak happens in every process that loads the
adapter: the pytest process, and each pytest-xdist worker.  A non-daemon
``multiprocessing`` child that never ends would make ``multiprocessing``'s
exit handler join it for ever, so the run would never exit.
``tests/test_watchdog.py`` checks that the run reaps it, says so, and
exits within seconds of its summary.
"""

import signal

from tests.concurrency._base import ForkQueue
from tests.faults import CONTEXT, fault_adapter

_leaked = []


def make_queue(maxsize=0):
    if not _leaked:
        child = CONTEXT.Process(target=signal.pause, name="leaked by the adapter's validation")
        child.start()  # not a daemon: the interpreter's exit waits for it
        _leaked.append(child)
    return ForkQueue(maxsize)


ADAPTER = fault_adapter(__name__, queue=make_queue)
