"""The verdict model: evidence per clause, continuation after a tolerated deviation, survey mode.

Every check is recorded in the running test's ledger (:mod:`conformance.evidence`).
A failed check of a clause the run tolerates (gate mode: the clauses an
expectations file lists; survey mode, ``--ipc-survey``: every clause)
ends only the enclosing step, and the test goes on checking the others.
So a known deviation no longer hides the clauses a test checks after it:

* tiny pytester cases pin the mechanics (a ``continuing()`` block, a
  machine rule, a test that deviates and then fails on an unlisted clause,
  ``--ipc-require-evidence``);
* the queue section runs on :mod:`tests.faults.get_raises_own_empty` (a
  Queue whose gets raise an ``Empty`` class of their own) in gate mode with
  an expectations file listing its clauses, in gate mode without one, and
  in survey mode, and its report is compared clause by clause with a
  reference run of the same selection (the ``ci`` profile is derandomised,
  and the queue machine chooses its rules from its model alone, so both runs
  make the same calls; only the fault's answers differ).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import spec
from tests.conftest import REPO_ROOT, SELECTION_VARIABLES, output
from tests.faults.get_raises_own_empty import VIOLATES
from tests.test_faults import SHRUNK_STEPS, VIOLATION, shrunk_examples

# --- the mechanics, on tiny tests ------------------------------------------------------------------

TESTS = '''
import pytest
from hypothesis import settings
from hypothesis.stateful import initialize, precondition, rule, run_state_machine_as_test

from conformance.evidence import continuing
from conformance.machines.base import ConformanceMachine, step
from conformance.verdict import expect


@pytest.mark.spec("QUEUE-GET-3", "QUEUE-PUT-2")
def test_deviates_in_a_block_then_checks_another_clause():
    with continuing():
        expect("QUEUE-GET-3", True, "get_nowait() raised queue.Empty")
        expect("QUEUE-GET-3", False, "get_nowait() raised OwnEmpty")
        expect("QUEUE-PUT-2", True, "never reached: the deviation ends the block")
    expect("QUEUE-PUT-2", True, "put(obj, True, 0.1) raised Full after 0.1s")


@pytest.mark.spec("QUEUE-GET-3", "QUEUE-PUT-2")
def test_deviates_then_violates_an_unlisted_clause():
    with continuing():
        expect("QUEUE-GET-3", False, "get_nowait() raised OwnEmpty")
    expect("QUEUE-PUT-2", False, "put(obj, True, 0.1) returned at once")


class Machine(ConformanceMachine):
    """An example checks, then may deviate; after a deviation the rest of the example is set aside."""

    checked = False

    @initialize()
    @step
    def begin(self):
        expect("QUEUE-FIFO-1", True, "got 1 then 2")

    @rule()
    @step
    def check(self):
        self.checked = True
        expect("QUEUE-DELIVERY-1", True, "got what was put")

    @precondition(lambda self: self.checked)
    @rule()
    @step
    def deviate(self):
        expect("QUEUE-GET-3", False, "get(False) raised OwnEmpty")
        expect("QUEUE-PUT-2", True, "never reached: the deviation ends the step")


@pytest.mark.spec("QUEUE-FIFO-1", "QUEUE-GET-3", "QUEUE-DELIVERY-1", "QUEUE-PUT-2", any=True)
def test_machine_deviates_in_a_rule():
    examples = settings(max_examples=20, stateful_step_count=6, derandomize=True, database=None)
    run_state_machine_as_test(lambda: Machine(None), settings=examples)


@pytest.mark.spec("QUEUE-FIFO-1")
def test_checks_what_it_cites():
    expect("QUEUE-FIFO-1", True, "got 1 then 2")


@pytest.mark.spec("QUEUE-FIFO-1", "QUEUE-DELIVERY-1")
def test_checks_one_of_two_clauses_it_cites():
    expect("QUEUE-FIFO-1", True, "got 1 then 2")


@pytest.mark.spec("QUEUE-FIFO-1")
def test_checks_nothing():
    pass


@pytest.mark.spec("QUEUE-FIFO-1", "QUEUE-DELIVERY-1", any=True)
def test_explores_and_checks_what_it_meets():
    expect("QUEUE-FIFO-1", True, "got 1 then 2")


@pytest.mark.spec("QUEUE-FIFO-1")
def test_holds_back_a_failure_that_did_not_reproduce():
    """As the scenario runner does with a race that failed once and not again when its example ran again."""
    from conformance import evidence

    expect("QUEUE-FIFO-1", True, "got 1 then 2")
    try:
        expect("QUEUE-FIFO-1", False, "got 2 then 1")
    except AssertionError as violation:
        evidence.current().unreproduced.append(evidence.HeldFailure("QUEUE-FIFO-1", f"{violation}\\nheld back"))
'''

GET_3_EXPECTED = "QUEUE-GET-3: raises its own Empty class\n"


@pytest.fixture
def cases(pytester):
    pytester.makepyfile(test_cases=TESTS)
    pytester.path.joinpath("impl.expect").write_text(GET_3_EXPECTED, encoding="utf-8")
    return pytester.path


def read_report(path: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """``(clauses by ID, tests by name)`` of a JSON report."""
    report = json.loads(path.read_text(encoding="utf-8"))
    return {c["id"]: c for c in report["clauses"]}, {t["nodeid"].split("::")[-1]: t for t in report["tests"]}


def test_a_tolerated_deviation_ends_its_block_and_the_test_checks_on(cases, run_pytest):
    result = run_pytest(
        "--ipc-expectations", "impl.expect", "--ipc-report", "r.json", "-rxf", "-k", "deviates_in_a_block"
    )
    result.assert_outcomes(xfailed=1, deselected=7)
    result.stdout.fnmatch_lines(
        [
            "XFAIL *::test_deviates_in_a_block_then_checks_another_clause - QUEUE-GET-3: raises its own Empty "
            "class [[]impl.expect:1]"
        ]
    )
    clauses, tests = read_report(cases / "r.json")
    test = tests["test_deviates_in_a_block_then_checks_another_clause"]
    assert test["outcome"] == "expected failure"
    assert test["evidence"]["QUEUE-GET-3"] == [1, 1] and test["evidence"]["QUEUE-PUT-2"] == [1, 0], test["evidence"]
    assert [(d["clause"], d["tolerance"]) for d in test["deviations"]] == [("QUEUE-GET-3", "expected")]
    assert test["deviations"][0]["text"] == "QUEUE-GET-3 deviated (expected): get_nowait() raised OwnEmpty"
    assert clauses["QUEUE-GET-3"]["status"] == "expected failure"
    assert clauses["QUEUE-PUT-2"]["status"] == "passed" and clauses["QUEUE-PUT-2"]["checks"] == [1, 0]


def test_a_deviation_then_a_failure_of_an_unlisted_clause_is_a_failure(cases, run_pytest):
    result = run_pytest("--ipc-expectations", "impl.expect", "--ipc-report", "r.json", "-k", "unlisted")
    result.assert_outcomes(failed=1, deselected=7)
    assert "QUEUE-PUT-2 violated" in output(result)
    clauses, tests = read_report(cases / "r.json")
    assert tests["test_deviates_then_violates_an_unlisted_clause"]["outcome"] == "failed"
    assert clauses["QUEUE-PUT-2"]["status"] == "failed"
    assert clauses["QUEUE-GET-3"]["status"] == "expected failure"


def test_a_deviation_in_a_machine_rule_sets_the_example_aside_and_the_next_ones_run(cases, run_pytest):
    result = run_pytest("--ipc-expectations", "impl.expect", "--ipc-report", "r.json", "-k", "machine")
    result.assert_outcomes(xfailed=1, deselected=7)
    clauses, tests = read_report(cases / "r.json")
    evidence = tests["test_machine_deviates_in_a_rule"]["evidence"]
    # Every example begins afresh (one check of QUEUE-FIFO-1 each) and checks QUEUE-DELIVERY-1 before it can
    # deviate; the deviation ends its step, so PUT-2 is never checked, and sets the example aside, so no
    # example deviates twice.
    examples = evidence["QUEUE-FIFO-1"][0]
    assert examples > 1 and evidence["QUEUE-FIFO-1"][1] == 0, evidence
    assert evidence["QUEUE-DELIVERY-1"][0] >= 1 and evidence["QUEUE-DELIVERY-1"][1] == 0, evidence
    assert 1 <= evidence["QUEUE-GET-3"][1] <= examples and "QUEUE-PUT-2" not in evidence, evidence
    assert clauses["QUEUE-FIFO-1"]["status"] == clauses["QUEUE-DELIVERY-1"]["status"] == "passed"
    assert clauses["QUEUE-GET-3"]["status"] == "expected failure"
    put2 = clauses["QUEUE-PUT-2"]
    assert put2["status"] == "inconclusive", put2
    assert put2["reasons"] and all("by the deviation of QUEUE-GET-3" in r for r in put2["reasons"]), put2["reasons"]
    (deviation,) = tests["test_machine_deviates_in_a_rule"]["deviations"]
    assert deviation["text"].startswith(
        "QUEUE-GET-3 deviated (expected): get(False) raised OwnEmpty\n  after the steps:\n"
    )
    assert deviation["text"].endswith("    state.deviate()"), deviation["text"]


def test_without_the_entry_the_deviation_is_a_violation(cases, run_pytest):
    result = run_pytest("-k", "deviates_in_a_block")
    result.assert_outcomes(failed=1, deselected=7)
    assert "QUEUE-GET-3 violated (required" in output(result)


def test_require_evidence_fails_a_test_that_cites_what_it_never_checks(cases, run_pytest):
    """``--ipc-require-evidence``: a fixed test must check every clause it cites that applies (machines and
    scenario tests, ``any=True``, check what they meet and are exempt)."""
    selection = ("-k", "checks_what or checks_one or checks_nothing or explores", "-rf")
    plain = run_pytest(*selection)
    plain.assert_outcomes(passed=4, deselected=4)
    result = run_pytest("--ipc-require-evidence", *selection)
    result.assert_outcomes(passed=2, failed=2, deselected=4)
    failed = sorted(line.split("::")[1].split(" ")[0] for line in result.outlines if line.startswith("FAILED "))
    assert failed == ["test_checks_nothing", "test_checks_one_of_two_clauses_it_cites"], output(result)
    text = output(result)
    for clause in ("QUEUE-DELIVERY-1", "QUEUE-FIFO-1"):
        assert (
            f"ipc-conformance: the test cites {clause} but ran no check of it: cite only what the test checks" in text
        )
    assert "cites QUEUE-FIFO-1, QUEUE-DELIVERY-1" not in text, "only the clause it did not check is named"


def test_a_test_whose_only_failure_did_not_reproduce_fails_at_its_end(cases, run_pytest):
    """A failure held back (``Ledger.unreproduced``) fails a test that otherwise passed, naming its clause."""
    result = run_pytest("--ipc-report", "r.json", "-k", "holds_back")
    result.assert_outcomes(failed=1, deselected=7)
    text = output(result)
    assert "1 failure(s) seen once, each held back because running its example again did not reproduce it" in text
    assert "QUEUE-FIFO-1 violated" in text and "held back" in text
    clauses, tests = read_report(cases / "r.json")
    test = tests["test_holds_back_a_failure_that_did_not_reproduce"]
    assert test["outcome"] == "failed" and test["evidence"]["QUEUE-FIFO-1"] == [1, 1], test
    assert clauses["QUEUE-FIFO-1"]["status"] == "failed"


# --- the queue section on a fault, against the reference -------------------------------------------

FAULT = "tests.faults.get_raises_own_empty:ADAPTER"
REFERENCE = "stdlib-fork"  # the fault wraps the fork context's Queue
#: The queue section under the derandomised profile: the same calls in every run.
QUEUE_SECTION = ("--pyargs", "conformance.suite.test_queue", "--ipc-profile", "ci")
#: A run of the queue section takes seconds; a hang inside it costs deadlines.
RUN_TIMEOUT = 600


def run_section(
    directory: Path, name: str, *args: str
) -> tuple[subprocess.CompletedProcess, dict[str, dict], dict[str, dict]]:
    """pytest on the queue section in a subprocess (a clean environment, the repository importable), with a report."""
    env = {k: v for k, v in os.environ.items() if k not in SELECTION_VARIABLES and not k.startswith("IPC_CONFORMANCE_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    report = directory / f"{name}.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *QUEUE_SECTION,
            "--ipc-report",
            str(report),
            "-rA",
            *args,
        ],
        cwd=str(directory),
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert report.exists(), run.stdout + run.stderr
    clauses, tests = read_report(report)
    return run, clauses, tests


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("queue-section")
    directory.joinpath("own-empty.expect").write_text(
        "".join(f"{clause}: get() raises the implementation's own Empty class\n" for clause in VIOLATES),
        encoding="utf-8",
    )
    return directory


@pytest.fixture(scope="module")
def reference(workdir):
    """The reference's clause statuses on the same selection: what the fault run can have checked at most."""
    run, clauses, _ = run_section(workdir, "reference", "--ipc-adapter", REFERENCE)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    return clauses


