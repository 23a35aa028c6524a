"""Concurrent use: several processes putting and getting at once, flush points, checked from histories.

The clauses here cover what the per-primitive sections do not already say;
the concurrency checker (:mod:`conformance.checkers`) also enforces
QUEUE-FIFO-1/2, QUEUE-DELIVERY-1, QUEUE-MAXSIZE-1/2, QUEUE-FLUSH-1/2,
QUEUE-VISIBLE-2, SHARE-SAFE-2, SQ-SHARED-1 and SQ-LINEAR-1 on recorded
histories.  CONC-LEVEL-1 and CONC-LEVEL-2 name the condition a history is
judged by at each consistency level.  ``Dmp`` is the multiprocessing
documentation, section "Pipes and Queues" unless another section is named.
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
        "A Queue of exact consistency (the SyncManager proxy, queue.Queue between threads, or an adapter that "
        "declares it) is linearizable: in every history, each call takes effect at one instant between its call "
        "and its return, and the calls taken in the order of those instants are a run of the sequential queue "
        "giving the results they gave: put appends its item (raising Full only while maxsize items are held), "
        "get takes the oldest item (raising Empty only while none is), qsize(), empty() and full() answer for "
        "that instant, task_done() and join() count unfinished items; a put or get that raised Full or Empty "
        "after waiting for its timeout found the queue full or empty once the timeout had elapsed.",
        "Dmp 'Pipes and Queues' note on the feeder thread ('if they really bother you then you can instead use "
        "a queue created with a manager'); Dmp 'Managers' (each proxy call is a round trip to the manager process, "
        "which calls the queue.Queue it holds); CPython 3.11 Lib/queue.py (every method of queue.Queue runs "
        "under one mutex; a timed get/put raises Empty/Full once its monotonic deadline has passed, having "
        "looked at the items under the mutex); the adapter's declared consistency; linearizability as in "
        "Herlihy and Wing, 'Linearizability: a correctness condition for concurrent objects', ACM TOPLAS 12(3), "
        "1990",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EXACT,
    ),
    Clause(
        "CONC-LEVEL-2",
        "A Queue of eventual consistency (a feeder thread publishes each put after it returns, as the stdlib "
        "Queue's does) is held to a weaker condition than linearizability, the conjunction of: every item got "
        "was offered by a put begun before the get returned, and is got once (QUEUE-DELIVERY-1, "
        "CONC-CONSUMERS-1); every accepted item is got by the end, unless its producer called "
        "cancel_join_thread() (QUEUE-FLUSH-1, QUEUE-FLUSH-2, CONC-CANCEL-1); items of one producer come out in "
        "its order (QUEUE-FIFO-1, CONC-ORDER-1), items of different producers in any order; qsize(), full() "
        "and Full answer with a count of accepted items possible during the call (CONC-COUNT-1); empty() and "
        "Empty may report an empty queue until the items are flushed (CONC-EMPTY-1).",
        "Dmp 'Pipes and Queues' note: 'After putting an object on an empty queue there may be an infinitesimal "
        "delay before the queue's empty() method returns False and get_nowait() can return without raising "
        "queue.Empty', 'If multiple processes are enqueuing objects, it is possible for the objects to be "
        "received at the other end out-of-order. However, objects enqueued by the same process will always be "
        "in the expected order with respect to each other' (3.8-3.14); CPython 3.11 queues.py (the feeder "
        "thread, Queue._feed)",
        IMPL,
        needs=(Primitive.QUEUE,),
        level=Consistency.EVENTUAL,
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
