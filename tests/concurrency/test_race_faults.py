"""The concurrency suite catches each seeded fault, names the clause, and shrinks to a small scenario.

Each fault module here is an adapter (``ADAPTER``) over a stdlib Queue with
one thing broken.  ``test_queue_scenarios`` of
``conformance/suite/test_concurrency.py`` runs against it in a pytest
subprocess under the ``ci`` profile (derandomised: the inputs are the same
every run, only the OS schedule varies) and must fail with one of the
clauses the fault violates.  The shrunk counterexample it prints must be
within the suite's target: at most :data:`MAX_PROCESSES` processes (the
test process counts when it runs a prefix) and :data:`MAX_OPERATIONS`
operations in total, prefix included.  The
time to the first failure, which the runner notes, is attached to the test
report (``user_properties``) for the figures in
``benchmarks/RESULTS-concurrency.md``.
"""

import re

import pytest

from tests.conftest import REPO_ROOT, output
from tests.zoo import scenario_size

SUITE = str(REPO_ROOT / "conformance" / "suite" / "test_concurrency.py")

#: The target size of a shrunk race counterexample.
MAX_PROCESSES, MAX_OPERATIONS = 3, 6

#: A failing run shrinks; a hang inside it costs an operation deadline per execution.
RUN_TIMEOUT = 600

#: Fault module -> the clauses its failure may name (how a race shows depends on the schedule).
FAULTS = {
    # Interleaved frames: a torn item, or a read that blocks on a length that is not one.
    "no_write_lock": ("SHARE-SAFE-2", "CONC-SAFE-1", "QUEUE-DELIVERY-1", "QUEUE-FLUSH-1", "QUEUE-FLUSH-2"),
    # Two readers split one frame: the same symptoms, or an item got twice.
    "no_read_lock": (
        "CONC-CONSUMERS-1",
        "SHARE-SAFE-2",
        "CONC-SAFE-1",
        "QUEUE-DELIVERY-1",
        "QUEUE-FLUSH-1",
        "QUEUE-FLUSH-2",
    ),
    "close_discards": ("QUEUE-FLUSH-1",),
    "exit_loses": ("QUEUE-FLUSH-2",),
    "loses_one_in_n": ("QUEUE-FLUSH-1", "QUEUE-FLUSH-2", "QUEUE-DELIVERY-1"),
    # Thread mode (tests/concurrency/threads.py): worker threads of the test process share one queue.Queue.
    # Two consumers take the same item: it is got twice, and another is removed unseen.
    "thread_get_not_atomic": ("CONC-CONSUMERS-1", "QUEUE-DELIVERY-1"),
    # Two producers' copy-and-install puts: one accepted item never comes out.
    "thread_put_loses": ("QUEUE-DELIVERY-1",),
    # Exact queues judged by linearizability (conformance/checkers/linearizability.py).
    # One FIFO per producer thread, the last written served first: put(a) returned before put(b), b came out first.
    "thread_producers_reordered": ("CONC-LEVEL-1",),
    # empty() from the size the calling thread saw last: True after another thread's put returned.
    "thread_empty_stale_count": ("CONC-LEVEL-1",),
    # A get that waits without looking again sleeps through a put and raises Empty at its timeout.
    "thread_lost_wakeup": ("CONC-LEVEL-1",),
    # qsize() adds two lists' lengths read apart: a get moving one into the other between the reads is missed.
    "thread_qsize_not_atomic": ("CONC-LEVEL-1",),
}

VIOLATION = re.compile(r"\b([A-Z]+(?:-[A-Z]+)*-\d+) violated")
FIRST_FAILURE = re.compile(r"First failure after ([\d.]+)s, at execution (\d+)")


def run_fault(run_pytest, fault: str):
    return run_pytest(
        SUITE,
        "-k",
        "test_queue_scenarios",
        "--ipc-adapter",
        f"tests.concurrency.{fault}:ADAPTER",
        "--ipc-profile",
        "ci",
        timeout=RUN_TIMEOUT,
    )


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_with_a_small_scenario(run_pytest, record_property, fault):
    result = run_fault(run_pytest, fault)
    text = output(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, text[-3000:]
    named = VIOLATION.findall(text)
    assert named and named[-1] in FAULTS[fault], (
        f"failure names {named[-1:]}, expected one of {FAULTS[fault]}\n{text[-3000:]}"
    )
    assert "Scenario: " in text, "the failing scenario is not noted"
    size = scenario_size(text)
    assert size, "the failure does not print the scenario's size"
    first = FIRST_FAILURE.search(text)
    assert first, "the time to the first failure is not noted"
    processes, operations = size
    record_property("first_failure_seconds", float(first.group(1)))
    record_property("first_failure_execution", int(first.group(2)))
    record_property("shrunk_size", (processes, operations))
    assert processes <= MAX_PROCESSES and operations <= MAX_OPERATIONS, (
        f"shrunk scenario too large: {processes} processes, {operations} operations "
        f"(target {MAX_PROCESSES}, {MAX_OPERATIONS})\n{text[-3000:]}"
    )
