"""The JSON report (``--ipc-report``) and the matrix rendered from reports.

The report is produced by running pytest on a tiny test file whose tests
pass, fail a clause (with a Hypothesis falsifying example), crash, skip,
or fail as expected; a crash of the test process itself is checked both
in a plain run (the report left behind blames the running test) and under
pytest-xdist (the crashed worker's test fails its clauses).  The matrix is
rendered from sample reports.
"""

import json
import platform
import re
import sys

import pytest

from conformance import matrix, spec
from tests.conftest import EXAMPLE, REPO_ROOT, output

TESTS = """
import os
import signal

import pytest
from hypothesis import given, strategies as st

from conformance.verdict import expect


@pytest.mark.spec("QUEUE-FIFO-1")
@given(st.integers(min_value=0, max_value=1000))
def test_violates_fifo(n):
    expect("QUEUE-FIFO-1", n < 10, f"item {n} came out first")


@pytest.mark.spec("QUEUE-GET-3", "QUEUE-GET-2")
def test_crashes():
    raise EOFError("the peer died")


@pytest.mark.spec("QUEUE-PUT-1", "QUEUE-PUT-2")
def test_violates_put_only():
    expect("QUEUE-PUT-1", False, "put() returned before storing")
    expect("QUEUE-PUT-2", True, "never reached")


@pytest.mark.spec("QUEUE-PUT-3", "QUEUE-MAXSIZE-2")
def test_checks_one_then_violates_another():
    expect("QUEUE-PUT-3", True, "put(obj, False, 3.0) raised Full at once")
    expect("QUEUE-MAXSIZE-2", False, "put_nowait() raised Full with a slot free")


@pytest.mark.spec("QUEUE-PUT-2", "QUEUE-MAXSIZE-1")
def test_passes():
    expect("QUEUE-PUT-2", True, "put(obj, True, 0.1) raised Full after 0.1s")
    expect("QUEUE-MAXSIZE-1", True, "put_nowait() raised Full")


@pytest.mark.spec("QUEUE-FULL-1")
def test_passes_without_a_check():
    pass


@pytest.mark.spec("PIPE-DUPLEX-1")
@pytest.mark.skip(reason="no pipes here")
def test_skipped():
    pass


@pytest.mark.spec("MGR-PROXY-1")
def test_about_proxies():
    expect("MGR-PROXY-1", True, "a proxy of queue.Queue")


@pytest.mark.spec("QUEUE-GET-1")
def test_expected():
    expect("QUEUE-GET-1", False, "get() returned None")


@pytest.mark.spec("QUEUE-TIMEOUT-1")
def test_kills_its_process():
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.spec("QUEUE-VISIBLE-1")
def test_after_the_kill():
    expect("QUEUE-VISIBLE-1", True, "get() returned the item at once")
"""

EXPECTATIONS = "QUEUE-GET-1: returns None on timeout | https://example.org/issues/3\n"


def clause_table(report):
    return {c["id"]: c for c in report["clauses"]}


@pytest.fixture
def project(pytester):
    pytester.makepyfile(test_cases=TESTS)
    pytester.path.joinpath("impl.expect").write_text(EXPECTATIONS, encoding="utf-8")
    return pytester.path


