"""A Connection that truncates messages to 64 KiB: violates PIPE-BYTES-3.

``send_bytes`` caps each message at 65536 bytes (one "chunk", the Linux
pipe buffer size) and drops the rest, so a message larger than the OS pipe
buffer arrives short, split from its tail (PIPE-BYTES-1), and a large
``send()`` arrives as a pickle that cannot be loaded (PIPE-OBJECT-1): the
receive raises and the object is lost (PIPE-FIFO-1).
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of

CHUNK = 65536


class TruncatingConnection(Connection):
    def _send_bytes(self, buf):
        super()._send_bytes(buf[:CHUNK])


ADAPTER = fault_adapter(__name__, pipe=pipe_of(TruncatingConnection))
