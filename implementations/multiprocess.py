"""multiprocess, the fork of ``multiprocessing`` that serialises with dill.

Its context (``multiprocess.get_context``) brings its own ``Process`` and
``Pipe``; the harness uses them, so peers are multiprocess processes.  It
claims everything the stdlib adapter does.
"""

import sys

from conformance.adapter import Adapter, Capability, Consistency
from implementations._support import expectations, require, version


def adapter() -> Adapter:
    multiprocess = require("multiprocess", "multiprocess")
    method = multiprocess.get_start_method(allow_none=True) or multiprocess.get_all_start_methods()[0]
    context = multiprocess.get_context(method)
    capabilities = {Capability.QSIZE, Capability.TIMEOUTS, Capability.CLOSE, Capability.TASK_DONE, Capability.INHERITANCE}
    if sys.version_info >= (3, 9):
        capabilities.add(Capability.SIMPLE_QUEUE_CLOSE)
    return Adapter(
        name="multiprocess",
        implementation="multiprocess",
        version=version("multiprocess"),
        start_method=method,
        context=context,
        queue=context.Queue,
        joinable_queue=context.JoinableQueue,
        simple_queue=context.SimpleQueue,
        pipe=context.Pipe,
        capabilities=capabilities,
        consistency=Consistency.EVENTUAL,
        expectations=expectations("multiprocess"),
    )