def failures(tests: dict[str, dict]) -> str:
    """The failures and deviations of a run's tests, briefly, for an assertion message."""
    lines = []
    for name, test in tests.items():
        for failure in test["failures"]:
            lines.append(f"{name} [{test['outcome']}]: {failure['clause']}: {failure['text'][:600]}")
        for deviation in test["deviations"]:
            lines.append(f"{name} [{test['outcome']}]: deviation {deviation['text'][:300]}")
    return "\n".join(lines)


def cited_by(tests: dict[str, dict]) -> set:
    return {clause for test in tests.values() for clause in test["clauses"]}


def assert_not_masked(clauses: dict[str, dict], tests: dict[str, dict], reference: dict[str, dict]) -> None:
    """Every clause the selection cites, other than the fault's, ends as on the reference.

    A clause the reference passed must be passed: its checks ran in the
    fault run too, after the deviations.  A clause no check of the
    reference run reached (it is "not run" there) may show as inconclusive,
    but then its reasons must name one of the fault's deviations: the report
    cannot tell whether the deviation kept a check of it from running.
    """
    others = sorted(cited_by(tests) - set(VIOLATES))
    passed = [c for c in others if reference[c]["status"] == "passed"]
    assert len(passed) >= 20, f"the reference passed only {passed}: the comparison would prove little"
    masked = {c: (clauses[c]["status"], clauses[c]["reasons"]) for c in passed if clauses[c]["status"] != "passed"}
    assert not masked, f"clauses the reference passed that the fault run did not: {masked}"
    for clause in others:
        if clause in passed:
            assert clauses[clause]["checks"][0] > 0 and clauses[clause]["checks"][1] == 0, (clause, clauses[clause])
            continue
        got, expected = clauses[clause]["status"], reference[clause]["status"]
        if expected == "not run" and got == "inconclusive":
            blockers = clauses[clause]["reasons"]
            # "blocked in T by the deviation of X: ..." (gate), "blocked in T by X: X deviated ..." (survey: T failed).
            named = [
                re.match(r"blocked in \w+ by (?:the deviation of )?([A-Z]+(?:-[A-Z]+)*-\d+): ", r) for r in blockers
            ]
            assert blockers and all(m and m.group(1) in VIOLATES for m in named), (clause, blockers)
        else:
            assert got == expected, (clause, got, expected, clauses[clause]["reasons"])


