"""A Queue whose feeder thread stops at the first object it cannot pickle: violates QUEUE-FEEDER-1.

CPython's feeder reports the pickling error and goes on with the next
item.  Here the error hook re-raises, which ends the feeder thread: every
item put after an unpicklable one (in that process) is accepted by ``put``
and never delivered.
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWhoseFeederDies(ForkQueue):
    def _on_queue_feeder_error(self, e, obj):
        raise e


ADAPTER = fault_adapter(__name__, queue=QueueWhoseFeederDies)
