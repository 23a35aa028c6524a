"""A duplex Pipe built on one OS pipe, so one direction is dead: violates PIPE-DUPLEX-2 / PIPE-DUPLEX-1.

``Pipe(duplex=True)`` should give two ends that each send and receive.
This factory builds it from ``os.pipe()`` (a one-way channel) and marks
both ends readable and writable: the first end cannot send (the
descriptor is read-only, so ``send`` raises ``OSError``) and the second
cannot receive: once the first end is closed, a receive on the second
raises ``OSError`` where ``EOFError`` is due (PIPE-EOF-1).
``Pipe(duplex=False)`` is the stdlib's.
"""

import os
from multiprocessing.connection import Connection

from tests.faults import CONTEXT, fault_adapter


def pipe(duplex=True):
    if not duplex:
        return CONTEXT.Pipe(False)
    read, write = os.pipe()
    return Connection(read), Connection(write)


ADAPTER = fault_adapter(__name__, pipe=pipe)