def test_report_says_what_ran_and_every_clause_outcome(project, run_pytest):
    result = run_pytest(
        "--ipc-adapter",
        "stdlib-spawn",
        "--ipc-profile",
        "ci",
        "--ipc-expectations",
        "impl.expect",
        "--ipc-report",
        "out/{adapter}.json",
        "-k",
        "not kill",
    )
    result.assert_outcomes(passed=2, failed=4, skipped=2, xfailed=1, deselected=2)
    report = json.loads((project / "out" / "stdlib-spawn.json").read_text(encoding="utf-8"))
    assert report["format"] == 2 and report["mode"] == "gate"
    assert report["complete"] is True and report["running"] == [] and report["exit_status"] == 1
    adapter = report["adapter"]
    assert adapter["name"] == "stdlib-spawn"
    assert adapter["version"] == report["python"]["version"] == platform.python_version()
    assert adapter["start_method"] == "spawn" and adapter["mode"] == "processes"
    assert adapter["consistency"] == "eventual" and adapter["traits"] == [] and adapter["lacks"] == {}
    assert adapter["primitives"] == ["Queue", "JoinableQueue", "SimpleQueue", "Pipe"]
    assert report["hypothesis"]["profile"] == "ci"
    assert report["expectations"]["files"] == ["impl.expect"]
    assert report["expectations"]["entries"][0]["status"] == "expected failure"
    clauses = clause_table(report)
    assert list(clauses) == list(spec.CATALOGUE), "every clause, in catalogue order"
    status = {clause: clauses[clause]["status"] for clause in clauses}
    assert status["QUEUE-FIFO-1"] == "failed"
    assert status["QUEUE-GET-3"] == status["QUEUE-GET-2"] == "failed", "a crash fails every clause its test cites"
    assert status["QUEUE-PUT-1"] == status["QUEUE-MAXSIZE-2"] == "failed"
    assert status["QUEUE-PUT-2"] == "passed", "test_passes checked it; test_violates_put_only stopped before it"
    assert status["QUEUE-PUT-3"] == "passed", "its check ran and passed before the test failed on another clause"
    assert status["QUEUE-MAXSIZE-1"] == "passed"
    assert status["PIPE-DUPLEX-1"] == "skipped" and clauses["PIPE-DUPLEX-1"]["reasons"] == ["no pipes here"]
    assert status["QUEUE-GET-1"] == "expected failure"
    assert clauses["QUEUE-GET-1"]["reasons"] == [
        "QUEUE-GET-1: returns None on timeout (https://example.org/issues/3) [impl.expect:1]"
    ]
    assert status["QUEUE-TIMEOUT-1"] == "not run"
    untestable = next(c for c in spec.CATALOGUE.values() if c.untestable)
    assert status[untestable.id] == "untestable" and clauses[untestable.id]["reasons"] == [untestable.untestable]
    # The checks behind each status, over the run: a clause passes on evidence, not on a test's outcome.
    assert clauses["QUEUE-PUT-2"]["checks"] == [1, 0] and clauses["QUEUE-PUT-3"]["checks"] == [1, 0]
    assert clauses["QUEUE-PUT-1"]["checks"] == [0, 1]
    assert clauses["QUEUE-PUT-3"]["tests"] == ["test_cases.py::test_checks_one_then_violates_another"]
    fifo = clauses["QUEUE-FIFO-1"]
    assert fifo["section"] == "queue" and fifo["strength"] == "required" and fifo["statement"]
    text = fifo["failures"][0]["text"]
    assert text.startswith("QUEUE-FIFO-1 violated (required") and "observed: item 10 came out first" in text
    example = EXAMPLE.search(text)
    assert example and text[example.end() :].lstrip().startswith("test_violates_fifo(") and "n=10" in text, (
        "the shrunk counterexample"
    )
    assert clauses["QUEUE-GET-3"]["failures"][0]["text"] == "EOFError: the peer died"
    tests = {t["nodeid"].split("::")[1]: t for t in report["tests"]}
    assert {name: t["outcome"] for name, t in tests.items()} == {
        "test_violates_fifo": "failed",
        "test_crashes": "failed",
        "test_violates_put_only": "failed",
        "test_checks_one_then_violates_another": "failed",
        "test_passes": "passed",
        "test_passes_without_a_check": "passed",
        "test_skipped": "skipped",
        "test_about_proxies": "skipped",
        "test_expected": "expected failure",
    }
    # Per test, the checks it made per clause (the plugin's own hygiene check is one of them).
    assert tests["test_passes"]["evidence"] == {
        "CONC-HYGIENE-1": [1, 0],
        "QUEUE-MAXSIZE-1": [1, 0],
        "QUEUE-PUT-2": [1, 0],
    }
    assert tests["test_violates_put_only"]["evidence"] == {"CONC-HYGIENE-1": [1, 0], "QUEUE-PUT-1": [0, 1]}
    assert tests["test_passes"]["deviations"] == [] and tests["test_passes_without_a_check"]["evidence"] == {
        "CONC-HYGIENE-1": [1, 0]
    }


