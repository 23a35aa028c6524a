"""quick-queue: ``multiprocessing.Queue`` subclasses that batch items into lists ("buckets").

``QQueue(maxsize=1000)`` and ``QJoinableQueue(maxsize=1000)`` keep what is
put in a per-process list and send it as one item when the list grows past
its bucket size; the documentation asks producers to call ``end()`` or
``put_remain()`` to send the rest.  The adapter calls neither: a drop-in
replacement is used through the ``multiprocessing.Queue`` API, and what
that usage loses is the finding.  ``maxsize`` counts buckets, and the
default is 1000 buckets, where the stdlib's is unbounded; both are passed
through unchanged.  The queues inherit ``qsize``, ``close``,
``join_thread``, ``task_done``/``join`` and the feeder thread from the
stdlib (consistency eventual); workers are processes of the default
context.
"""

import multiprocessing

from conformance.adapter import Adapter, Consistency
from implementations._support import expectations, require, version


def adapter() -> Adapter:
    quick_queue = require("quick_queue", "quick-queue")
    return Adapter(
        name="quick-queue",
        implementation="quick-queue",
        version=version("quick-queue"),
        context=multiprocessing.get_context(),
        queue=quick_queue.QQueue,
        joinable_queue=quick_queue.QJoinableQueue,
        consistency=Consistency.EVENTUAL,
        expectations=expectations("quick-queue"),
    )
