"""multiprocessing.SimpleQueue: a FIFO queue written synchronously, "very close to a locked Pipe".

``Dmp`` is the multiprocessing documentation, section "Pipes and Queues"
unless another section is named.

The docs document four methods (``close()`` from 3.9, ``empty()``,
``get()``, ``put(item)``; their presence is checked when the adapter is
loaded) and say little about them; most of what a drop-in replacement must
match (exact ``empty()``, pickling inside ``put``, errors after
``close()``) is CPython behaviour, marked implementation-defined.
"""

from conformance.primitives import Feature, Primitive
from conformance.spec.clause import Clause, Strength

REQ, IMPL = Strength.REQUIRED, Strength.IMPLEMENTATION_DEFINED

TITLE = "SimpleQueue"

CLAUSES = (
    Clause(
        "SQ-API-2",
        "A SimpleQueue offers put(item), get(), empty() and, from Python 3.9, close().",
        "Dmp 'Pipes and Queues', class multiprocessing.SimpleQueue: close() 'New in version 3.9', empty(), "
        "get(), put(item) (3.9-3.14)",
        REQ,
        since=(3, 9),
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-API-1",
        "get() takes no block or timeout argument: get(timeout=1) raises TypeError (it neither waits "
        "1 second nor raises queue.Empty).",
        "Dmp documents get() without arguments; CPython 3.11 queues.py SimpleQueue.get(self); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-PUT-1",
        "put(item) of a picklable object returns (once the item fits in the OS pipe, see SQ-PIPE-1) and "
        "the item is then in the queue.",
        "Dmp SimpleQueue.put: 'Put item into the queue' (3.8-3.14)",
        REQ,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-GET-1",
        "get() returns an item when the queue holds one, and otherwise blocks until some process puts one, "
        "then returns it.",
        "Dmp 'Pipes and Queues': SimpleQueue is one of the 'multi-producer, multi-consumer FIFO queues "
        "modelled on the queue.Queue class'; Dq Queue.get (block=True, timeout=None): 'block if necessary "
        "until an item is available'; Dmp SimpleQueue.get: 'Remove and return an item from the queue' (3.8-3.14)",
        REQ,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-FIFO-1",
        "Items come out in the order they were put: in one process, get() returns the oldest item not yet got.",
        "Dmp 'Pipes and Queues': 'The Queue, SimpleQueue and JoinableQueue types are multi-producer, "
        "multi-consumer FIFO queues' (3.8-3.14)",
        REQ,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-ITEM-1",
        "get() returns an object equal to the one put, intact whatever its size (checked up to 1 MiB, well "
        "above the OS pipe buffer; the docs warn only about pickles of about 32 MiB and more).",
        "Dmp SimpleQueue.get: 'Remove and return an item from the queue'; Dmp 'Connection Objects' "
        "send: 'Very large pickles (approximately 32 MiB+ ...) may raise a ValueError' (3.8-3.14)",
        REQ,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-SHARED-1",
        "Processes sharing a SimpleQueue by inheritance see one FIFO queue: an item put in one process is "
        "got exactly once, in any of them, and when one put returns before another begins (in whatever "
        "processes) its item is got first.",
        "Dmp 'Pipes and Queues' ('multi-producer, multi-consumer FIFO queues'); Dmp 'Exchanging objects "
        "between processes' (queues passed to a Process) (3.8-3.14)",
        REQ,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-EMPTY-1",
        "empty() is exact: False as soon as a put has returned (in this or another process) and True once "
        "every item put has been got (no 'infinitesimal delay' as for Queue).",
        "CPython 3.11 queues.py SimpleQueue: put() writes synchronously under _wlock, empty() is "
        "'not self._poll()'; observed 3.8-3.13; Dmp SimpleQueue.empty has no "
        "'not reliable' caveat, unlike Queue.empty",
        IMPL,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-LINEAR-1",
        "A SimpleQueue shared by processes (or threads) is linearizable: in every history, each put(), get() and "
        "empty() takes effect at one instant between its call and its return, and the calls taken in the order "
        "of those instants are a run of the sequential FIFO queue giving the results they gave (get returns the "
        "oldest item, empty() whether none is held).  An empty() that overlaps a get is left out: empty() is "
        "'not poll()' on the pipe, which a get reading a message larger than the pipe's buffer leaves empty "
        "between its reads (SQ-EMPTY-1 and the emptiness bounds judge such a call).",
        "CPython 3.11 queues.py SimpleQueue: put() writes the pickled item to the pipe under _wlock before it "
        "returns, get() reads one message under _rlock, empty() is 'not self._poll()'; Lib/queue.py and "
        "Modules/_queuemodule.c for queue.SimpleQueue (Dq 'SimpleQueue Objects'); linearizability as in "
        "Herlihy and Wing, ACM TOPLAS 12(3), 1990",
        IMPL,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-PICKLE-1",
        "put() pickles in the caller: an unpicklable object makes put() itself raise (TypeError, "
        "PicklingError or AttributeError) and nothing is enqueued.",
        "CPython 3.11 queues.py SimpleQueue.put (_ForkingPickler.dumps before the write; no feeder thread); "
        "observed 3.8-3.13; contrast Queue, whose feeder thread pickles later (CPython 3.11 queues.py "
        "Queue._feed)",
        IMPL,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-COPY-1",
        "put() takes a snapshot: mutating the object after put() returns does not change what get() returns.",
        "CPython 3.11 queues.py SimpleQueue.put pickles before returning; observed 500/500 on 3.8/3.11/3.13; "
        "contrast Queue, which pickles later in its feeder thread",
        IMPL,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-PIPE-1",
        "put() of an item larger than the OS pipe buffer blocks while no process reads, and returns once "
        "a reader drains it (so a large put needs a live reader).",
        "CPython 3.11 queues.py SimpleQueue.put (synchronous send_bytes); observed: a 1 MiB put with no "
        "reader did not return within 1 s and returned after a get()",
        IMPL,
        needs=(Primitive.SIMPLE_QUEUE,),
    ),
    Clause(
        "SQ-CLOSE-1",
        "close() exists and returns: it releases the queue's resources in the calling process.",
        "Dmp SimpleQueue.close: 'Close the queue: release internal resources. ... Added in version 3.9' (bpo-30966)",
        REQ,
        since=(3, 9),
        needs=(Primitive.SIMPLE_QUEUE, Feature.SIMPLE_QUEUE_CLOSE),
    ),
    Clause(
        "SQ-CLOSE-2",
        "close() is idempotent: calling it again on a closed SimpleQueue returns without error.",
        "CPython 3.11 queues.py SimpleQueue.close (Connection.close is idempotent); "
        "test_multiprocessing TestSimpleQueue.test_close (3.9-3.13)",
        IMPL,
        since=(3, 9),
        needs=(Primitive.SIMPLE_QUEUE, Feature.SIMPLE_QUEUE_CLOSE),
    ),
    Clause(
        "SQ-CLOSED-1",
        "empty() on a SimpleQueue closed by this process raises OSError.",
        "Dmp SimpleQueue.empty: 'Always raises an OSError if the SimpleQueue is closed' (docs of 3.12.5+ "
        "and 3.13+, gh-120012; the behaviour is the same in every 3.12 release)",
        REQ,
        since=(3, 12),
        needs=(Primitive.SIMPLE_QUEUE, Feature.SIMPLE_QUEUE_CLOSE),
    ),
    Clause(
        "SQ-CLOSED-2",
        "Before the docs promised it (SQ-CLOSED-1), empty() on a SimpleQueue closed by this process "
        "already raised OSError.",
        "CPython 3.9-3.11 queues.py SimpleQueue.empty (poll on the closed reader raises "
        "OSError('handle is closed')); observed 3.9-3.11",
        IMPL,
        since=(3, 9),
        until=(3, 12),
        needs=(Primitive.SIMPLE_QUEUE, Feature.SIMPLE_QUEUE_CLOSE),
    ),
    Clause(
        "SQ-CLOSED-3",
        "put() on a SimpleQueue closed by this process raises OSError (not ValueError, as Queue does).",
        "Dmp SimpleQueue.close: 'A queue must not be used anymore after it is closed'; CPython 3.11 "
        "Connection._check_closed raises OSError('handle is closed'); observed 3.9-3.13",
        IMPL,
        since=(3, 9),
        needs=(Primitive.SIMPLE_QUEUE, Feature.SIMPLE_QUEUE_CLOSE),
    ),
    Clause(
        "SQ-CLOSED-4",
        "get() on a SimpleQueue closed by this process raises OSError at once, without blocking.",
        "Dmp SimpleQueue.close: 'A queue must not be used anymore after it is closed'; CPython 3.11 "
        "Connection._check_closed raises OSError('handle is closed'); observed 3.9-3.13",
        IMPL,
        since=(3, 9),
        needs=(Primitive.SIMPLE_QUEUE, Feature.SIMPLE_QUEUE_CLOSE),
    ),
)
