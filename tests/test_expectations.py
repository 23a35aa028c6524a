"""Expectations files: the format, expected failures by clause and by test, strictness, warnings.

The parser is tested directly; the semantics by running pytest on tiny
test files that fail (or not) with a ClauseViolation, or crash, against
an expectations file (see :mod:`conformance.expectations`).
"""

import json

import pytest

from conformance import expectations, spec
from conformance.expectations import ExpectationsError, matches_nodeid
from tests.conftest import output

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR

# --- the format ------------------------------------------------------------------------------


def test_entries_comments_blank_lines_urls_and_node_ids():
    text = """
# billiard's known deviations

QUEUE-GET-3: raises its own Empty | https://github.com/celery/billiard/issues/1
test_pipe.py::test_pipe_machine[simplex]: poll() on a write-only end raises
  test_queue.py::TestX::test_y:  padded reason | with a | in it | http://x.org/1
"""
    entries = expectations.parse(text, "billiard.expect")
    assert [(e.key, e.reason, e.url, e.line) for e in entries] == [
        ("QUEUE-GET-3", "raises its own Empty", "https://github.com/celery/billiard/issues/1", 4),
        ("test_pipe.py::test_pipe_machine[simplex]", "poll() on a write-only end raises", None, 5),
        ("test_queue.py::TestX::test_y", "padded reason | with a | in it", "http://x.org/1", 6),
    ]
    assert [e.is_clause for e in entries] == [True, False, False]
    assert entries[0].describe() == (
        "QUEUE-GET-3: raises its own Empty (https://github.com/celery/billiard/issues/1) [billiard.expect:4]"
    )


@pytest.mark.parametrize(
    "line, problem",
    [
        ("QUEUE-GET-3 raises its own Empty", "no ':' after the key"),
        (": a reason without a key", "empty key"),
        ("QUEUE-GET-99: no such clause", "unknown clause id 'QUEUE-GET-99'"),
        ("queue get: neither", "'queue get' is neither a clause ID nor a test node id"),
        ("QUEUE-GET-3:", "entry 'QUEUE-GET-3' gives no reason"),
        ("QUEUE-GET-3: reason | see the docs", "'see the docs' after ' | ' is not a URL"),
    ],
)
def test_malformed_line_names_file_line_problem_and_fix(line, problem):
    text = "# header\n\nQUEUE-FIFO-1: fine\n" + line + "\n"
    with pytest.raises(ExpectationsError) as raised:
        expectations.parse(text, "x.expect")
    message = str(raised.value)
    assert message.startswith(f"x.expect:4: {problem}"), message
    assert "; fix: " in message


def test_a_key_listed_twice_names_both_lines():
    with pytest.raises(ExpectationsError, match=r"^x.expect:3: 'QUEUE-FIFO-1' is listed twice \(first on line 1\)"):
        expectations.parse("QUEUE-FIFO-1: a\nQUEUE-GET-3: b\nQUEUE-FIFO-1: c\n", "x.expect")


@pytest.mark.parametrize(
    "key, nodeid, matches",
    [
        ("test_pipe.py::test_x", "conformance/suite/test_pipe.py::test_x", True),
        ("test_pipe.py::test_x", "test_pipe.py::test_x", True),
        ("test_pipe.py::test_x", "conformance/suite/test_pipe.py::test_x[duplex]", True),
        ("test_pipe.py::test_x[duplex]", "conformance/suite/test_pipe.py::test_x[duplex]", True),
        ("test_pipe.py::test_x[duplex]", "conformance/suite/test_pipe.py::test_x[simplex]", False),
        ("test_pipe.py::test_x", "conformance/suite/test_pipe.py::test_x_more", False),
        ("test_pipe.py::test_x", "conformance/suite/other_test_pipe.py::test_x", False),
        ("TestA::test_x", "suite/test_q.py::TestA::test_x", True),
    ],
)
def test_node_id_keys_match_a_suffix_at_a_boundary(key, nodeid, matches):
    assert matches_nodeid(key, nodeid) is matches


# --- the semantics -----------------------------------------------------------------------------

