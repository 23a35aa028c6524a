"""A Connection that reports use after ``close()`` with ValueError, not OSError: violates PIPE-CLOSE-1.

CPython raises ``OSError("handle is closed")`` from every call on a closed
connection; this one raises ``ValueError`` (what a closed file raises).
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class FileLikeConnection(Connection):
    def _check_closed(self):
        if self._handle is None:
            raise ValueError("I/O operation on closed connection")


ADAPTER = fault_adapter(__name__, pipe=pipe_of(FileLikeConnection))
