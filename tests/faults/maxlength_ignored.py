"""A Connection whose ``recv_bytes(maxlength)`` ignores maxlength: violates PIPE-MAXLEN-1.

``recv_bytes(maxlength)`` returns the next message whatever its length,
instead of raising ``OSError`` when it is longer than ``maxlength``; a
negative ``maxlength`` is not refused either (PIPE-MAXLEN-4).
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class UnlimitedConnection(Connection):
    def recv_bytes(self, maxlength=None):
        return super().recv_bytes()


ADAPTER = fault_adapter(__name__, pipe=pipe_of(UnlimitedConnection))