TESTS = """
import pytest
from conformance.verdict import expect

@pytest.mark.spec("QUEUE-FIFO-1")
def test_violates_fifo():
    expect("QUEUE-FIFO-1", False, "got 2 before 1")

@pytest.mark.spec("QUEUE-FIFO-1", "QUEUE-GET-3")
def test_violates_get():
    expect("QUEUE-GET-3", False, "get_nowait() raised OSError")

@pytest.mark.spec("QUEUE-GET-2")
def test_violates_get_listed():
    expect("QUEUE-GET-3", False, "get_nowait() raised OSError")

@pytest.mark.spec("QUEUE-GET-2")
def test_crashes():
    raise EOFError("the peer died")

@pytest.mark.spec("QUEUE-GET-2")
def test_crashes_listed():
    raise EOFError("the peer died")

@pytest.mark.spec("QUEUE-PUT-1")
def test_passes():
    expect("QUEUE-PUT-1", True, "")

@pytest.mark.spec("QUEUE-PUT-1")
def test_passes_without_a_check():
    pass
"""

#: Entries for the failing tests above: two clauses, two tests.
FAILURES_EXPECTED = """\
QUEUE-FIFO-1: LIFO by design | https://example.org/issues/7
QUEUE-GET-2: does not block
test_cases.py::test_violates_get_listed: wrong exception
test_cases.py::test_crashes_listed: the peer dies at exit
"""


def run_with(pytester, run_pytest, expect_text, *args, env=None):
    pytester.makepyfile(test_cases=TESTS)
    pytester.path.joinpath("impl.expect").write_text(expect_text, encoding="utf-8")
    return run_pytest("--ipc-expectations", "impl.expect", "-rfxX", *args, env=env)


def test_which_failures_are_expected(pytester, run_pytest):
    """By clause: only violations of listed clauses.  By node id: any failure, crashes included."""
    result = run_with(pytester, run_pytest, FAILURES_EXPECTED, "-k", "not passes")
    result.assert_outcomes(xfailed=3, failed=2)
    assert "QUEUE-GET-3 violated" in output(result)
    result.stdout.fnmatch_lines_random(
        [
            "XFAIL *::test_violates_fifo - QUEUE-FIFO-1: LIFO by design (https://example.org/issues/7) "
            "[[]impl.expect:1]",
            "XFAIL *::test_violates_get_listed - test_cases.py::test_violates_get_listed: wrong exception "
            "[[]impl.expect:3]",
            "XFAIL *::test_crashes_listed - test_cases.py::test_crashes_listed: the peer dies at exit "
            "[[]impl.expect:4]",
            # It cites the expected QUEUE-FIFO-1 but violates QUEUE-GET-3, which has no entry.
            "FAILED *::test_violates_get - conformance.verdict.ClauseViolation*",
            # It cites the expected QUEUE-GET-2, but a crash names no clause.
            "FAILED *::test_crashes - EOFError: the peer died",
        ]
    )


def test_expected_failure_that_passes_fails_the_run_naming_entry_and_line(pytester, run_pytest):
    result = run_with(pytester, run_pytest, "# fixed upstream?\nQUEUE-PUT-1: put() loses items\n", "-k", "test_passes")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output(result)
    result.stdout.fnmatch_lines(
        [
            "*expected failures that did not fail (strict)*",
            "impl.expect:2: 'QUEUE-PUT-1' was expected to fail but the 1 test(s) of it that ran did not fail for it*",
        ]
    )


def test_entry_whose_clause_no_check_judged_is_not_an_unexpected_pass(pytester, run_pytest):
    """A clause entry is graded by checks of its clause: a test that cites it but never checks it proves nothing."""
    result = run_with(
        pytester, run_pytest, "QUEUE-PUT-1: put() loses items\n", "-k", "without_a_check", "--ipc-report", "r.json"
    )
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK, output(result)
    assert "did not fail (strict)" not in output(result)
    report = json.loads(pytester.path.joinpath("r.json").read_text(encoding="utf-8"))
    assert [e["status"] for e in report["expectations"]["entries"]] == ["not run"]


def test_intermittent_entry_that_passes_is_not_an_unexpected_pass(pytester, run_pytest):
    """A race caught in some runs only: its entry expects the failure when it shows and allows a pass."""
    result = run_with(
        pytester,
        run_pytest,
        "QUEUE-PUT-1: (intermittent) loses an item under contention\n",
        "-k",
        "test_passes and not without",
    )
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK, output(result)
    failing = run_with(pytester, run_pytest, "QUEUE-FIFO-1: (intermittent) reorders under contention\n", "-k", "fifo")
    failing.assert_outcomes(xfailed=1)


def test_strictness_waits_for_every_test_of_the_entry(pytester, run_pytest):
    """A deselected test might be the one that fails: a partial run is not an unexpected pass."""
    partial = run_with(pytester, run_pytest, "QUEUE-FIFO-1: LIFO\n", "-k", "test_violates_get")
    partial.assert_outcomes(failed=2)
    assert "did not fail (strict)" not in output(partial)