def test_a_clause_that_does_not_apply_is_skipped_with_the_catalogues_reason(project, run_pytest):
    """MGR-PROXY-1 needs proxy queues: for stdlib-fork the plugin skips its test and the report says why."""
    result = run_pytest("--ipc-adapter", "stdlib-fork", "--ipc-report", "r.json", "-rs", "-k", "proxies or passes")
    result.assert_outcomes(passed=2, skipped=1, deselected=8)
    reason = "MGR-PROXY-1 needs proxy queues, which adapter 'stdlib-fork' does not have"
    result.stdout.fnmatch_lines([f"SKIPPED * {reason}"])
    report = json.loads((project / "r.json").read_text(encoding="utf-8"))
    clauses = clause_table(report)
    proxy = clauses["MGR-PROXY-1"]
    assert (proxy["status"], proxy["reasons"], proxy["checks"]) == ("skipped", [reason], [0, 0])
    # Every proxy clause is skipped, whether or not a test of this run cites it, with the catalogue's reason.
    for clause in spec.in_section("manager_queue"):
        if not clause.untestable and clause.holds_for():
            assert clauses[clause.id]["status"] == "skipped", clauses[clause.id]
            assert clauses[clause.id]["reasons"] == [
                f"{clause.id} needs proxy queues, which adapter 'stdlib-fork' does not have"
            ]
    # A clause a passing test cites but never checks has no evidence: it is not passed.
    full = clauses["QUEUE-FULL-1"]
    assert full["status"] == "not run" and full["checks"] == [0, 0], full
    assert full["reasons"] == ["cited by 1 test(s) that ran without a check of it"]
    assert full["tests"] == ["test_cases.py::test_passes_without_a_check"]
    assert clauses["QUEUE-PUT-2"]["status"] == "passed"


def test_skipped_clauses_render_as_skipped_in_the_matrix(project, run_pytest, tmp_path):
    result = run_pytest("--ipc-adapter", "stdlib-fork", "--ipc-report", "r.json", "-k", "proxies or passes")
    result.assert_outcomes(passed=2, skipped=1, deselected=8)
    assert matrix.main([str(project / "r.json"), "--markdown", str(tmp_path / "m.md")]) == 0
    lines = (tmp_path / "m.md").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("| MGR-PROXY-1 | required | ⏭ |") for line in lines), lines
    assert any(line.startswith("| QUEUE-FULL-1 | unreliable | · |") for line in lines), lines
    assert any(line.startswith("| QUEUE-PUT-2 | required | ✅ |") for line in lines), lines


def test_inconclusive_when_the_only_test_stopped_at_another_clause(project, run_pytest):
    """Its reasons name the test and the failure that stopped it before it checked the clause."""
    result = run_pytest("--ipc-report", "r.json", "-k", "put_only")
    result.assert_outcomes(failed=1, deselected=10)
    clauses = clause_table(json.loads((project / "r.json").read_text(encoding="utf-8")))
    assert clauses["QUEUE-PUT-1"]["status"] == "failed"
    put2 = clauses["QUEUE-PUT-2"]
    assert put2["status"] == "inconclusive" and put2["checks"] == [0, 0]
    assert len(put2["reasons"]) == 1, put2["reasons"]
    assert put2["reasons"][0].startswith(
        "blocked in test_violates_put_only by QUEUE-PUT-1: QUEUE-PUT-1 violated (required, Python 3.8+): "
    ), put2["reasons"]


def test_inconclusive_when_a_tolerated_deviation_ended_the_test_names_the_deviation(project, run_pytest):
    """In gate mode an expected deviation ends the enclosing step; outside any, the test: what it did not check
    is inconclusive, blamed on that deviation, and the test is an expected failure."""
    project.joinpath("put.expect").write_text("QUEUE-PUT-1: put() returns before storing\n", encoding="utf-8")
    result = run_pytest("--ipc-report", "r.json", "--ipc-expectations", "put.expect", "-k", "put_only")
    result.assert_outcomes(xfailed=1, deselected=10)
    report = json.loads((project / "r.json").read_text(encoding="utf-8"))
    clauses = clause_table(report)
    assert clauses["QUEUE-PUT-1"]["status"] == "expected failure"
    put2 = clauses["QUEUE-PUT-2"]
    assert put2["status"] == "inconclusive", put2
    assert put2["reasons"] == [
        "blocked in test_violates_put_only by the deviation of QUEUE-PUT-1: "
        "QUEUE-PUT-1 deviated (expected): put() returned before storing"
    ], put2["reasons"]
    (test,) = report["tests"]
    assert test["outcome"] == "expected failure" and [d["clause"] for d in test["deviations"]] == ["QUEUE-PUT-1"]


