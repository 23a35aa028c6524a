"""A Connection whose ``send_bytes(buf, offset, size)`` drops the offset: violates PIPE-BYTES-4.

With both ``offset`` and ``size`` given, ``send_bytes`` sends
``buf[:size]`` instead of ``buf[offset:offset + size]``: the right length,
the wrong bytes.  With ``offset`` alone it is the stdlib's, and so is
the refusal of out-of-range arguments.
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class OffsetDroppingConnection(Connection):
    def send_bytes(self, buf, offset=0, size=None):
        n = memoryview(buf).nbytes
        if size is None or offset < 0 or offset > n or size < 0 or offset + size > n:
            return super().send_bytes(buf, offset, size)  # as the stdlib: refused, or offset alone
        return super().send_bytes(buf, 0, size)


ADAPTER = fault_adapter(__name__, pipe=pipe_of(OffsetDroppingConnection))
