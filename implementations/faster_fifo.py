"""faster-fifo: a queue in a shared-memory circular buffer, written in C++.

``faster_fifo.Queue(max_size_bytes=1 MB, maxsize=10**9)`` takes the byte
size of its buffer first, so the adapter passes the suite's ``maxsize`` by
keyword and nothing else: ``maxsize`` keeps faster-fifo's meaning (0 is a
queue that holds nothing, where the stdlib's 0 is unbounded), and a call
without arguments keeps faster-fifo's defaults.  ``put``/``get`` take
``block`` and ``timeout``, but the default timeout is 10 seconds, not
forever; ``qsize``, ``close``, ``join_thread`` and ``cancel_join_thread``
exist (the last two do nothing: there is no feeder thread).  Writes go to
shared memory before ``put`` returns, so the queue is declared exact.  The
buffer bounds what a queue holds, and so the largest item: declared as
limits, within which the suite runs every other check.  There is no
JoinableQueue, SimpleQueue or Pipe.  Workers are stdlib processes under
the default start method (faster-fifo has no context of its own; its
queue pickles for spawn).
"""

import multiprocessing

from conformance.adapter import Adapter, Consistency, Limits
from implementations._support import expectations, require, version

#: faster-fifo's default buffer: what one queue holds, in bytes, framing included.
BUFFER_BYTES = 1_000_000
#: Payload bytes that surely fit, with the pickle and the queue's own framing around them.
FITS = BUFFER_BYTES - 4096


def adapter() -> Adapter:
    faster_fifo = require("faster_fifo", "faster-fifo")

    def queue(*maxsize):
        return faster_fifo.Queue(maxsize=maxsize[0]) if maxsize else faster_fifo.Queue()

    return Adapter(
        name="faster-fifo",
        implementation="faster-fifo",
        version=version("faster-fifo"),
        context=multiprocessing.get_context(),
        queue=queue,
        limits=Limits(item_bytes=FITS, held_bytes=FITS),
        consistency=Consistency.EXACT,
        expectations=expectations("faster-fifo"),
    )
