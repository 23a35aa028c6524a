"""The suite catches every fault of the zoo (:mod:`tests.zoo`), names its clause and shrinks the steps.

Each fault runs against its part of the suite (``Fault.selection``: the
tests of its section citing the clauses it violates, or a race fault's
scenario test) in a pytest subprocess.  The run must fail, name one of the
fault's clauses and, for a state machine, show Hypothesis's shrunk
example; a race fault's run must print the shrunk scenario.  The same
selections must pass on the reference, so the failures come from the
faults and not from the suite.  The ``ci`` profile is derandomised: the
runs generate the same examples every time, only the OS schedule varies.

Most faults take a minute or more to shrink, so only :data:`QUICK` run by
default (``tox -e self``, CI); ``--zoo`` runs the whole zoo (``tox -e
zoo``).  ``benchmarks/suite_power.py`` measures catch rates and times
under the default profile.
"""

import importlib
import re

import pytest

from conformance import profiles, spec
from tests.conftest import EXAMPLE, output
from tests.zoo import FAULTS, RACE

PROFILE = "ci"
REFERENCE = "stdlib-fork"  # the faults wrap the fork context
#: A shrunk example has at most half the steps the profile lets an example take.
SHRUNK_STEPS = profiles.PROFILES[PROFILE].stateful_step_count // 2
#: The race faults' shrunk scenarios (as tests/concurrency/test_race_faults.py).
MAX_PROCESSES, MAX_OPERATIONS = 3, 6
#: A fault run shrinks; a hang inside it costs an operation deadline per execution.
RUN_TIMEOUT = 900

#: Faults caught and shrunk within a minute under ``ci`` (measured), in four suite sections, with no
#: racy symptom that could make a run name another clause: the CI subset.  (``lifo_queue`` is not one: its
#: hand-back of items to a feeder thread also breaks QUEUE-FLUSH-1, and about one ci run in two shows that.)
QUICK = {
    "wrong_empty_exception",
    "simplex_read_end_sends",
    "maxsize_off_by_one",
    "task_done_unchecked",
    "simple_queue_closed_empty_true",
}
#: Every category of the issue the zoo must cover.
CATEGORIES = {
    "loss/duplication",
    "FIFO order",
    "capacity",
    "exception types",
    "timeouts",
    "liveness",
    "close/flush/exit",
    "pipe direction",
    "poll",
    "messages",
    "JoinableQueue",
    "SimpleQueue",
    "races",
}

VIOLATION = re.compile(r"\b([A-Z]+(?:-[A-Z]+)*-\d+) violated")
STEP = re.compile(r"\bstate\.(\w+)\(")
SCENARIO_SIZE = re.compile(r"scenario \((\d+) processes, (\d+) operations\)")


def shrunk_examples(text: str, clauses) -> list[list[str]]:
    """The rules of each falsifying example reported right after a violation of one of ``clauses`` (any, if None).

    Hypothesis prints the example under the exception (prefixed ``E`` for
    one failure, ``|`` inside an exception group for several), one
    ``state.<rule>(...)`` line per step, ending with ``state.teardown()``.
    In an exception group the example of a failure raised in teardown may
    come before its exception: read those with ``clauses=None``.
    """
    examples, clause, steps = [], None, None
    for line in text.splitlines():
        violation = VIOLATION.search(line)
        if violation:
            clause, steps = violation.group(1), None
        elif EXAMPLE.search(line) and (clauses is None or clause in clauses):
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
    assert shrunk_examples(GROUP_REPORT, None) == [["create", "get_from_empty_queue"]]


def test_zoo_has_thirty_faults_covering_every_category():
    assert len(FAULTS) >= 30
    assert len({f.name for f in FAULTS}) == len(FAULTS), "two faults share a name"
    assert {f.category for f in FAULTS} == CATEGORIES
    assert QUICK <= {f.name for f in FAULTS}


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_documents_the_clauses_it_violates(fault):
    """A sequential fault's docstring names every clause a run may report; a race's, the one it is about.

    (How a race shows depends on the schedule: a torn frame may surface as
    a lost item or a stalled flush, so its list holds those symptoms too.)
    """
    doc = importlib.import_module(fault.module).__doc__
    for clause_id in fault.clauses:
        assert clause_id in spec.CATALOGUE, f"{clause_id} is not in the catalogue"
    named = [clause_id for clause_id in fault.clauses if clause_id in doc]
    missing = set(fault.clauses) - set(named)
    assert named and (fault.kind == RACE or not missing), (
        f"{fault.module} does not name {sorted(missing)} in its docstring"
    )


def _zoo_case(fault):
    return pytest.param(fault, id=str(fault), marks=() if fault.name in QUICK else pytest.mark.zoo)


@pytest.mark.slow
@pytest.mark.parametrize("fault", [_zoo_case(f) for f in FAULTS])
def test_suite_fails_the_fault_naming_its_clause_with_a_shrunk_example(run_pytest, fault):
    result = run_pytest(*fault.selection(PROFILE), timeout=RUN_TIMEOUT)
    text = output(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, text[-5000:]
    reported = VIOLATION.findall(text)
    assert set(reported) & set(fault.clauses), (
        f"expected one of {fault.clauses} to be reported, got {sorted(set(reported))}:\n{text[-5000:]}"
    )
    if fault.test:  # a scenario test: the shrunk scenario's size, not machine steps
        sizes = [(int(p), int(o)) for p, o in SCENARIO_SIZE.findall(text)]
        assert sizes, f"the failure does not print the shrunk scenario:\n{text[-5000:]}"
        processes, operations = sizes[-1]
        assert processes <= MAX_PROCESSES and operations <= MAX_OPERATIONS, (
            f"shrunk scenario too large: {sizes[-1]}\n{text[-5000:]}"
        )
        return
    examples = shrunk_examples(text, fault.clauses) or shrunk_examples(text, None)
    if not examples:
        assert not EXAMPLE.search(text), f"no falsifying example follows the report of {fault.clauses}:\n{text[-5000:]}"
        return  # a fixed test (no generated steps) caught it
    for steps in examples:
        assert 0 < len(steps) <= SHRUNK_STEPS, (
            f"a falsifying example with {len(steps)} steps; was it shrunk? {steps}\n{text[-5000:]}"
        )


def _reference_selections():
    """One reference run per group of suite modules, citing every clause of the sequential faults run there."""
    groups = {}
    for fault in FAULTS:
        if fault.kind != RACE:
            groups.setdefault(fault.suites, set()).update(fault.clauses)
    return [
        pytest.param(
            [
                "--pyargs",
                *suites,
                "-p",
                "tests.citations",
                *[a for c in sorted(clauses) for a in ("--cites", c)],
                "--ipc-profile",
                PROFILE,
            ],
            id="+".join(s.rsplit(".", 1)[-1] for s in suites),
        )
        for suites, clauses in groups.items()
    ]


@pytest.mark.slow
@pytest.mark.parametrize("selection", _reference_selections())
def test_reference_passes_the_tests_that_catch_the_faults(run_pytest, selection):
    result = run_pytest(*selection, "--ipc-adapter", REFERENCE, timeout=RUN_TIMEOUT)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK and outcomes.get("passed", 0) > 0, output(result)
    assert not set(outcomes) - {"passed", "deselected", "warnings"}, output(result)