def test_no_report_unless_asked(project, run_pytest):
    run_pytest("-k", "test_passes and not without").assert_outcomes(passed=1, deselected=10)
    assert not list(project.rglob("*.json"))


def test_killed_test_process_leaves_a_report_blaming_the_running_test(project, run_pytest):
    result = run_pytest(
        "--ipc-report", "r.json", "-p", "no:faulthandler", "-k", "kill or (test_passes and not without)"
    )
    assert result.ret not in (0, 1), output(result)
    report = json.loads((project / "r.json").read_text(encoding="utf-8"))
    assert report["complete"] is False and report["running"] == ["test_cases.py::test_kills_its_process"]
    clauses = clause_table(report)
    assert clauses["QUEUE-TIMEOUT-1"]["status"] == "failed"
    assert "test process died while running this test" in clauses["QUEUE-TIMEOUT-1"]["failures"][0]["text"]
    assert clauses["QUEUE-PUT-2"]["status"] == "passed"


def test_crashed_xdist_worker_fails_the_clauses_of_its_test_and_the_run_goes_on(project, run_pytest):
    result = run_pytest("--ipc-report", "r.json", "-n", "1", "-k", "kill or after_the_kill")
    result.assert_outcomes(failed=1, passed=1)
    report = json.loads((project / "r.json").read_text(encoding="utf-8"))
    assert report["complete"] is True
    clauses = clause_table(report)
    assert clauses["QUEUE-TIMEOUT-1"]["status"] == "failed"
    assert clauses["QUEUE-TIMEOUT-1"]["failures"][0]["text"].startswith("worker 'gw0' crashed while running")
    assert clauses["QUEUE-VISIBLE-1"]["status"] == "passed", "the evidence of a test on a worker reaches the controller"
    assert clauses["QUEUE-VISIBLE-1"]["checks"] == [1, 0]


# --- the matrix -------------------------------------------------------------------------------


def sample(name, statuses, complete=True, python="3.11.7"):
    """A report with the given clause statuses (other clauses not run)."""
    clauses = []
    for clause in spec.CATALOGUE.values():
        status = statuses.get(clause.id, "not run")
        failures = (
            [{"test": "t.py::test_x", "text": f"{clause.id} violated <b>&\nobserved: 2 before 1"}]
            if status in ("failed", "expected failure")
            else []
        )
        reasons = (
            ["QUEUE-FIFO-1: LIFO by design [x.expect:1]"]
            if status == "expected failure"
            else (["no pipes"] if status == "skipped" else [])
        )
        clauses.append(
            {
                "id": clause.id,
                "section": clause.section,
                "strength": clause.strength.value,
                "versions": clause.versions,
                "statement": clause.statement,
                "status": status,
                "reasons": reasons,
                "failures": failures,
                "tests": [],
            }
        )
    summary = {}
    for c in clauses:
        summary[c["status"]] = summary.get(c["status"], 0) + 1
    return {
        "format": 1,
        "complete": complete,
        "running": [] if complete else ["t.py::test_x"],
        "adapter": {"name": name, "implementation": name + " lib", "version": "1.2", "start_method": "fork"},
        "python": {"version": python},
        "hypothesis": {"profile": "ci"},
        "sections": [{"name": s, "title": spec.section_title(s)} for s in spec.SECTIONS],
        "summary": summary,
        "clauses": clauses,
    }


