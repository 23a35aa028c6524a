"""A Connection whose ``poll()`` tests for writability: violates PIPE-POLL-6 / PIPE-POLL-2.

``poll`` waits for the descriptor to be ready for *writing* (``select``'s
second list) instead of reading.  A socket end of a duplex pipe is nearly
always writable, so ``poll()`` says True with nothing to receive; the read
end of a one-way pipe is never writable, so ``poll()`` says False with a
message waiting, and ``poll(timeout)`` waits out its whole timeout; nor
does it say True once the other end has closed (PIPE-EOF-3).
"""

import select
from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class WritablePoll(Connection):
    def _poll(self, timeout):
        return bool(select.select([], [self._handle], [], timeout)[1])


ADAPTER = fault_adapter(__name__, pipe=pipe_of(WritablePoll))
