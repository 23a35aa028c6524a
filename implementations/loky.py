"""loky's queues under loky's own context (start method ``loky``: fork then exec).

``loky.backend.get_context("loky")`` gives loky's ``Process`` (the suite's
workers and peers are loky processes), loky's own ``Queue`` and
``SimpleQueue`` classes, which pickle with loky's reducers (cloudpickle),
and the standard library's ``JoinableQueue`` and ``Pipe``, which loky's
context hands out as they are: the adapter offers all four, as a loky user
gets them.
"""

from conformance.adapter import Adapter, Consistency
from implementations._support import expectations, require, version


def adapter() -> Adapter:
    backend = require("loky.backend", "loky")
    context = backend.get_context("loky")
    return Adapter(
        name="loky",
        implementation="loky",
        version=version("loky"),
        context=context,
        queue=context.Queue,
        joinable_queue=context.JoinableQueue,
        simple_queue=context.SimpleQueue,
        pipe=context.Pipe,
        consistency=Consistency.EVENTUAL,
        expectations=expectations("loky"),
    )
