"""multiprocessing.JoinableQueue: a Queue with task_done() and join().

Every Queue clause holds for JoinableQueue too; the queue machine runs
against both.
"""

from conformance.adapter import Consistency, Trait
from conformance.primitives import Feature, Primitive
from conformance.spec.clause import Clause, Strength

REQ, IMPL = Strength.REQUIRED, Strength.IMPLEMENTATION_DEFINED

TITLE = "JoinableQueue"

CLAUSES = (
    Clause(
        "JQ-API-1",
        "A JoinableQueue offers every method of Queue, and task_done() and join().",
        "Dmp 'Pipes and Queues', class multiprocessing.JoinableQueue: 'JoinableQueue, a Queue subclass, is a "
        "queue which additionally has task_done() and join() methods' (3.8-3.14)",
        REQ,
        needs=(Primitive.JOINABLE_QUEUE,),
        excludes=(Trait.PROXY,),
    ),
    Clause(
        "JQ-QUEUE-1",
        "A JoinableQueue is a Queue: every Queue clause holds for it.",
        "Dmp 'JoinableQueue, a Queue subclass, is a queue which additionally has task_done() and join() "
        "methods' (3.8-3.14)",
        REQ,
        needs=(Primitive.JOINABLE_QUEUE,),
    ),
    Clause(
        "JQ-TASKDONE-1",
        "Each put adds one unfinished task and each task_done() removes one.",
        "Dmp JoinableQueue.task_done: 'Indicate that a formerly enqueued task is complete'; join: 'The count "
        "of unfinished tasks goes up whenever an item is added to the queue. The count goes down whenever a "
        "consumer calls task_done()' (3.8-3.14)",
        REQ,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS),
    ),
    Clause(
        "JQ-TASKDONE-2",
        "task_done() raises ValueError if called more times than there were items placed in the queue.",
        "Dmp JoinableQueue.task_done: 'Raises a ValueError if called more times than there were items placed "
        "in the queue' (3.8-3.14)",
        REQ,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS),
    ),
    Clause(
        "JQ-TASKDONE-3",
        "task_done() is counted against puts, not gets: it succeeds for an item put but not yet got.",
        "CPython 3.11 queues.py JoinableQueue.task_done (checks the unfinished-tasks semaphore); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS),
    ),
    Clause(
        "JQ-JOIN-1",
        "join() returns at once when every item put has been marked done.",
        "Dmp JoinableQueue.join: 'Block until all items in the queue have been gotten and processed' (3.8-3.14)",
        REQ,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS),
    ),
    Clause(
        "JQ-JOIN-2",
        "join() blocks while tasks are unfinished, and returns once task_done() has been called for every "
        "item, also when the calls come from another process.",
        "Dmp JoinableQueue.join: 'When the count of unfinished tasks drops to zero, join() unblocks' (3.8-3.14)",
        REQ,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS),
    ),
    Clause(
        "JQ-CLOSE-1",
        "close() does not change the task accounting: task_done() and join() behave the same after it.",
        "CPython 3.11 queues.py (the accounting lives in a semaphore and a condition, not the pipe); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS, Feature.QUEUE_CLOSE),
    ),
    Clause(
        "JQ-FEEDER-1",
        "An item the feeder thread drops (it could not be pickled) stays counted as unfinished, so join() "
        "never returns.",
        "CPython 3.11 queues.py (put increments the count before pickling); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.JOINABLE_QUEUE, Feature.TASKS),
        level=Consistency.EVENTUAL,
        untestable="a hazard, not a promise: checking it would require an implementation to hang",
    ),
)
