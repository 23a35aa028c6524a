"""Concurrent use: several processes putting and getting at once, flush points, checked from histories.

The clauses here cover what the per-primitive sections do not already say;
the concurrency checker (:mod:`conformance.checkers`) also enforces
QUEUE-FIFO-1/2, QUEUE-DELIVERY-1, QUEUE-MAXSIZE-1/2, QUEUE-FLUSH-1/2,
QUEUE-VISIBLE-2, SHARE-SAFE-2, SQ-SHARED-1 and SQ-EMPTY-1 on recorded
histories.  ``Dmp`` is the multiprocessing documentation, section "Pipes and
Queues" unless another section is named.
"""

from conformance.adapter import Consistency, Mode
from conformance.primitives import Feature, Primitive
from conformance.spec.clause import Clause, Strength

REQ, IMPL, UNREL = Strength.REQUIRED, Strength.IMPLEMENTATION_DEFINED, Strength.UNRELIABLE

TITLE = "Concurrent use"

CLAUSES = (
    Clause(
        "CONC-SAFE-1",
        "Operations made by several processes at once on one queue each return as documented: an item put or "
        "got intact, queue.Full or queue.Empty where the call may raise them, never another exception, "
        "never a call that does not return (a timed call returns within its timeout; put and get with a "
        "free slot or an available item return).",
        "Dmp 'Pipes and Queues': 'Queues are thread and process safe'; 'multi-producer, multi-consumer FIFO "
        "queues' (3.8-3.14)",
        REQ,
    ),
    Clause(
        "CONC-CONSUMERS-1",
        "When several processes get from one queue at once, each item is got by exactly one of them: no item "
        "is got twice, whether by two consumers or by one.",
        "Dmp 'Pipes and Queues': 'multi-producer, multi-consumer FIFO queues', 'Queues are thread and process "
        "safe' (3.8-3.14); CPython 3.11 queues.py Queue.get (reads under _rlock)",
        REQ,
    ),
    Clause(
        "CONC-ORDER-1",
        "Each producer's order holds across consumers too: if one get returns an item before another get "
        "(in any process) begins, the second never returns an item the same producer put earlier.",
        "Dmp note: 'objects enqueued by the same process will always be in the expected order with respect "
        "to each other'; a FIFO queue's gets are ordered by when they take effect (3.8-3.14)",
        REQ,
    ),
    Clause(
        "CONC-COUNT-1",
        "qsize() and full() answer with a count that was true at some instant during the call: qsize() lies "
        "between the items whose put had returned minus the gets begun, and the puts begun minus the gets "
        "returned; full() is True only if the queue could have held maxsize items, False only if it could "
        "have held fewer.",
        "CPython 3.11 queues.py: put acquires the bounded semaphore before returning and get releases it "
        "before returning, so qsize() (sem_getvalue) and full() count accepted items exactly; "
        "Dmp calls both 'not reliable', which bounds the answer, it does not free it",
        IMPL,
    ),
    Clause(
        "CONC-EMPTY-1",
        "get_nowait(), get(block=False), get(True, timeout) and empty() report an empty queue only if it could "
        "have been empty: items flushed before the call (close() and join_thread() returned, or the producer "
        "exited) and not taken by gets begun before it returned are available.  While another get is in "
        "flight the non-blocking forms may raise queue.Empty anyway (CPython: the read lock is busy).",
        "Dmp Queue.join_thread ('all data in the buffer has been flushed to the pipe'), 'Joining processes that "
        "use queues'; CPython 3.11 queues.py Queue.get (_rlock.acquire(False) raises Empty; "
        "gh-87302)",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EVENTUAL,
    ),
    Clause(
        "CONC-LEVEL-1",
        "A queue of exact consistency (SimpleQueue, the SyncManager proxy, or an adapter that declares it) is "
        "linearizable: empty, full, Empty and Full are exact at every instant, and an item whose put "
        "returned before another put began comes out first, across processes.",
        "CPython 3.11 queues.py SimpleQueue.put (a synchronous write); Dmp 'Managers' (every proxy call is a "
        "round trip to the manager's server process); the adapter's declared consistency",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EXACT,
    ),
    Clause(
        "CONC-CANCEL-1",
        "Items put by a process that called cancel_join_thread() and then exited may be lost; any that arrive "
        "arrive once, intact and in that producer's order.",
        "Dmp Queue.cancel_join_thread: 'is likely to cause enqueued data to be lost' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Feature.QUEUE_FEEDER, Mode.PROCESSES),
    ),
    Clause(
        "CONC-HYGIENE-1",
        "A scenario leaves nothing behind: every process the implementation or the harness started has "
        "exited, and no file descriptor stays open once the primitives are closed and released.",
        "Dmp 'Programming guidelines': 'Joining zombie processes', 'Explicitly pass resources to child "
        "processes'; Queue.close ('release internal resources', 3.14 wording)",
        REQ,
    ),
    Clause(
        "CONC-PIPE-1",
        "Two processes using the two ends of one pipe at once, one process per end, exchange messages as "
        "PIPE-FIFO-1 and PIPE-DIRECTION-1 say for each direction, while the other direction carries its own "
        "traffic: every message sent is received whole, once and in order by the other end; sends and "
        "receives return (a send may wait for room only while the other end reads) and raise nothing but "
        "EOFError and BrokenPipeError where CONC-PIPE-2 and CONC-PIPE-3 allow them.",
        "Dmp 'Exchanging objects between processes', Pipes: 'there is no risk of corruption from processes "
        "using different ends of the pipe at the same time' (3.8-3.14)",
        REQ,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "CONC-PIPE-2",
        "When several processes hold an end of a pipe, a receive at the other end raises EOFError only once "
        "every one of them has closed it (explicitly or by exiting) and every message sent has been "
        "received; once that has happened, a receive raises EOFError instead of waiting.",
        "Dmp Connection.recv: 'Raises EOFError if there is nothing left to receive and the other end was "
        "closed' (an end still open in some process is not closed; POSIX read(2) returns end of file once "
        "every descriptor of the write end is closed) (3.8-3.14)",
        REQ,
        needs=(Primitive.PIPE, Mode.PROCESSES),
    ),
    Clause(
        "CONC-PIPE-3",
        "When several processes hold an end of a pipe, a send at the other end raises BrokenPipeError only "
        "once every one of them has closed it, and every send begun after that raises it (POSIX).",
        "CPython 3.11 connection.py Connection._send (EPIPE from write once no reader is left, SIGPIPE "
        "ignored); POSIX write(2); observed 3.8-3.13 on Linux; the docs are silent (PIPE-EOF-4)",
        IMPL,
        needs=(Primitive.PIPE, Mode.PROCESSES),
    ),
)