@pytest.mark.slow
def test_gate_run_with_the_deviations_listed_passes_and_masks_no_other_clause(workdir, reference):
    run, clauses, tests = run_section(workdir, "gate", "--ipc-adapter", FAULT, "--ipc-expectations", "own-empty.expect")
    assert run.returncode == 0, failures(tests) or run.stdout[-3000:] + run.stderr[-3000:]
    outcomes = {name: test["outcome"] for name, test in tests.items()}
    assert set(outcomes.values()) <= {"passed", "expected failure", "skipped"}, outcomes
    xfailed = {name for name, outcome in outcomes.items() if outcome == "expected failure"}
    assert {"test_queue_machine", "test_get_timeout_is_honoured_and_ignored_without_block"} <= xfailed, outcomes
    for name in xfailed:
        assert {d["clause"] for d in tests[name]["deviations"]} <= set(VIOLATES), failures(tests)
        assert all(d["tolerance"] == "expected" for d in tests[name]["deviations"])
    for clause in VIOLATES:
        assert clauses[clause]["status"] == "expected failure", clauses[clause]
        assert clauses[clause]["checks"][1] > 0
    assert_not_masked(clauses, tests, reference)


@pytest.mark.slow
def test_gate_run_without_the_entries_fails_naming_the_clause_with_a_shrunk_example(workdir):
    run, clauses, tests = run_section(workdir, "unlisted", "--ipc-adapter", FAULT)
    text = run.stdout + run.stderr
    assert run.returncode == 1, text[-5000:]
    failed = {name for name, test in tests.items() if test["outcome"] == "failed"}
    assert {"test_queue_machine", "test_get_timeout_is_honoured_and_ignored_without_block"} <= failed, failed
    named = {f["clause"] for test in tests.values() for f in test["failures"]}
    assert named and named <= set(VIOLATES), (
        f"the failures name {sorted(named)}, expected among {VIOLATES}:\n{failures(tests)}"
    )
    assert any(f["clause"] in VIOLATES for f in tests["test_queue_machine"]["failures"]), tests["test_queue_machine"]
    examples = shrunk_examples(text, VIOLATES)
    assert examples, f"no shrunk example follows the machine's violation:\n{text[-5000:]}"
    for steps in examples:
        assert 0 < len(steps) <= SHRUNK_STEPS, f"a falsifying example with {len(steps)} steps; was it shrunk? {steps}"
    assert any(clauses[c]["status"] == "failed" for c in VIOLATES)


