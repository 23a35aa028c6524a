"""billiard, Celery's fork of ``multiprocessing``, under the default start method.

billiard ships its own context (``billiard.get_context``) with its own
``Process``, ``Pipe`` and primitives, so the harness's peers are billiard
processes: its queues rely on billiard's after-fork hooks, which only
billiard's ``Process`` runs.  It claims everything the stdlib adapter does.

billiard's ``RawArray`` does not know the typecodes ``'q'``/``'Q'`` (its
table stops at ``'l'``/``'L'``; FINDINGS.md, billiard_rawarray_typecodes);
the harness passes ctypes types, so its context is used as it is.
"""

import sys

from conformance.adapter import Adapter, Capability, Consistency
from implementations._support import expectations, require, version

def adapter() -> Adapter:
    billiard = require("billiard", "billiard")
    method = billiard.get_start_method(allow_none=True) or billiard.get_all_start_methods()[0]
    context = billiard.get_context(method)
    capabilities = {Capability.QSIZE, Capability.TIMEOUTS, Capability.CLOSE, Capability.TASK_DONE, Capability.INHERITANCE}
    if sys.version_info >= (3, 9):
        capabilities.add(Capability.SIMPLE_QUEUE_CLOSE)
    return Adapter(
        name="billiard",
        implementation="billiard",
        version=version("billiard"),
        start_method=method,
        context=context,
        queue=context.Queue,
        joinable_queue=context.JoinableQueue,
        simple_queue=context.SimpleQueue,
        pipe=context.Pipe,
        capabilities=capabilities,
        consistency=Consistency.EVENTUAL,
        expectations=expectations("billiard"),
    )