def test_entry_for_a_clause_this_python_does_not_grade_is_not_strict(pytester, run_pytest):
    """An expectations file may list version-specific clauses side by side; the other version's cannot fail.

    The test cites both clauses (``any=True``: it runs while one applies) and
    checks both: the check of the other version's clause is not graded, so
    nothing fails, and its entry is not an unexpected pass either.
    """
    ungraded = next((c.id for c in spec.CATALOGUE.values() if not c.holds_for()), None)
    if ungraded is None:
        pytest.skip("every clause holds for this Python version")
    pytester.makepyfile(
        f"""
        import pytest
        from conformance.verdict import expect

        @pytest.mark.spec("QUEUE-PUT-1", "{ungraded}", any=True)
        def test_passes():
            expect("QUEUE-PUT-1", True, "")
            expect("{ungraded}", False, "not graded on this version")
        """
    )
    pytester.path.joinpath("impl.expect").write_text(f"{ungraded}: only on other versions\n", encoding="utf-8")
    result = run_pytest("--ipc-expectations", "impl.expect", "--ipc-report", "r.json")
    result.assert_outcomes(passed=1)
    assert result.ret == 0, output(result)
    report = json.loads(pytester.path.joinpath("r.json").read_text(encoding="utf-8"))
    assert [e["status"] for e in report["expectations"]["entries"]] == ["not graded on this Python version"]


def test_entry_matching_no_test_warns_naming_it_and_its_line(pytester, run_pytest):
    result = run_with(
        pytester,
        run_pytest,
        "QUEUE-FIFO-1: LIFO\ntest_cases.py::test_gone: renamed\nQUEUE-MAXSIZE-1: unused\n",
        "-k",
        "fifo",
    )
    result.assert_outcomes(xfailed=1, warnings=2)
    text = output(result)
    assert "entry 'test_cases.py::test_gone' (impl.expect:2) matches no collected test" in text
    assert "entry 'QUEUE-MAXSIZE-1' (impl.expect:3) matches no collected test" in text
    assert result.ret == 0


def test_malformed_file_is_a_usage_error_with_the_line(pytester, run_pytest):
    result = run_with(pytester, run_pytest, "QUEUE-FIFO-1: fine\n\nQUEUE-GET-3 no colon\n")
    assert result.ret == USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert errors == [
        "ERROR: ipc-conformance expectations: impl.expect:3: no ':' after the key in "
        "'QUEUE-GET-3 no colon'; fix: write 'KEY: REASON [| URL]'"
    ], output(result)


def test_missing_file_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(test_cases=TESTS)
    result = run_pytest("--ipc-expectations", "nowhere.expect")
    assert result.ret == USAGE_ERROR
    assert "nowhere.expect: cannot read expectations file" in output(result)


ADAPTER_WITH_EXPECTATIONS = """
from pathlib import Path
from dataclasses import replace
from implementations.stdlib import fork

ADAPTER = replace(fork(), name="with-expectations", expectations=str(Path(__file__).with_name("adapter.expect")))
"""


def test_adapter_default_file_environment_and_option(pytester, run_pytest):
    pytester.makepyfile(test_cases=TESTS, my_adapter=ADAPTER_WITH_EXPECTATIONS)
    pytester.path.joinpath("adapter.expect").write_text("QUEUE-FIFO-1: the adapter's own\n", encoding="utf-8")
    pytester.path.joinpath("mine.expect").write_text("QUEUE-FIFO-1: the adopter's\n", encoding="utf-8")
    default = run_pytest("--ipc-adapter", "my_adapter:ADAPTER", "-rx", "-k", "fifo")
    default.stdout.fnmatch_lines(["XFAIL * - QUEUE-FIFO-1: the adapter's own [[]*adapter.expect:1]"])
    from_env = run_pytest(
        "--ipc-adapter", "my_adapter:ADAPTER", "-rx", "-k", "fifo", env={expectations.ENV_VAR: "mine.expect"}
    )
    from_env.stdout.fnmatch_lines(["XFAIL * - QUEUE-FIFO-1: the adopter's [[]mine.expect:1]"])
    option = run_pytest("--ipc-adapter", "my_adapter:ADAPTER", "--ipc-expectations", "mine.expect", "-rx", "-k", "fifo")
    option.stdout.fnmatch_lines(["XFAIL * - QUEUE-FIFO-1: the adopter's [[]mine.expect:1]"])
