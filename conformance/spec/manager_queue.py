"""SyncManager.Queue and JoinableQueue proxies: queue.Queue behind a server process.

A different contract from multiprocessing.Queue: every call is a
synchronous round trip, queries are exact, there is no close, and
queue.Queue's own argument rules apply.  These clauses apply to adapters
with the ``proxy`` capability.
"""

from conformance.adapter import Mode, Trait
from conformance.primitives import Feature, Primitive
from conformance.spec.clause import Clause, Strength

REQ, IMPL = Strength.REQUIRED, Strength.IMPLEMENTATION_DEFINED

TITLE = "Manager queue proxies"

CLAUSES = (
    Clause(
        "MGR-PROXY-1",
        "manager.Queue(maxsize) returns a proxy of a queue.Queue: global FIFO, Full at maxsize, Empty when "
        "empty, maxsize <= 0 unbounded.",
        "Dmp 'Managers' SyncManager.Queue: 'Create a shared queue.Queue object and return a proxy for it'; "
        "Dq 'If maxsize is less than or equal to zero, the queue size is infinite' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Trait.PROXY),
    ),
    Clause(
        "MGR-EXCEPTION-1",
        "An exception raised by the proxied queue is re-raised in the caller with its own class: "
        "queue.Empty, queue.Full, ValueError.",
        "Dmp 'Proxy Objects' _callmethod: 'If an exception is raised by the call, then is re-raised by "
        "_callmethod' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Trait.PROXY),
    ),
    Clause(
        "MGR-TIMEOUT-1",
        "A negative timeout raises ValueError (queue.Queue's rule), unlike multiprocessing.Queue.",
        "CPython 3.11 queue.py Queue.put/get ('timeout' must be a non-negative number); observed 3.8-3.13 on the proxy",
        IMPL,
        needs=(Primitive.QUEUE, Trait.PROXY, Feature.QUEUE_BLOCK),
    ),
    Clause(
        "MGR-TASKDONE-1",
        "Both manager.Queue and manager.JoinableQueue proxies offer task_done() and join().",
        "CPython 3.11 managers.py (JoinableQueue is registered as queue.Queue; AutoProxy exposes its public "
        "methods); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.QUEUE, Trait.PROXY),
    ),
    Clause(
        "MGR-NOCLOSE-1",
        "Queue proxies have no close(), join_thread() or cancel_join_thread(); a process that put items "
        "exits without waiting for a reader.",
        "Dmp 'Joining processes that use queues': 'a queue created using a manager does not have this "
        "issue'; CPython 3.11 managers.py (no such methods on queue.Queue)",
        IMPL,
        needs=(Primitive.QUEUE, Trait.PROXY, Mode.PROCESSES),
    ),
    Clause(
        "MGR-SHARE-1",
        "Proxies are picklable: a proxy sent to another process through a queue reaches the same queue.",
        "Dmp 'Proxy Objects': 'Proxy objects are picklable so they can be passed between processes' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Trait.PROXY, Mode.PROCESSES),
    ),
    Clause(
        "MGR-SHUTDOWN-1",
        "On 3.13+ the proxy exposes queue.Queue.shutdown(): afterwards put raises queue.ShutDown, and get "
        "returns the remaining items, then raises queue.ShutDown.",
        "Dq Queue.shutdown (added 3.13); CPython 3.13 managers.py AutoProxy exposes public methods; observed 3.13",
        IMPL,
        since=(3, 13),
        needs=(Primitive.QUEUE, Trait.PROXY),
    ),
    Clause(
        "MGR-THREADS-1",
        "A proxy must not be used from more than one thread unless a lock protects it.",
        "Dmp 'Programming guidelines': 'Do not use a proxy object from more than one thread unless you "
        "protect it with a lock' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE, Trait.PROXY),
        untestable="a rule for callers, not a behaviour of the implementation",
    ),
)
