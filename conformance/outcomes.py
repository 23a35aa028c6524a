"""What each test's outcome says about the clauses: evidence, expectations and the JSON report.

:class:`Outcomes` is the pytest plugin object behind ``--ipc-expectations``,
``--ipc-report`` and survey mode (registered by :mod:`conformance.plugin`).
While a suite test runs it keeps the test's :class:`~conformance.evidence.Ledger`
active, with the run's tolerance: the clauses the expectations list (and,
in survey mode, every clause) deviate without stopping the test.  For every
test report it records the clauses the test cites, the checks that ran per
clause, the tolerated deviations and, for a failure, what failed, leaf by
leaf (a Hypothesis exception group has one leaf per distinct bug):

- a :class:`~conformance.verdict.ClauseViolation` is a failure *of the
  clause it names*;
- anything else (a worker killed by a signal, a hang caught by the
  watchdog or pytest-timeout, a crashed xdist worker) names no clause: it
  could have come from any step, so it is a failure *of every clause the
  test cites*.

A test that only deviated as its expectations say is an expected failure;
in survey mode, one that deviated where no entry says so fails at the end,
listing every such deviation.  These attributions drive
:mod:`conformance.expectations` and the per-clause outcomes of
:mod:`conformance.report`.  They travel as plain attributes of the test
reports (``ipc_clauses``, ``ipc_evidence``, ``ipc_deviations``,
``ipc_failures``), so they survive pytest-xdist.
"""

import os
import warnings
from collections.abc import Sequence
from typing import Optional

import pytest

from conformance import applicability, evidence, scope, spec
from conformance import expectations as expectations_file
from conformance.report import RunReport
from conformance.verdict import ClauseViolation

LEDGER = pytest.StashKey[evidence.Ledger]()

REPORT_ENV_VAR = "IPC_CONFORMANCE_REPORT"


def add_options(group) -> None:
    """The options of this module, in the plugin's option group."""
    group.addoption(
        "--ipc-expectations",
        action="append",
        default=None,
        metavar="PATH",
        help=f"expectations file of known deviations, repeatable; replaces the adapter's own "
        f"(env {expectations_file.ENV_VAR}, paths separated by '{os.pathsep}')",
    )
    group.addoption(
        "--ipc-report",
        default=None,
        metavar="PATH",
        help=f"write a JSON report of every clause's outcome to PATH; '{{adapter}}' in PATH is "
        f"replaced by the adapter's name (env {REPORT_ENV_VAR})",
    )
    group.addoption(
        "--ipc-require-evidence",
        action="store_true",
        default=False,
        help="fail a fixed test (one whose spec marker is not any=True) that passes without a check of each "
        "clause it cites that applies to the adapter (the suite's own traceability check)",
    )


def expectation_paths(config, adapter) -> list[str]:
    """The expectations files in force: the option's, else the environment's, else the adapter's."""
    given = config.getoption("--ipc-expectations")
    if given:
        return list(given)
    env = os.environ.get(expectations_file.ENV_VAR)
    if env:
        return [p for p in env.split(os.pathsep) if p]
    default = getattr(adapter, "expectations", None)
    return [os.fspath(default)] if default else []


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or the error itself."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        return [leaf for e in inner for leaf in _leaves(e)]
    return [error]


def _text(error: BaseException) -> str:
    """The message with Hypothesis's notes (the falsifying example, the shrunk steps)."""
    head = str(error) if isinstance(error, ClauseViolation) else f"{type(error).__name__}: {error}"
    notes = [str(n) for n in getattr(error, "__notes__", ()) or ()]
    return "\n".join([head, *notes]).rstrip()


def failures_of(error: BaseException) -> list[dict]:
    """``[{"clause": ID or None, "text": ...}]``, one per leaf; None for a failure naming no clause."""
    found = []
    for leaf in _leaves(error):
        clause = leaf.clause.id if isinstance(leaf, ClauseViolation) else None
        found.append({"clause": clause, "text": _text(leaf)})
    return found


