"""loky's queues under loky's own context (start method ``loky``: fork then exec).

``loky.backend.get_context("loky")`` gives loky's ``Process`` (the
harness's peers are loky processes) and loky's own ``Queue`` and
``SimpleQueue`` classes, which pickle with loky's reducers (cloudpickle).
The context's ``JoinableQueue`` and ``Pipe`` are the stdlib's, not loky's,
so the adapter does not offer them: a declared absence, not a finding.

loky's ``Popen`` has no ``close()``, so ``LokyProcess.close()`` raises
AttributeError (FINDINGS.md, loky_process_close).  The harness closes every
peer it reaps, and the context is the harness's plumbing, not the
implementation under test, so the adapter's context starts peers with a
``LokyProcess`` whose ``close()`` drops the ``Popen`` instead (loky closes
its sentinel when the ``Popen`` is collected).
"""

import sys

from conformance.adapter import Adapter, Capability, Consistency
from implementations._support import expectations, require, version


def _context(backend):
    """loky's context, with a ``Process`` whose ``close()`` works (see the module docstring)."""
    from loky.backend.context import LokyContext
    from loky.backend.process import LokyProcess

    class Process(LokyProcess):
        def close(self):
            if self._popen is not None and not hasattr(self._popen, "close"):
                self._popen.close = lambda: None  # loky finalizes the sentinel with the Popen
            super().close()

    class Context(LokyContext):
        pass

    Context.Process = Process
    return Context()


def adapter() -> Adapter:
    backend = require("loky.backend", "loky")
    context = _context(backend)
    capabilities = {Capability.QSIZE, Capability.TIMEOUTS, Capability.CLOSE, Capability.INHERITANCE}
    if sys.version_info >= (3, 9):
        capabilities.add(Capability.SIMPLE_QUEUE_CLOSE)
    return Adapter(
        name="loky",
        implementation="loky",
        version=version("loky"),
        start_method=context.get_start_method(),
        context=context,
        queue=context.Queue,
        simple_queue=context.SimpleQueue,
        capabilities=capabilities,
        consistency=Consistency.EVENTUAL,
        expectations=expectations("loky"),
    )
