"""A Connection that tells the other end goodbye in-band: violates CONC-PIPE-2.

``close()`` first sends a goodbye frame, and a receive that reads one
raises ``EOFError``, as a socket protocol with a "bye" message would.
With one process per end that is the stdlib's behaviour; but every
process holding a copy of the end says goodbye when it closes its copy
(the test process that created the pipe, a worker dropping the end it
does not use), so the other end sees the end of file while another
process still holds the end open and may still send.
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of

GOODBYE = b"\x00ipc-conformance goodbye\x00"


class GoodbyeConnection(Connection):
    def close(self):
        if not self.closed and self.writable:
            try:
                self._send_bytes(GOODBYE)
            except OSError:  # the other end is gone already: nobody to tell
                pass
        super().close()

    def _recv_bytes(self, maxsize=None):
        frame = super()._recv_bytes(maxsize)
        if frame.getvalue() == GOODBYE:
            raise EOFError
        return frame


ADAPTER = fault_adapter(__name__, pipe=pipe_of(GoodbyeConnection))
