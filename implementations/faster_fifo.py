"""faster-fifo: a queue in a shared-memory circular buffer, written in C++.

``faster_fifo.Queue(max_size_bytes=1 MB, maxsize=10**9)`` takes the byte
size of its buffer first, so the adapter passes the suite's ``maxsize`` by
keyword and nothing else: ``maxsize`` keeps faster-fifo's meaning (0 is a
queue that holds nothing, where the stdlib's 0 is unbounded), and a call
without arguments keeps faster-fifo's defaults.  ``put``/``get`` take
``block`` and ``timeout``, but the default timeout is 10 seconds, not
forever; ``qsize``, ``close``, ``join_thread`` and ``cancel_join_thread``
exist (the last two do nothing: there is no feeder thread).  Writes go to
shared memory before ``put`` returns, so the queue is declared exact.
There is no JoinableQueue, SimpleQueue or Pipe.  Peers are stdlib
processes under the default start method (faster-fifo has no context of
its own; its queue pickles for spawn).
"""

import multiprocessing

from conformance.adapter import Adapter, Capability, Consistency
from implementations._support import expectations, require, version


def adapter() -> Adapter:
    faster_fifo = require("faster_fifo", "faster-fifo")

    def queue(*maxsize):
        return faster_fifo.Queue(maxsize=maxsize[0]) if maxsize else faster_fifo.Queue()

    context = multiprocessing.get_context()
    return Adapter(
        name="faster-fifo",
        implementation="faster-fifo",
        version=version("faster-fifo"),
        start_method=context.get_start_method(),
        context=context,
        queue=queue,
        capabilities={Capability.QSIZE, Capability.TIMEOUTS, Capability.CLOSE, Capability.INHERITANCE},
        consistency=Consistency.EXACT,
        expectations=expectations("faster-fifo"),
    )
