"""The concurrency suite catches each seeded fault, names the clause, and prints a small shrunk scenario.

Each fault module here is an adapter (``ADAPTER``) over a stdlib Queue with
one thing broken.  The scenario test of ``conformance/suite/test_concurrency.py``
runs against it in a pytest subprocess, under the ``ci`` profile (the
inputs are derandomised; only the OS schedule varies), and must fail with
one of the clauses the fault violates, printing the shrunk scenario.
"""

import re

import pytest

from tests.conftest import REPO_ROOT, output

SUITE = str(REPO_ROOT / "conformance" / "suite" / "test_concurrency.py")

#: Fault module -> the clauses its failure may name (how it shows depends on the schedule).
FAULTS = {
    "no_write_lock": ("SHARE-SAFE-2", "CONC-SAFE-1", "QUEUE-FLUSH-2", "QUEUE-DELIVERY-1"),
    "no_read_lock": ("CONC-CONSUMERS-1", "SHARE-SAFE-2", "CONC-SAFE-1", "QUEUE-DELIVERY-1", "QUEUE-FIFO-1",
                     "CONC-ORDER-1", "QUEUE-FLUSH-1", "QUEUE-FLUSH-2"),
    "close_discards": ("QUEUE-FLUSH-1",),
    "exit_loses": ("QUEUE-FLUSH-2",),
    "loses_one_in_n": ("QUEUE-FLUSH-1", "QUEUE-FLUSH-2", "QUEUE-DELIVERY-1"),
}

SHRUNK = re.compile(r"scenario \((\d+) processes, (\d+) operations\)")


def run_fault(run_pytest, fault: str):
    return run_pytest(
        SUITE, "-k", "test_queue_scenarios", "--ipc-adapter",
        f"tests.concurrency.{fault}:ADAPTER", "--ipc-profile", "ci", timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_with_a_small_scenario(run_pytest, fault):
    result = run_fault(run_pytest, fault)
    text = output(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, text[-3000:]
    named = re.findall(r"([A-Z]+(?:-[A-Z]+)*-\d+) violated", text)
    assert named and named[0] in FAULTS[fault], f"failure names {named[:1]}, expected one of {FAULTS[fault]}\n{text[-3000:]}"
    sizes = [(int(p), int(o)) for p, o in SHRUNK.findall(text)]
    assert sizes, "the failure does not print the scenario"
    assert "Scenario: " in text, "the shrunk scenario is not noted"
    processes, operations = sizes[-1]
    assert processes <= 4 and operations <= 10, f"shrunk scenario too large: {processes} processes, {operations} operations"