@pytest.fixture
def reports(tmp_path):
    runs = {
        "good": sample("good", {"QUEUE-FIFO-1": "passed", "PIPE-DUPLEX-1": "passed"}),
        "bad": sample(
            "bad",
            {"QUEUE-FIFO-1": "failed", "PIPE-DUPLEX-1": "skipped", "QUEUE-GET-1": "expected failure"},
            complete=False,
        ),
    }
    paths = []
    for name, data in runs.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        paths.append(str(path))
    return paths


def test_markdown_matrix_has_a_column_per_run_and_rows_by_section(reports, tmp_path):
    assert matrix.main([*reports, "--markdown", str(tmp_path / "m.md")]) == 0
    text = (tmp_path / "m.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "| clause | strength | good · 1.2 · fork | bad · 1.2 · fork |"
    assert f"| **{spec.section_title('queue')}** | | | |" in lines
    assert "| QUEUE-FIFO-1 | required | ✅ | ❌ |" in lines
    assert "| PIPE-DUPLEX-1 | required | ✅ | ⏭ |" in lines
    assert "| QUEUE-GET-1 | required | · | ⚠️ |" in lines
    sections = [line for line in lines if line.startswith("| **") and "summary" not in line]
    assert len(sections) == len(spec.SECTIONS)
    assert "- ❌ **bad · 1.2 · fork** QUEUE-FIFO-1: observed: 2 before 1" in lines
    assert "- ⚠️ **bad · 1.2 · fork** QUEUE-GET-1: QUEUE-FIFO-1: LIFO by design [x.expect:1]" in lines
    assert any("incomplete: the run ended early (running: t.py::test_x)" in line for line in lines)


def test_html_matrix_is_static_with_coloured_cells_and_failure_text(reports, tmp_path):
    assert matrix.main([*reports, "--html", str(tmp_path / "m.html")]) == 0
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert not re.search(r"<script|<link|src=|@import", page), "no scripts, no external resources"
    assert re.search(
        r'<td class="failed" title="bad · 1.2 · fork: failed\nt.py::test_x:\nQUEUE-FIFO-1 violated &lt;b&gt;&amp;', page
    )
    assert (
        "<details><summary>❌</summary><pre>t.py::test_x:\nQUEUE-FIFO-1 violated &lt;b&gt;&amp;\nobserved: 2 "
        "before 1</pre></details>" in page
    )
    assert (
        '<td class="expected-failure"' in page and '<td class="skipped" title="bad · 1.2 · fork: not applicable' in page
    )
    assert "td.failed { background:" in page


def test_matrix_names_the_python_when_runs_differ(tmp_path):
    paths = []
    for python in ("3.9.18", "3.13.0"):
        path = tmp_path / f"{python}.json"
        path.write_text(json.dumps(sample("stdlib", {}, python=python)), encoding="utf-8")
        paths.append(str(path))
    assert matrix.markdown(matrix.load(paths)).splitlines()[0] == (
        "| clause | strength | stdlib · 1.2 · fork · Python 3.9.18 | stdlib · 1.2 · fork · Python 3.13.0 |"
    )


@pytest.mark.slow
def test_run_matrix_tool_runs_each_adapter_and_renders(tmp_path, pytester, monkeypatch):
    """tools/run_matrix.py on a two-test selection: reports, matrix files, and exit 1 for an adapter that cannot
    load."""
    from tests.conftest import clean_environment

    clean_environment(monkeypatch)
    out = tmp_path / "reports"
    result = pytester.run(
        sys.executable,
        str(REPO_ROOT / "tools" / "run_matrix.py"),
        "--out",
        str(out),
        "stdlib-fork",
        "no-such-adapter",
        "--",
        "-k",
        "test_pipe_default_is_duplex",
        timeout=120,
    )
    assert result.ret == 1, output(result)
    assert sorted(p.name for p in out.iterdir()) == ["matrix.html", "matrix.md", "stdlib-fork.json"]
    report = json.loads((out / "stdlib-fork.json").read_text(encoding="utf-8"))
    assert report["run"] == {"exit_status": 0, "problems": []}
    assert clause_table(report)["PIPE-DUPLEX-1"]["status"] == "passed"
    assert "| PIPE-DUPLEX-1 | required | ✅ |" in (out / "matrix.md").read_text(encoding="utf-8")
    assert "no-such-adapter: no report" in output(result)