def cited_clauses(item) -> list[str]:
    """The clause IDs of every ``spec`` marker on the item, in order, once each."""
    return list(dict.fromkeys(str(arg) for mark in item.iter_markers("spec") for arg in mark.args))


def deviation_record(deviation: evidence.Deviation) -> dict:
    return {
        "clause": deviation.clause,
        "because": deviation.because,
        "tolerance": deviation.tolerance.value,
        "text": deviation.describe(),
    }


#: Held-back failures a failing test shows in full (each has its history); the rest are counted.
HELD_SHOWN = 3


class Outcomes:
    """Evidence, expected failures, strictness, unmatched entries and the JSON report of one session."""

    def __init__(self, config, adapter, profile: str, survey: bool = False):
        self.config = config
        self.adapter = adapter
        self.survey = survey
        paths = expectation_paths(config, adapter)
        try:
            self.entries = expectations_file.load(paths)
        except expectations_file.ExpectationsError as exc:
            raise pytest.UsageError(f"ipc-conformance expectations: {exc}") from None
        #: Per entry: the selected tests it matches; entries some deselected test matches.
        self.selected: Optional[dict[str, set[str]]] = None
        self.partial: set[str] = set()
        #: Per entry: the tests that reached their call phase, and those that failed as it expected.
        self.ran: dict[str, set[str]] = {}
        self.fulfilled: dict[str, set[str]] = {}
        self.reported: set[str] = set()
        self.unexpected_passes: list[expectations_file.Entry] = []
        self._deselected: list = []
        self.expected_clauses = {e.key: e for e in self.entries if e.is_clause}
        path = config.getoption("--ipc-report") or os.environ.get(REPORT_ENV_VAR)
        self.report = None
        if path and not hasattr(config, "workerinput"):  # the xdist controller (or a plain run) writes it
            self.report = RunReport(
                path.replace("{adapter}", adapter.name), adapter, profile, paths, self.entries, survey
            )

    def tolerance(self, clause_id: str) -> Optional[evidence.Tolerance]:
        """How the run tolerates a failed check of ``clause_id``: listed as expected, surveyed, or not at all."""
        if clause_id in self.expected_clauses:
            return evidence.Tolerance.EXPECTED
        return evidence.Tolerance.SURVEYED if self.survey else None

    def applies(self, clause_id: str) -> Optional[str]:
        return applicability.why_not(spec.clause(clause_id), self.adapter)

    # --- collection ---------------------------------------------------------------------

    def pytest_deselected(self, items):
        self._deselected.extend(items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        """Match entries to tests, after every plugin has deselected what it will."""
        cited = {item.nodeid: cited_clauses(item) for item in [*items, *self._deselected]}
        selected = {item.nodeid for item in items}
        self.selected, self.partial = {}, set()
        for entry in self.entries:
            matched = {n for n, clauses in cited.items() if entry.matches_test(n, clauses)}
            if not matched:
                warnings.warn_explicit(
                    pytest.PytestWarning(
                        f"ipc-conformance expectations: entry {entry.key!r} ({entry.where}) matches no "
                        "collected test; remove it or correct the key"
                    ),
                    category=None,
                    filename=entry.path,
                    lineno=entry.line,
                )
            self.selected[entry.where] = matched & selected
            if matched - selected:
                self.partial.add(entry.where)
        if self.report is not None:
            self.report.collected({nodeid: cited[nodeid] for nodeid in selected})
        if hasattr(config, "workeroutput"):
            config.workeroutput["ipc_expectations"] = {
                "selected": {where: sorted(tests) for where, tests in self.selected.items()},
                "partial": sorted(self.partial),
            }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """Under xdist the controller learns the matches from a worker (they all collect alike)."""
        data = getattr(node, "workeroutput", {}).get("ipc_expectations")
        if data and self.selected is None:
            self.selected = {where: set(tests) for where, tests in data["selected"].items()}
            self.partial = set(data["partial"])

    # --- running ------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """Keep the test's ledger active while it runs (suite tests only)."""
        if not scope.is_suite_item(item):
            yield
            return
        ledger = evidence.Ledger(tolerance=self.tolerance, applies=self.applies)
        item.stash[LEDGER] = ledger
        with evidence.recording(ledger):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        ledger = item.stash.get(LEDGER, None)
        if ledger is None:
            return
        report.ipc_clauses = cited_clauses(item)
        report.ipc_evidence = ledger.summary()
        report.ipc_deviations = [deviation_record(d) for d in ledger.deviations.values()]
        if call.excinfo is not None and call.excinfo.errisinstance(evidence.Deviated):
            # A fixed test that a tolerated deviation ended: it is recorded, nothing failed.
            report.outcome, report.longrepr = "passed", None
        if report.passed and call.when == "call" and ledger.unreproduced:
            self._fail_unreproduced(report, item, ledger)
        elif report.failed and call.excinfo is not None:
            report.ipc_failures = failures_of(call.excinfo.value)
            if call.when == "call" and not self.config.option.runxfail and self.entries:
                self._mark_expected(report, self._expecting(item.nodeid, report.ipc_clauses, report.ipc_failures))
        elif report.passed and call.when == "call" and ledger.deviations:
            self._grade_deviations(report, list(ledger.deviations.values()))
        elif report.passed and call.when == "call" and self.config.getoption("--ipc-require-evidence"):
            if not any(mark.kwargs.get("any", False) for mark in item.iter_markers("spec")):
                self._require_evidence(report, ledger)

    def _fail_unreproduced(self, report, item, ledger: evidence.Ledger) -> None:
        """Fail a test whose only failures did not reproduce: seen, so not passed, though never shrunk."""
        report.outcome = "failed"
        more = len(ledger.unreproduced) - HELD_SHOWN
        report.longrepr = "\n\n".join(
            [
                f"ipc-conformance: {len(ledger.unreproduced)} failure(s) seen once, each held back because running "
                "its example again did not reproduce it (so it could not be shrunk), and no other example failed:"
            ]
            + [held.text for held in ledger.unreproduced[:HELD_SHOWN]]
            + ([f"... and {more} more"] if more > 0 else [])
        )
        report.ipc_failures = [{"clause": held.clause, "text": held.text} for held in ledger.unreproduced]
        if not self.config.option.runxfail and self.entries:
            self._mark_expected(report, self._expecting(item.nodeid, report.ipc_clauses, report.ipc_failures))

    def _require_evidence(self, report, ledger: evidence.Ledger) -> None:
        """Fail a passing test that did not judge every clause it cites (and that applies to the adapter)."""
        unjudged = [c for c in report.ipc_clauses if self.applies(c) is None and not ledger.checks.get(c)]
        if unjudged:
            report.outcome = "failed"
            report.longrepr = (
                f"ipc-conformance: the test cites {', '.join(unjudged)} but ran no check of "
                f"{'it' if len(unjudged) == 1 else 'them'}: cite only what the test checks"
            )
            report.ipc_failures = [{"clause": None, "text": report.longrepr}]

    def _grade_deviations(self, report, deviations: list[evidence.Deviation]) -> None:
        """A test that ran to its end with tolerated deviations: expected if all are listed, else failed (survey)."""
        unexpected = [d for d in deviations if d.tolerance is not evidence.Tolerance.EXPECTED]
        if unexpected:
            report.outcome = "failed"
            report.longrepr = "\n\n".join(
                [f"ipc-conformance survey: {len(unexpected)} clause(s) deviated with no expectations entry:"]
                + [d.describe() for d in unexpected]
            )
            report.ipc_failures = [{"clause": d.clause, "text": d.describe()} for d in unexpected]
            return
        self._mark_expected(
            report,
            list(
                {self.expected_clauses[d.because].where: self.expected_clauses[d.because] for d in deviations}.values()
            ),
        )

    @staticmethod
    def _mark_expected(report, entries) -> None:
        if entries:
            report.outcome = "skipped"
            report.wasxfail = "; ".join(e.describe() for e in entries)
            report.ipc_expected_by = [e.where for e in entries]

    def _expecting(self, nodeid: str, cited: Sequence[str], failures: Sequence[dict]) -> list:
        """The entries that expect this failure, or none if any part of it is unexpected."""
        by_test = [e for e in self.entries if not e.is_clause and e.matches_test(nodeid, cited)]
        named = {f["clause"] for f in failures}
        by_clause = [e for e in self.entries if e.is_clause and e.key in named]
        if by_test:
            return by_test + by_clause
        if None not in named and named == {e.key for e in by_clause}:
            return by_clause
        return []

    def pytest_runtest_logstart(self, nodeid, location):
        if self.report is not None:
            self.report.started(nodeid)

    def pytest_runtest_logreport(self, report):
        clauses = getattr(report, "ipc_clauses", None)
        if clauses is not None and report.when == "call":
            judged = set(getattr(report, "ipc_evidence", {}))
            for entry in self.entries:
                # A clause entry ran where a check of its clause ran; a node-id entry where its test ran.
                if entry.key in judged if entry.is_clause else entry.matches_test(report.nodeid, clauses):
                    self.ran.setdefault(entry.where, set()).add(report.nodeid)
        for where in getattr(report, "ipc_expected_by", ()):
            self.fulfilled.setdefault(where, set()).add(report.nodeid)
        for deviation in getattr(report, "ipc_deviations", ()):
            entry = self.expected_clauses.get(deviation["because"])
            if entry is not None and deviation["tolerance"] == evidence.Tolerance.EXPECTED.value:
                self.fulfilled.setdefault(entry.where, set()).add(report.nodeid)
        self.reported.add(report.nodeid)
        if self.report is not None:
            self.report.record(report)

    # --- the end --------------------------------------------------------------------------

    def _strict_violations(self, session) -> list[expectations_file.Entry]:
        """Entries whose tests all ran, checks of them ran, and none failed for it.

        A clause entry for a clause that does not hold for the running
        Python version is exempt: its checks pass unconditionally, so an
        expectations file can list version-specific clauses side by side.
        """
        if self.selected is None or session.shouldstop or session.shouldfail:
            return []
        found = []
        for entry in self.entries:
            if entry.is_clause and not spec.clause(entry.key).holds_for():
                continue  # a clause this Python version is not graded on cannot fail
            if entry.intermittent:
                continue  # a race that did not show this run
            tests = self.selected.get(entry.where, set())
            complete = tests and tests <= self.reported and entry.where not in self.partial
            if complete and self.ran.get(entry.where) and not self.fulfilled.get(entry.where):
                found.append(entry)
        return found

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if hasattr(self.config, "workerinput"):
            return
        self.unexpected_passes = self._strict_violations(session)
        if self.unexpected_passes and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.report is not None:
            self.report.finish(int(session.exitstatus), self._entry_status())

    def _entry_status(self) -> dict[str, str]:
        unexpected = {entry.where for entry in self.unexpected_passes}
        status = {}
        for entry in self.entries:
            if entry.where in unexpected:
                status[entry.where] = "unexpected pass"
            elif entry.is_clause and not spec.clause(entry.key).holds_for():
                status[entry.where] = "not graded on this Python version"
            elif self.fulfilled.get(entry.where):
                status[entry.where] = "expected failure"
            elif self.selected is not None and not self.selected.get(entry.where) and entry.where not in self.partial:
                status[entry.where] = "unmatched"
            else:
                status[entry.where] = "not run"
        return status

    def pytest_terminal_summary(self, terminalreporter):
        if self.unexpected_passes:
            terminalreporter.write_sep("=", "ipc-conformance: expected failures that did not fail (strict)", red=True)
            for entry in self.unexpected_passes:
                tests = len(self.ran[entry.where])
                terminalreporter.write_line(
                    f"{entry.where}: {entry.key!r} was expected to fail but the {tests} test(s) of it that ran "
                    f"did not fail for it ({entry.reason}); remove the entry if the deviation is fixed"
                )
        if self.report is not None and self.report.written:
            terminalreporter.write_line(f"ipc-conformance report: {self.report.path}")
