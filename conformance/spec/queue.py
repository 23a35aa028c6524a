"""multiprocessing.Queue: FIFO, capacity, blocking and timeouts, queries, close and flush.

``Dmp`` is the multiprocessing documentation, section "Pipes and Queues"
unless another section is named; ``Dq`` is the ``queue`` module's documentation.
"""

from conformance.adapter import Consistency, Mode, Trait
from conformance.primitives import Feature, Primitive
from conformance.spec.clause import AnyOf, Clause, Strength

REQ, IMPL, UNREL = Strength.REQUIRED, Strength.IMPLEMENTATION_DEFINED, Strength.UNRELIABLE

TITLE = "Queue"

#: The non-blocking calls: put(obj, False) / get(False), or put_nowait() / get_nowait().  An implementation
#: with neither has no non-blocking form to judge; their absence is graded by QUEUE-API-1.
NON_BLOCKING = AnyOf(Feature.QUEUE_BLOCK, Feature.QUEUE_NOWAIT)

CLAUSES = (
    Clause(
        "QUEUE-API-1",
        "A Queue offers put(obj[, block[, timeout]]), get([block[, timeout]]), put_nowait(obj), get_nowait(), "
        "empty(), full(), qsize() (which may raise NotImplementedError), close(), join_thread() and "
        "cancel_join_thread().",
        "Dmp 'Pipes and Queues', class multiprocessing.Queue: the methods listed, 'Queue implements all the "
        "methods of queue.Queue except for task_done() and join()' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
        excludes=(Trait.PROXY,),
    ),
    Clause(
        "QUEUE-FIFO-1",
        "Items put by one process come out of the queue in the order that process put them "
        "(a multi-producer, multi-consumer FIFO queue; order between producers is not promised).",
        "Dmp 'Pipes and Queues': 'multi-producer, multi-consumer FIFO queues'; note: 'objects enqueued by the "
        "same process will always be in the expected order with respect to each other' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-FIFO-2",
        "A queue whose puts are published synchronously (declared exact consistency) is FIFO across "
        "producers too: an item whose put returned before another put began comes out first.",
        "queue.Queue semantics (Dq 'Queue Objects') for queues without a feeder thread; the stdlib Queue is "
        "exempt: Dmp 'Pipes and Queues' orders only 'objects enqueued by the same process'",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EXACT,
    ),
    Clause(
        "QUEUE-DELIVERY-1",
        "Every item put is got exactly once, equal to what was put: nothing is lost, duplicated or invented.",
        "Dmp 'Pipes and Queues' (a process shared queue; put/get 'Put obj into the queue' / "
        "'Remove and return an item from the queue') (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-MAXSIZE-1",
        "put(obj, block=False) and put_nowait(obj) raise queue.Full when the queue holds maxsize items.",
        "Dmp Queue.put: 'If block is False, put an item on the queue if a free slot is immediately "
        "available, else raise the queue.Full exception' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, NON_BLOCKING),
    ),
    Clause(
        "QUEUE-MAXSIZE-2",
        "While the queue holds fewer than maxsize items, put(obj, block=False) succeeds: a slot is free "
        "as soon as a get has returned.",
        "Dmp Queue.put ('if a free slot is immediately available'); CPython 3.11 queues.py: get releases the "
        "bounded semaphore before returning",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-MAXSIZE-3",
        "A maxsize of zero or less, or no maxsize, makes the queue unbounded: put never raises Full "
        "(CPython caps it at SEM_VALUE_MAX, far above anything the suite puts).",
        "Dq 'If maxsize is less than or equal to zero, the queue size is infinite'; CPython 3.11 queues.py "
        "Queue.__init__ (maxsize <= 0 becomes SEM_VALUE_MAX)",
        IMPL,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-PUT-1",
        "put(obj) with block=True and no timeout on a full queue blocks until another process frees a slot, "
        "then returns.",
        "Dmp Queue.put: 'If the optional argument block is True (the default) and timeout is None (the "
        "default), block if necessary until a free slot is available' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-PUT-2",
        "put(obj, True, timeout) with a positive timeout on a full queue blocks about timeout seconds, "
        "then raises queue.Full.",
        "Dmp Queue.put: 'If timeout is a positive number, it blocks at most timeout seconds and raises the "
        "queue.Full exception if no free slot was available within that time' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-PUT-3",
        "put(obj, block=False, timeout) answers at once: the timeout is ignored.",
        "Dmp Queue.put: 'timeout is ignored in that case' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_BLOCK),
    ),
    Clause(
        "QUEUE-GET-1",
        "get() with block=True and no timeout on an empty queue blocks until another process puts an item, "
        "then returns it.",
        "Dmp Queue.get: 'If optional args block is True (the default) and timeout is None (the default), "
        "block if necessary until an item is available' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-GET-2",
        "get(True, timeout) with a positive timeout on an empty queue blocks about timeout seconds, "
        "then raises queue.Empty.",
        "Dmp Queue.get: 'If timeout is a positive number, it blocks at most timeout seconds and raises the "
        "queue.Empty exception if no item was available within that time' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-GET-3",
        "get(block=False) and get_nowait() raise queue.Empty at once when no item is available; with "
        "block=False a timeout is ignored.",
        "Dmp Queue.get: 'Otherwise (block is False), return an item if one is immediately available, else "
        "raise the queue.Empty exception (timeout is ignored in that case)'; get_nowait 'Equivalent to "
        "get(False)' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, NON_BLOCKING),
    ),
    Clause(
        "QUEUE-TIMEOUT-1",
        "A zero or negative timeout acts as no wait: put raises queue.Full at once on a full queue and get "
        "raises queue.Empty at once on an empty one (queue.Queue instead raises ValueError for negative "
        "timeouts).",
        "CPython 3.11 queues.py Queue.put/get (semaphore and poll treat timeout <= 0 as zero); observed "
        "on CPython 3.8-3.13; Dmp says only 'if timeout is a positive number'",
        IMPL,
        needs=(Primitive.QUEUE, Feature.QUEUE_BLOCK),
    ),
    Clause(
        "QUEUE-VISIBLE-1",
        "An item accepted by put becomes visible to empty() and get_nowait(), in every process, after at most "
        "a short delay (the suite allows VISIBILITY_DEADLINE); right after put returns it may still be "
        "invisible.",
        "Dmp note: 'After putting an object on an empty queue there may be an infinitesimal delay before the "
        "queue's empty() method returns False and get_nowait() can return without raising queue.Empty' "
        "(3.8-3.14)",
        UNREL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "QUEUE-VISIBLE-2",
        "A queue declared exact publishes synchronously: once put returns, get_nowait() succeeds and "
        "empty(), full() and qsize() answer exactly.",
        "queue.Queue semantics (Dq 'Queue Objects') for queues without a feeder thread, as the SyncManager "
        "proxy (Dmp 'Managers'); the adapter's declared consistency",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EXACT,
    ),
    Clause(
        "QUEUE-QSIZE-1",
        "qsize() returns the approximate number of items: with no operation in flight it settles on the "
        "number of items held.",
        "Dmp Queue.qsize: 'Return the approximate size of the queue. Because of multithreading/"
        "multiprocessing semantics, this number is not reliable' (3.8-3.14)",
        UNREL,
        needs=(Primitive.QUEUE, Feature.QUEUE_QSIZE),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "QUEUE-EMPTY-1",
        "empty() returns True if the queue is empty and False otherwise; the answer may lag, and with no "
        "operation in flight it settles on the truth.",
        "Dmp Queue.empty: 'Return True if the queue is empty, False otherwise. Because of multithreading/"
        "multiprocessing semantics, this is not reliable' (3.8-3.14)",
        UNREL,
        needs=(Primitive.QUEUE, Feature.QUEUE_EMPTY_FULL),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "QUEUE-FULL-1",
        "full() returns True if the queue is full and False otherwise; the answer may lag, and with no "
        "operation in flight it settles on the truth.",
        "Dmp Queue.full: 'Return True if the queue is full, False otherwise. Because of multithreading/"
        "multiprocessing semantics, this is not reliable' (3.8-3.14)",
        UNREL,
        needs=(Primitive.QUEUE, Feature.QUEUE_EMPTY_FULL),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "QUEUE-CLOSE-1",
        "After close(), put() and put_nowait() in the same process raise ValueError.",
        "Dmp Queue.put/put_nowait: 'Changed in version 3.8: If the queue is closed, ValueError is raised "
        "instead of AssertionError' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE),
    ),
    Clause(
        "QUEUE-CLOSE-2",
        "After close(), get() and get_nowait() in the same process raise ValueError at once, without blocking.",
        "Dmp Queue.get: 'Changed in version 3.8: If the queue is closed, ValueError is raised instead of "
        "OSError' (3.8-3.14); CPython 3.11 queues.py checks _closed before waiting",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE),
    ),
    Clause(
        "QUEUE-CLOSE-3",
        "close() affects only the calling process: other processes sharing the queue go on putting and getting.",
        "Dmp Queue.close: 'Indicate that no more data will be put on this queue by the current process' "
        "(3.8-3.13); CPython 3.11 queues.py (_closed is per-process state)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE, Mode.PROCESSES),
    ),
    Clause(
        "QUEUE-CLOSE-4",
        "close() may be called more than once.",
        "CPython 3.11 queues.py Queue.close (idempotent); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE),
    ),
    Clause(
        "QUEUE-CLOSE-5",
        "empty() on a closed queue returns a bool or raises OSError; nothing else.",
        "Dmp Queue.empty: 'May raise an OSError on closed queues. (not guaranteed)' (3.12 maintenance "
        "releases, 3.13+, gh-120012)",
        UNREL,
        since=(3, 12),
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE, Feature.QUEUE_EMPTY_FULL),
    ),
    Clause(
        "QUEUE-FLUSH-1",
        "After close() and join_thread() return, every item the process put is in the pipe: another process "
        "can get all of them, and join_thread() returns as long as a reader drains what does not fit in "
        "the pipe.",
        "Dmp Queue.close: 'The background thread will quit once it has flushed all buffered data to the "
        "pipe'; Queue.join_thread: 'Join the background thread ... This makes sure that all data in the "
        "buffer has been flushed to the pipe' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE, Feature.QUEUE_FEEDER),
    ),
    Clause(
        "QUEUE-FLUSH-2",
        "A process that exits normally first flushes what it put: every item it put is delivered "
        "(unless it called cancel_join_thread()).",
        "Dmp 'Joining processes that use queues': 'if a child process has put items on a queue (and it has "
        "not used JoinableQueue.cancel_join_thread), then that process will not terminate until all buffered "
        "items have been flushed to the pipe' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Mode.PROCESSES),
    ),
    Clause(
        "QUEUE-FLUSH-3",
        "A process that put items its queue still buffers does not terminate until they are flushed to the "
        "pipe: with more than the pipe holds and no reader, it stays alive until another process gets them.",
        "Dmp 'Joining processes that use queues': 'that process will not terminate until all buffered items "
        "have been flushed to the pipe' and the deadlock it warns of (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Mode.PROCESSES),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "QUEUE-CANCEL-1",
        "After cancel_join_thread(), join_thread() returns at once, even with buffered data no process reads.",
        "Dmp Queue.cancel_join_thread: 'Prevent join_thread() from blocking. In particular, this prevents the "
        "background thread from being joined automatically when the process exits' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE, Feature.QUEUE_FEEDER),
    ),
    Clause(
        "QUEUE-CANCEL-2",
        "After cancel_join_thread(), a process whose buffered data no process reads still exits without "
        "waiting for it.",
        "Dmp Queue.cancel_join_thread ('this prevents the background thread from being joined automatically "
        "when the process exits') (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_FEEDER, Mode.PROCESSES),
    ),
    Clause(
        "QUEUE-JOINTHREAD-1",
        "join_thread() can only be used after close(); CPython enforces it with an assert (AssertionError, "
        "absent under python -O).",
        "Dmp Queue.join_thread: 'This can only be used after close() has been called'; CPython 3.11 "
        "queues.py join_thread (assert self._closed)",
        IMPL,
        needs=(Primitive.QUEUE, Feature.QUEUE_CLOSE, Feature.QUEUE_FEEDER),
    ),
    Clause(
        "QUEUE-FEEDER-1",
        "put() returns before the object is pickled; an object that cannot be pickled is dropped by the "
        "feeder thread (reported on stderr) without stopping it, and later items are still delivered.",
        "Dmp note: 'When an object is put on a queue, the object is pickled and a background thread later "
        "flushes the pickled data to an underlying pipe'; CPython 3.11 queues.py _feed "
        "(_on_queue_feeder_error, bpo-30414, bpo-33078)",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "QUEUE-LARGE-1",
        "Items larger than the OS pipe buffer (64 KiB) are delivered intact; put returns without waiting for a reader.",
        "Dmp note (the feeder thread flushes to the pipe, so put does not block on the pipe); "
        "CPython 3.11 queues.py Queue.put",
        IMPL,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "QUEUE-MUTATE-1",
        "Mutating an object after putting it may or may not change what the receiver gets (it is pickled "
        "later, by the feeder thread).",
        "Dmp note on pickling by the background thread; gh-109554 (closed, not a bug)",
        UNREL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EVENTUAL,
        untestable="either outcome conforms, so there is nothing to check",
    ),
    Clause(
        "QUEUE-KILL-1",
        "A process killed (terminate(), os.kill) while using a queue may corrupt it; other processes may "
        "then get exceptions or hang.",
        "Dmp 'Avoid terminating processes' and the warning under 'Pipes and Queues' (3.8-3.14)",
        UNREL,
        needs=(Primitive.QUEUE, Mode.PROCESSES),
        untestable="the docs allow any outcome after a kill, including a hang; the concurrency harness only "
        "checks that the suite itself does not hang",
    ),
    Clause(
        "QUEUE-QSIZE-2",
        "qsize() may raise NotImplementedError on platforms without sem_getvalue(), such as macOS.",
        "Dmp Queue.qsize: 'Note that this may raise NotImplementedError on platforms like macOS where "
        "sem_getvalue() is not implemented' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_QSIZE),
        untestable="platform-specific: an adapter without the qsize capability skips qsize checks instead",
    ),
)
