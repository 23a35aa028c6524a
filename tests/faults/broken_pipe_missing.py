"""A Connection whose sends to a closed other end succeed silently: violates PIPE-EOF-4.

"Best-effort" sending: ``_send`` swallows ``BrokenPipeError``, so
``send()``/``send_bytes()`` return normally after the other end has closed
and the message is thrown away, instead of raising ``BrokenPipeError``.
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class BestEffortConnection(Connection):
    def _send(self, buf, *args):
        try:
            super()._send(buf, *args)
        except BrokenPipeError:
            pass


ADAPTER = fault_adapter(__name__, pipe=pipe_of(BestEffortConnection))
