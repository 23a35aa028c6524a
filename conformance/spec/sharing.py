"""Sharing queues and connections between threads and processes.

``Dmp`` is the multiprocessing documentation; the sections cited are
"Exchanging objects between processes", "Pipes and Queues", "Contexts and
start methods" and "Programming guidelines".

These rules cut across the primitives: each clause names the primitives it
covers, and its tests run once per primitive the adapter offers.
"""

from conformance.adapter import Mode, Trait
from conformance.primitives import Primitive
from conformance.spec.clause import Clause, Strength

REQ, IMPL = Strength.REQUIRED, Strength.IMPLEMENTATION_DEFINED

TITLE = "Sharing between processes"

CLAUSES = (
    Clause(
        "SHARE-SAFE-1",
        "Queues are thread safe: when several threads of one process put into the same Queue, "
        "JoinableQueue or SimpleQueue at once, every item is got exactly once and intact.",
        "Dmp 'Exchanging objects between processes': 'Queues are thread and process safe' (3.8-3.14)",
        REQ,
        excludes=(Trait.PROXY,),
    ),
    Clause(
        "SHARE-SAFE-2",
        "Queues are process safe: when several processes put into the same queue at once, every item is "
        "got exactly once and intact.",
        "Dmp 'Exchanging objects between processes': 'Queues are thread and process safe'; 'Pipes and "
        "Queues': 'multi-producer, multi-consumer FIFO queues' (3.8-3.14)",
        REQ,
        needs=(Mode.PROCESSES,),
    ),
    Clause(
        "SHARE-ORDER-1",
        "With several producer processes, the objects enqueued by the same process are got in the order "
        "that process put them (the interleaving between producers is not promised).",
        "Dmp 'Pipes and Queues' note: 'If multiple processes are enqueuing objects, it is possible for the "
        "objects to be received at the other end out-of-order. However, objects enqueued by the same "
        "process will always be in the expected order with respect to each other' (3.8-3.14)",
        REQ,
        needs=(Mode.PROCESSES,),
    ),
    Clause(
        "SHARE-INHERIT-1",
        "A Queue, JoinableQueue, SimpleQueue or Connection passed as an argument to the context's Process is "
        "usable in the child under the context's start method: what one process puts or sends, the other "
        "gets or receives.",
        "Dmp 'Programming guidelines': 'Explicitly pass resources to child processes' ('it is better to "
        "pass the object as an argument to the constructor for the child process') and 'Better to inherit "
        "than pickle/unpickle'; the Queue and Pipe examples of 'Exchanging objects between processes' (3.8-3.14)",
        REQ,
        needs=(Mode.PROCESSES,),
    ),
    Clause(
        "SHARE-EXIT-1",
        "Items put by a process that then exits normally are not lost: the process terminates only after "
        "its buffered items are flushed, and they can be got after it has exited.",
        "Dmp 'Programming guidelines', 'Joining processes that use queues': 'if a child process has put "
        "items on a queue ... then that process will not terminate until all buffered items have been "
        "flushed to the pipe'; Dmp 'Pipes and Queues' warning (3.8-3.14)",
        REQ,
        needs=(Mode.PROCESSES,),
    ),
    Clause(
        "SHARE-PICKLE-1",
        "Queue, JoinableQueue and SimpleQueue objects pickle only while a child process is being started: "
        "pickling one at any other time raises RuntimeError('<Type> objects should only be shared between "
        "processes through inheritance').",
        "Dmp 'Programming guidelines': 'Better to inherit than pickle/unpickle'; CPython 3.11 context.py "
        "assert_spawning, called by the __getstate__ of queues.py Queue/SimpleQueue; observed 3.8-3.13. "
        "Manager proxies are documented as picklable and are exempt",
        IMPL,
        excludes=(Trait.PROXY,),
    ),
    Clause(
        "SHARE-CONN-1",
        "A Connection can be sent over another Connection: the end a process receives with recv() "
        "carries messages both ways to the original pipe's other end.",
        "Dmp 'Connection Objects': 'Changed in version 3.3: Connection objects themselves can now be "
        "transferred between processes using Connection.send() and Connection.recv()' (3.8-3.14)",
        REQ,
        needs=(Primitive.PIPE, Mode.PROCESSES),
    ),
    Clause(
        "SHARE-EXC-1",
        "A queue signals timeouts with the standard queue module's exceptions: get_nowait() on an empty "
        "queue raises queue.Empty and put_nowait() on a full one raises queue.Full (multiprocessing has "
        "no Empty or Full of its own).",
        "Dmp 'Pipes and Queues' note: 'multiprocessing uses the usual queue.Empty and queue.Full exceptions "
        "to signal a timeout. They are not available in the multiprocessing namespace so you need to "
        "import them from queue' (3.8-3.14)",
        REQ,
        needs=(Primitive.QUEUE,),
    ),
    Clause(
        "SHARE-CONTEXT-1",
        "Objects related to one context may not work with processes of another context; in particular "
        "locks (and so queues) created in the fork context cannot be passed to spawn or forkserver processes.",
        "Dmp 'Contexts and start methods': 'Note that objects related to one context may not be compatible "
        "with processes for a different context. In particular, locks created using the fork context cannot "
        "be passed to processes started using the spawn or forkserver start methods' (3.8-3.14)",
        REQ,
        needs=(Mode.PROCESSES,),
        untestable="the docs forbid the combination without saying what happens; SHARE-CONTEXT-2 checks "
        "the error CPython raises from 3.11 on",
    ),
    Clause(
        "SHARE-CONTEXT-2",
        "Starting a spawn-context Process with a SimpleQueue created in the fork context raises RuntimeError "
        "from Process.start(), before any child runs.",
        "CPython 3.11 synchronize.py SemLock.__getstate__ ('A SemLock created in a fork context is being "
        "shared with a process in a spawn context. This is not supported.'); observed 3.11-3.13; on 3.8-3.10 "
        "the child fails instead",
        IMPL,
        since=(3, 11),
        needs=(Primitive.SIMPLE_QUEUE, Mode.PROCESSES),
    ),
    Clause(
        "SHARE-KILL-1",
        "A process killed (terminate() or os.kill()) while using a queue or pipe is likely to corrupt it; "
        "other processes may then get an exception when they use it.",
        "Dmp 'Pipes and Queues' warning ('the data in the queue is likely to become corrupted. This may cause "
        "any other process to get an exception'); Dmp 'Programming guidelines', 'Avoid terminating "
        "processes' (3.8-3.14)",
        REQ,
        needs=(Mode.PROCESSES,),
        untestable="it promises no outcome ('likely', 'may'): after a kill any behaviour conforms, and CPython "
        "readers can block forever on a partial frame, which a suite can only bound, not grade",
    ),
    Clause(
        "SHARE-PROXY-1",
        "A manager proxy must not be used from more than one thread unless a lock protects it; different "
        "processes may use the same proxy.",
        "Dmp 'Programming guidelines', 'Thread safety of proxies': 'Do not use a proxy object from more than "
        "one thread unless you protect it with a lock. (There is never a problem with different processes "
        "using the same proxy.)' (3.8-3.14)",
        REQ,
        needs=(Trait.PROXY,),
        untestable="the first half binds callers, not implementations: unprotected use from several threads "
        "may do anything; the second half is what SHARE-INHERIT-1 checks for adapters whose queues are proxies",
    ),
)
