"""A Pipe whose connections' ``poll()`` always answers True: violates PIPE-POLL-6 (and PIPE-POLL-2).

``poll()`` must say whether there is data to receive; these ends say yes
with nothing sent, at once, whatever the timeout.  A harness that waited
for its workers with the implementation's ``poll`` would be fooled into a
``recv`` that blocks for ever; this suite's harness coordinates over its
own channels, so the lie is only graded: ``tests/test_watchdog.py``
checks that the suite names a PIPE-POLL clause within a minute.
"""

from multiprocessing.connection import Connection

from tests.faults import fault_adapter
from tests.faults._connections import pipe_of


class LyingPoll(Connection):
    def _poll(self, timeout):
        return True


ADAPTER = fault_adapter(__name__, pipe=pipe_of(LyingPoll))
