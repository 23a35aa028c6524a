"""A one-way Pipe whose receive-only end also sends: violates PIPE-SIMPLEX-2.

The docs say that with ``duplex=False`` the first end "can only be used
for receiving messages" (PIPE-SIMPLEX-1); the stdlib makes ``send`` on it
raise OSError (PIPE-SIMPLEX-2).  This pipe builds its one-way ends from a socket pair, as the stdlib does
for two-way ones, but forgets ``writable=False`` on the receiving end:
``send`` there succeeds, and the bytes go to the sending end, which cannot
read them.  The sending end is correct (it refuses ``recv``), and
``Pipe(duplex=True)`` is the stdlib's.
"""

import multiprocessing
import platform
import socket
from multiprocessing.connection import Connection

from conformance.adapter import Adapter
from implementations.stdlib import CAPABILITIES

CONTEXT = multiprocessing.get_context("fork")


def pipe(duplex=True):
    if duplex:
        return CONTEXT.Pipe(True)
    receiving, sending = socket.socketpair()
    # The bug: the receiving end should be Connection(..., writable=False).
    return Connection(receiving.detach()), Connection(sending.detach(), readable=False)


ADAPTER = Adapter(
    name="fault-simplex-read-end-sends",
    implementation="tests.faults.simplex_read_end_sends",
    version=platform.python_version(),
    start_method="fork",
    context=CONTEXT,
    pipe=pipe,
    capabilities=CAPABILITIES,
)
