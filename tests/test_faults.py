"""The suite catches deliberately broken adapters, names the clause and shrinks the steps.

Each fault in ``tests/faults`` is run against the suite file of its
section, restricted (with ``tests.citations``) to the tests citing the
clauses it violates; the run must fail, name one of those clauses, and
show Hypothesis's shrunk example.  The same tests must pass on the
reference, so the failures come from the faults and not from the suite.
The ``ci`` profile is derandomised, so the runs generate the same examples
every time.
"""

import importlib
import re
from dataclasses import dataclass
from typing import List, Tuple

import pytest

from conformance import profiles, spec
from tests.conftest import output

PROFILE = "ci"
REFERENCE = "stdlib-fork"  # the faults wrap the fork context
#: A shrunk example has at most half the steps the profile lets an example take.
SHRUNK_STEPS = profiles.PROFILES[PROFILE].stateful_step_count // 2


@dataclass(frozen=True)
class Fault:
    module: str  # in tests.faults
    suite: str  # the suite module of the violated section
    clauses: Tuple[str, ...]  # the run must report one of these

    @property
    def adapter(self) -> str:
        return f"tests.faults.{self.module}:ADAPTER"

    def __str__(self) -> str:
        return self.module


FAULTS = (
    Fault("lifo_queue", "conformance.suite.test_queue", ("QUEUE-FIFO-1",)),
    Fault("wrong_empty_exception", "conformance.suite.test_queue", ("QUEUE-GET-3", "QUEUE-GET-2", "QUEUE-TIMEOUT-1")),
    Fault("simplex_read_end_sends", "conformance.suite.test_pipe", ("PIPE-SIMPLEX-2",)),
)
SUITES = sorted({f.suite for f in FAULTS})


def selection(suite: str, clauses):
    """pytest arguments running the tests of ``suite`` that cite any of ``clauses``."""
    cites = [arg for clause in clauses for arg in ("--cites", clause)]
    return ["--pyargs", suite, "-p", "tests.citations", *cites, "--ipc-profile", PROFILE]


VIOLATION = re.compile(r"\b([A-Z]+(?:-[A-Z]+)*-\d+) violated")
STEP = re.compile(r"\bstate\.(\w+)\(")
#: How Hypothesis introduces the shrunk example (the wording changed in 6.16x).
EXAMPLE = re.compile(r"Falsifying example:|Failing test case:")


def shrunk_examples(text: str, clauses) -> List[List[str]]:
    """The rules of each falsifying example reported right after a violation of one of ``clauses``.

    Hypothesis prints the example under the exception (prefixed ``E`` for
    one failure, ``|`` inside an exception group for several), one
    ``state.<rule>(...)`` line per step, ending with ``state.teardown()``.
    """
    examples, clause, steps = [], None, None
    for line in text.splitlines():
        violation = VIOLATION.search(line)
        if violation:
            clause, steps = violation.group(1), None
        elif EXAMPLE.search(line) and clause in clauses:
            steps = []
        elif steps is not None:
            step = STEP.search(line)
            if step and step.group(1) == "teardown":
                examples.append(steps)
                clause, steps = None, None
            elif step:
                steps.append(step.group(1))
    return examples


#: What Hypothesis prints for one failure, and for one of several (an exception group, in newer wording).
SINGLE_REPORT = """
E           conformance.verdict.ClauseViolation_QUEUE_FIFO_1: QUEUE-FIFO-1 violated (required, Python 3.8+): ...
E             observed: get() returned Item(main#2, 0B)
E           Falsifying example:
E           state = QueueMachine()
E           state.create(maxsize=None, with_peer=False)
E           state.put_with_free_slot(form='put', size=0)
E           state.get_available_item(form='get')
E           state.teardown()
"""
GROUP_REPORT = """
    | conformance.verdict.ClauseViolation_QUEUE_GET_2: QUEUE-GET-2 violated (required, Python 3.8+): ...
    | Failing test case: <state machine>
    | state = QueueMachine()
    | state.create(maxsize=None, with_peer=False)
    | state.get_from_empty_queue(form='timeout', ignored=1.0, timeout=0.005)
    | state.teardown()
E           conformance.verdict.ClauseViolation_QUEUE_GET_3: QUEUE-GET-3 violated (required, Python 3.8+): ...
"""


def test_shrunk_examples_are_read_from_both_report_forms():
    assert shrunk_examples(SINGLE_REPORT, ("QUEUE-FIFO-1",)) == [["create", "put_with_free_slot", "get_available_item"]]
    assert shrunk_examples(GROUP_REPORT, ("QUEUE-GET-2", "QUEUE-GET-3")) == [["create", "get_from_empty_queue"]]
    assert shrunk_examples(SINGLE_REPORT, ("QUEUE-GET-3",)) == []


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_documents_the_clauses_it_violates(fault):
    doc = importlib.import_module(f"tests.faults.{fault.module}").__doc__
    for clause_id in fault.clauses:
        assert clause_id in spec.CATALOGUE, f"{clause_id} is not in the catalogue"
        assert clause_id in doc, f"tests/faults/{fault.module}.py does not name {clause_id} in its docstring"


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_suite_fails_the_fault_naming_its_clause_with_shrunk_steps(run_pytest, fault):
    result = run_pytest(*selection(fault.suite, fault.clauses), "--ipc-adapter", fault.adapter)
    text = output(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, text
    reported = set(VIOLATION.findall(text))
    assert reported & set(fault.clauses), f"expected one of {fault.clauses} to be reported, got {sorted(reported)}:\n{text}"
    examples = shrunk_examples(text, fault.clauses)
    assert examples, f"no falsifying example follows the report of {fault.clauses}:\n{text}"
    for steps in examples:
        assert 0 < len(steps) <= SHRUNK_STEPS, f"a falsifying example with {len(steps)} steps; was it shrunk? {steps}\n{text}"


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_reference_passes_the_tests_that_catch_the_faults(run_pytest, suite):
    clauses = [clause for f in FAULTS if f.suite == suite for clause in f.clauses]
    result = run_pytest(*selection(suite, clauses), "--ipc-adapter", REFERENCE)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK and outcomes.get("passed", 0) > 0, output(result)
    assert not set(outcomes) - {"passed", "deselected", "warnings"}, output(result)
