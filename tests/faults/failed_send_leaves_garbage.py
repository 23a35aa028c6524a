"""A Connection that checks ``send_bytes`` arguments after sending: violates PIPE-BYTES-5.

``send_bytes(buf, offset, size)`` sends the slice first and validates
``offset``/``size`` afterwards.  An out-of-range call still raises
``ValueError``, but a message (whatever Python's slicing made of the
bad bounds) has already gone to the other end, which receives it as if
it had been sent.
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class ValidateAfterSend(Connection):
    def send_bytes(self, buf, offset=0, size=None):
        self._check_closed()
        self._check_writable()
        m = memoryview(buf).cast("B")
        self._send_bytes(m[offset:] if size is None else m[offset : offset + size])
        n = len(m)
        if offset < 0 or n < offset or (size is not None and (size < 0 or offset + size > n)):
            raise ValueError("bad offset or size")


ADAPTER = fault_adapter(__name__, pipe=pipe_of(ValidateAfterSend))
