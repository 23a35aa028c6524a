"""A Connection that reports end of stream as ConnectionResetError: violates PIPE-EOF-1 / PIPE-EOF-2.

When the other end is closed and nothing is left to read, ``recv()``,
``recv_bytes()`` and ``recv_bytes_into()`` must raise ``EOFError``; this
one raises ``ConnectionResetError`` (an ``OSError``), so callers that stop
at ``EOFError`` crash instead.
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class ResetOnEof(Connection):
    def _recv(self, size, *args):
        try:
            return super()._recv(size, *args)
        except EOFError:
            raise ConnectionResetError("connection closed by the other end") from None


ADAPTER = fault_adapter(__name__, pipe=pipe_of(ResetOnEof))