@pytest.mark.slow
def test_survey_run_lists_every_deviation_and_grades_every_clause(workdir, reference):
    run, clauses, tests = run_section(workdir, "survey", "--ipc-adapter", FAULT, "--ipc-survey")
    text = run.stdout + run.stderr
    assert run.returncode == 1, text[-5000:]
    assert {d["clause"] for test in tests.values() for d in test["deviations"]} == set(VIOLATES), failures(tests)
    assert json.loads((workdir / "survey.json").read_text(encoding="utf-8"))["mode"] == "survey"
    deviated = {name: test for name, test in tests.items() if test["deviations"]}
    assert {"test_queue_machine", "test_get_timeout_is_honoured_and_ignored_without_block"} <= set(deviated), tests
    for name, test in deviated.items():
        assert test["outcome"] == "failed", (name, test["outcome"])
        (failure_text,) = {f["longrepr"] for f in test["failures"]}
        clauses_deviated = [d["clause"] for d in test["deviations"]]
        assert (
            f"ipc-conformance survey: {len(clauses_deviated)} clause(s) deviated with no expectations entry:"
            in failure_text
        )
        for clause in clauses_deviated:
            assert re.search(rf"^{clause} deviated \(surveyed\): ", failure_text, re.MULTILINE), (clause, failure_text)
            assert f"{clause} deviated (surveyed)" in text, "the terminal shows it too"
    assert set(VIOLATES) <= {d["clause"] for d in tests["test_queue_machine"]["deviations"]}
    assert "after the steps:\n    state.create(" in tests["test_queue_machine"]["failures"][0]["longrepr"]
    for clause in VIOLATES:
        entry = clauses[clause]
        assert entry["status"] == "failed" and entry["checks"][1] > 0, entry
        assert entry["failures"] and all(
            f["text"].startswith(f"{clause} deviated (surveyed): ") for f in entry["failures"]
        )
    assert_not_masked(clauses, tests, reference)
    assert not VIOLATION.findall(text), "a survey raises no violation: every failed check is a recorded deviation"


def test_the_fault_names_its_clauses():
    import tests.faults.get_raises_own_empty as fault

    for clause in VIOLATES:
        assert clause in spec.CATALOGUE and clause in fault.__doc__
