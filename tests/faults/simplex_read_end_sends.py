"""A one-way Pipe whose receive-only end also sends: violates PIPE-SIMPLEX-2.

The docs say that with ``duplex=False`` the first end "can only be used
for receiving messages" (PIPE-SIMPLEX-1); the stdlib makes ``send`` on it
raise OSError (PIPE-SIMPLEX-2).  This pipe builds its one-way ends from a socket pair, as the stdlib does
for two-way ones, but forgets ``writable=False`` on the receiving end:
``send`` there succeeds, and the bytes go to the sending end, which cannot
read them.  The sending end is correct (it refuses ``recv``), and
``Pipe(duplex=True)`` is the stdlib's.
"""

import socket
from multiprocessing.connection import Connection

from tests.faults import CONTEXT, fault_adapter


def pipe(duplex=True):
    if duplex:
        return CONTEXT.Pipe(True)
    receiving, sending = socket.socketpair()
    # The bug: the receiving end should be Connection(..., writable=False).
    return Connection(receiving.detach()), Connection(sending.detach(), readable=False)


ADAPTER = fault_adapter(__name__, pipe=pipe)
