"""The fault zoo: every deliberately broken adapter, what it breaks, and how the suite is run on it.

Each :class:`Fault` names a module exporting ``ADAPTER`` (sequential faults
in ``tests/faults``, race faults in ``tests/concurrency``), the clauses a
run on it may name (the module's docstring names each of them), the part
of the suite that should catch it and whether catching it depends on the
OS schedule (``race``) or not (``deterministic``).  ``tests/test_faults.py``
runs the zoo as meta-tests and ``benchmarks/suite_power.py`` measures it.

Sequential faults run the tests of their section that cite one of their
clauses (``-p tests.citations --cites ID``), so a run is seconds long and
a failure cannot come from an unrelated test.  Race faults run the
scenario test of their primitive, which cites every concurrency clause.
"""

import re
from dataclasses import dataclass
from typing import Optional

DETERMINISTIC, RACE = "deterministic", "race"

QUEUE, JOINABLE, SIMPLE, PIPE, SHARING = (
    "conformance.suite.test_queue",
    "conformance.suite.test_joinable_queue",
    "conformance.suite.test_simple_queue",
    "conformance.suite.test_pipe",
    "conformance.suite.test_sharing",
)
CONCURRENCY = "conformance.suite.test_concurrency"


@dataclass(frozen=True)
class Fault:
    module: str  # importable module exporting ADAPTER
    category: str
    clauses: tuple[str, ...]  # a failing run must name one of these
    suites: tuple[str, ...]  # suite modules whose tests run
    kind: str = DETERMINISTIC
    test: str = ""  # a race fault runs this one test of its suites, whatever it cites

    @property
    def name(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    @property
    def adapter(self) -> str:
        return f"{self.module}:ADAPTER"

    def __str__(self) -> str:
        return self.name

    def selection(self, profile: str):
        """pytest arguments that run this fault's part of the suite on it under ``profile``."""
        if self.test:
            chosen = ["-k", self.test]
        else:
            chosen = ["-p", "tests.citations", *[arg for clause in self.clauses for arg in ("--cites", clause)]]
        return ["--pyargs", *self.suites, *chosen, "--ipc-profile", profile, "--ipc-adapter", self.adapter]


def _seq(name, category, clauses, *suites):
    return Fault(f"tests.faults.{name}", category, tuple(clauses), tuple(suites))


def _race(module, category, clauses, test="test_queue_scenarios"):
    return Fault(module, category, tuple(clauses), (CONCURRENCY,), RACE, test)


#: A race fault's failure may name any clause its symptom violates (which one depends on the schedule).
#: What a queue that accepts more than maxsize items violates: every clause about a full queue.
FULL_QUEUE = ["QUEUE-MAXSIZE-1", "QUEUE-FULL-1", "QUEUE-PUT-1", "QUEUE-PUT-2", "QUEUE-PUT-3", "QUEUE-TIMEOUT-1"]
_TORN = ("SHARE-SAFE-2", "CONC-SAFE-1", "QUEUE-DELIVERY-1", "QUEUE-FLUSH-1", "QUEUE-FLUSH-2")

FAULTS = (
    # loss, duplication, invented items
    _seq("duplicates_first_put", "loss/duplication", ["QUEUE-DELIVERY-1", "QUEUE-PUT-1"], QUEUE),
    _seq("invents_none_on_timeout", "loss/duplication", ["QUEUE-GET-2", "QUEUE-DELIVERY-1", "QUEUE-TIMEOUT-1"], QUEUE),
    _seq("feeder_dies_on_error", "loss/duplication", ["QUEUE-FEEDER-1"], QUEUE),
    _race(
        "tests.concurrency.loses_one_in_n", "loss/duplication", ["QUEUE-FLUSH-1", "QUEUE-FLUSH-2", "QUEUE-DELIVERY-1"]
    ),
    # FIFO order
    _seq("lifo_queue", "FIFO order", ["QUEUE-FIFO-1"], QUEUE),
    _seq(
        "feeder_reverses_bursts",
        "FIFO order",
        ["QUEUE-FIFO-1", "SHARE-ORDER-1", "QUEUE-FLUSH-1", "QUEUE-FLUSH-2", "SHARE-SAFE-2", "QUEUE-FEEDER-1"],
        QUEUE,
        SHARING,
    ),
    _seq(
        "prefetching_consumer",
        "FIFO order",
        ["CONC-ORDER-1", "QUEUE-FIFO-1", "QUEUE-VISIBLE-1", "QUEUE-EMPTY-1", "QUEUE-FLUSH-1", "QUEUE-DELIVERY-1"],
        QUEUE,
    ),
    # capacity
    _seq("maxsize_ignored", "capacity", FULL_QUEUE, QUEUE),
    _seq("maxsize_off_by_one", "capacity", FULL_QUEUE, QUEUE),
    _seq("full_raised_early", "capacity", ["QUEUE-MAXSIZE-2", "QUEUE-PUT-1", "QUEUE-QSIZE-1", "QUEUE-FULL-1"], QUEUE),
    _seq("zero_maxsize_holds_nothing", "capacity", ["QUEUE-MAXSIZE-3"], QUEUE),
    # wrong exception types
    _seq("wrong_empty_exception", "exception types", ["QUEUE-GET-3", "QUEUE-GET-2", "QUEUE-TIMEOUT-1"], QUEUE),
    _seq("get_raises_own_empty", "exception types", ["QUEUE-GET-3", "QUEUE-GET-2", "QUEUE-TIMEOUT-1"], QUEUE),
    _seq(
        "full_raises_empty",
        "exception types",
        ["QUEUE-MAXSIZE-1", "QUEUE-PUT-2", "QUEUE-PUT-3", "QUEUE-TIMEOUT-1"],
        QUEUE,
    ),
    _seq("closed_get_oserror", "exception types", ["QUEUE-CLOSE-2"], QUEUE),
    _seq("closed_connection_valueerror", "exception types", ["PIPE-CLOSE-1"], PIPE),
    _seq("eof_as_connection_reset", "exception types", ["PIPE-EOF-1", "PIPE-EOF-2"], PIPE),
    # timeouts
    _seq("put_timeout_ignored", "timeouts", ["QUEUE-PUT-2", "QUEUE-TIMEOUT-1"], QUEUE),
    _seq("get_timeout_returns_at_once", "timeouts", ["QUEUE-GET-2", "QUEUE-VISIBLE-1"], QUEUE),
    _seq("noblock_get_waits", "timeouts", ["QUEUE-GET-3"], QUEUE),
    # blocking and liveness
    _seq("lost_wakeup", "liveness", ["QUEUE-GET-1", "QUEUE-VISIBLE-1"], QUEUE),
    _seq(
        "put_blocks_after_get", "liveness", ["QUEUE-MAXSIZE-2", "QUEUE-PUT-1", "QUEUE-QSIZE-1", "QUEUE-FULL-1"], QUEUE
    ),
    # close, flush and exit
    _seq("put_after_close_allowed", "close/flush/exit", ["QUEUE-CLOSE-1", "QUEUE-CLOSE-2"], QUEUE),
    _race("tests.concurrency.close_discards", "close/flush/exit", ["QUEUE-FLUSH-1"]),
    _race("tests.concurrency.exit_loses", "close/flush/exit", ["QUEUE-FLUSH-2"]),
    _seq("eof_missing", "close/flush/exit", ["PIPE-EOF-1", "PIPE-EOF-3", "PIPE-EOF-4"], PIPE),
    _seq("eof_early", "close/flush/exit", ["PIPE-EOF-1"], PIPE),
    # End of file while another process still holds the closed end: only the pipe scenarios have several holders.
    Fault(
        "tests.faults.eof_on_first_close",
        "close/flush/exit",
        ("CONC-PIPE-2",),
        (CONCURRENCY,),
        DETERMINISTIC,
        "test_pipe_scenarios",
    ),
    _seq("broken_pipe_missing", "close/flush/exit", ["PIPE-EOF-4"], PIPE),
    # pipe direction and duplex
    _seq("duplex_one_way", "pipe direction", ["PIPE-DUPLEX-2", "PIPE-DUPLEX-1", "PIPE-EOF-1"], PIPE),
    _seq("simplex_ends_swapped", "pipe direction", ["PIPE-SIMPLEX-1", "PIPE-SIMPLEX-3", "PIPE-EOF-1"], PIPE),
    _seq("simplex_read_end_sends", "pipe direction", ["PIPE-SIMPLEX-2"], PIPE),
    # poll
    _seq("poll_checks_writable", "poll", ["PIPE-POLL-6", "PIPE-POLL-2", "PIPE-EOF-3"], PIPE),
    _seq("poll_timeout_in_ms", "poll", ["PIPE-POLL-2"], PIPE),
    # message boundaries and sizes
    _seq("empty_message_dropped", "messages", ["PIPE-BYTES-2", "PIPE-FIFO-1", "PIPE-EOF-4"], PIPE),
    _seq("large_message_truncated", "messages", ["PIPE-BYTES-3", "PIPE-BYTES-1", "PIPE-OBJECT-1", "PIPE-FIFO-1"], PIPE),
    _seq("maxlength_ignored", "messages", ["PIPE-MAXLEN-1", "PIPE-MAXLEN-4"], PIPE),
    _seq("offset_ignored", "messages", ["PIPE-BYTES-4"], PIPE),
    _seq("failed_send_leaves_garbage", "messages", ["PIPE-BYTES-5"], PIPE),
    # JoinableQueue accounting
    _seq("task_done_unchecked", "JoinableQueue", ["JQ-TASKDONE-2"], JOINABLE),
    _seq("join_returns_early", "JoinableQueue", ["JQ-JOIN-2"], JOINABLE),
    # SimpleQueue
    _seq("simple_queue_closed_empty_true", "SimpleQueue", ["SQ-CLOSED-1", "SQ-CLOSED-2"], SIMPLE),
    # races that only concurrency shows
    _race("tests.concurrency.no_write_lock", "races", _TORN),
    _race("tests.concurrency.no_read_lock", "races", ("CONC-CONSUMERS-1",) + _TORN),
    _race(
        "tests.faults.simple_queue_no_write_lock",
        "races",
        ("SHARE-SAFE-2", "CONC-SAFE-1", "SQ-SHARED-1"),
        test="test_simple_queue_scenarios",
    ),
    # thread mode: a queue.Queue shared by worker threads of the test process (tests/concurrency/threads.py)
    _race("tests.concurrency.thread_get_not_atomic", "races", ["CONC-CONSUMERS-1", "QUEUE-DELIVERY-1"]),
    _race("tests.concurrency.thread_put_loses", "races", ["QUEUE-DELIVERY-1"]),
    # exact queues (thread mode), judged by linearizability
    _race("tests.concurrency.thread_producers_reordered", "races", ["CONC-LEVEL-1"]),
    _race("tests.concurrency.thread_empty_stale_count", "races", ["CONC-LEVEL-1"]),
    _race("tests.concurrency.thread_lost_wakeup", "races", ["CONC-LEVEL-1"]),
    _race("tests.concurrency.thread_qsize_not_atomic", "races", ["CONC-LEVEL-1"]),
)

BY_NAME = {fault.name: fault for fault in FAULTS}


SCENARIO_SIZE = re.compile(r"scenario \((\d+) processes, (\d+) operations\)")
#: The note of a failure held back (seen once, not again) that a failing scenario test shows beside its shrunk one.
HELD_NOTE = re.compile(
    r"earlier example\(s\) failed once and did not fail again.*?more executions of the same scenario\.", re.S
)


def scenario_size(text: str) -> Optional[tuple[int, int]]:
    """``(processes, operations)`` of the scenario a failing scenario test reported (None: it printed none).

    The shrunk scenario, not the unshrunk one of a held-back failure noted
    beside it; that one only when it is all the test failed with.
    """
    sizes = SCENARIO_SIZE.findall(HELD_NOTE.sub("", text)) or SCENARIO_SIZE.findall(text)
    if not sizes:
        return None
    processes, operations = sizes[-1]
    return int(processes), int(operations)
