"""A Connection whose ``poll(timeout)`` takes the timeout as milliseconds: violates PIPE-POLL-2.

A units slip: ``poll`` hands ``timeout * 1000`` to the wait, so
``poll(0.05)`` on an end with nothing to receive waits 50 seconds instead
of about 0.05 (a message arriving still wakes it).
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class MillisecondPoll(Connection):
    def _poll(self, timeout):
        return super()._poll(timeout if timeout is None or timeout <= 0 else timeout * 1000)


ADAPTER = fault_adapter(__name__, pipe=pipe_of(MillisecondPoll))
