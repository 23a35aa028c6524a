"""A Connection that reports end of stream while messages are still unread: violates PIPE-EOF-1.

Before reading, each receive checks whether the other end has hung up
(``POLLHUP``) and, if so, raises ``EOFError`` at once, although the
messages the other end sent before closing are still waiting.  With the
other end open it is the stdlib's.
"""

import select
from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class HangUpFirst(Connection):
    def _recv_bytes(self, maxsize=None):
        poller = select.poll()
        poller.register(self._handle, select.POLLIN)
        if any(events & select.POLLHUP for _, events in poller.poll(0)):
            raise EOFError
        return super()._recv_bytes(maxsize)


ADAPTER = fault_adapter(__name__, pipe=pipe_of(HangUpFirst))
