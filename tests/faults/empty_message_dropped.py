"""A Connection that does not send zero-length messages: violates PIPE-BYTES-2 (and PIPE-FIFO-1, PIPE-EOF-4).

"Nothing to send": ``send_bytes(b'')`` returns without writing anything,
so the other end never sees the empty message (``poll()`` stays False and
the next receive gets the message after it: the message is lost,
PIPE-FIFO-1).  Writing nothing, it also
cannot notice a closed other end: ``send_bytes(b'')`` there returns
instead of raising ``BrokenPipeError`` (PIPE-EOF-4).
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class SkipsEmptyMessages(Connection):
    def _send_bytes(self, buf):
        if len(buf):
            super()._send_bytes(buf)


ADAPTER = fault_adapter(__name__, pipe=pipe_of(SkipsEmptyMessages))
