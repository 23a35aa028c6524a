"""A pytest plugin that times a run's first failure (for ``benchmarks/suite_power.py``).

Load it with ``-p tests.probe`` (the repository root on ``sys.path``).

``--probe-out FILE``
    at the end of the session, write JSON: ``first_violation`` (seconds from
    the start of the first test's setup to the first
    :class:`~conformance.verdict.ClauseViolation` raised, whether Hypothesis
    then reports it or goes on shrinking), its ``clause``,
    ``first_failed_report`` (seconds to the first failed test report),
    ``first_failed_test`` and ``first_failed_test_seconds`` (the first test
    that failed, and the seconds from the start of *its* setup to its failed
    report: the time to a report, shrinking included, of the test that
    found the failure), ``failed_tests`` (the same seconds for every test
    that failed, by node ID), and the counts of ``passed``, ``failed`` and
    ``skipped`` tests.
``--probe-one-bug``
    ``report_multiple_bugs=False``: Hypothesis shrinks only the first bug it
    found, and may slip to a smaller failure of another clause.
``--probe-no-shrink``
    drop Hypothesis's shrink phase and stop generating at the first bug
    (implies ``--probe-one-bug``): whether and when a fault is caught
    does not change, only the time spent after it.  The profile keeps its
    name with a suffix (``dev-no-shrink-one-bug``), so the scenario runner's repetition
    counts still follow it.
"""

import json
import time

import pytest
from hypothesis import Phase

from conformance import plugin, profiles, verdict


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance probe")
    group.addoption("--probe-out", default=None, help="write the time to the first failure to this JSON file")
    group.addoption("--probe-no-shrink", action="store_true", help="run Hypothesis without its shrink phase")
    group.addoption(
        "--probe-one-bug", action="store_true", help="shrink only the first bug found (report_multiple_bugs=False)"
    )


class Probe:
    """Times a run in whichever process reports it: the plain pytest process, or xdist's controller.

    The suite runs its tests in a pytest-xdist worker (``-n 1``, for the
    watchdog; :mod:`conformance.plugin`), so the tests' setup and their
    exceptions happen in a worker while the file is written by the
    controller.  The controller times each test from its ``logstart`` (sent
    by the worker as the test starts) to its failed report; a worker hands
    the moment of its first :class:`~conformance.verdict.ClauseViolation`
    over in ``workeroutput``.  Moments are ``time.monotonic()``, one clock
    for every process of the machine.
    """

    def __init__(self, config, out):
        self.config = config
        self.out = out
        self.started = None
        self.violation_at = None
        self.clause = None
        self.first_failed = None
        self.test_started = {}
        self.failed_test = None
        self.failed_test_seconds = None
        self.failed_tests = {}
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    def violation_raised(self, clause_id):
        if self.violation_at is None:
            self.violation_at, self.clause = time.monotonic(), clause_id

    def pytest_runtest_logstart(self, nodeid, location):
        now = time.monotonic()
        self.test_started.setdefault(nodeid, now)
        if self.started is None:
            self.started = now

    def pytest_runtest_logreport(self, report):
        if report.failed and report.nodeid not in self.failed_tests:
            self.failed_tests[report.nodeid] = time.monotonic() - self.test_started.get(
                report.nodeid, self.started or time.monotonic()
            )
        if report.failed and self.first_failed is None and self.started is not None:
            now = time.monotonic()
            self.first_failed = now - self.started
            self.failed_test = report.nodeid
            self.failed_test_seconds = now - self.test_started.get(report.nodeid, self.started)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.counts[report.outcome] += 1

    def pytest_testnodedown(self, node, error):
        """xdist's controller: take the worker's first violation (a worker the watchdog killed hands none over)."""
        handed = getattr(node, "workeroutput", {}).get("ipc_probe")
        if handed and handed[0] is not None and (self.violation_at is None or handed[0] < self.violation_at):
            self.violation_at, self.clause = handed

    def pytest_sessionfinish(self, session):
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput["ipc_probe"] = (self.violation_at, self.clause)
            return
        first = None
        if self.violation_at is not None and self.started is not None:
            first = max(0.0, self.violation_at - self.started)
        record = dict(
            first_violation=first,
            clause=self.clause,
            first_failed_report=self.first_failed,
            first_failed_test=self.failed_test,
            first_failed_test_seconds=self.failed_test_seconds,
            failed_tests=self.failed_tests,
            **self.counts,
        )
        with open(self.out, "w") as handle:
            json.dump(record, handle)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    changes, suffix = {}, ""
    if config.getoption("--probe-no-shrink"):
        changes["phases"] = [phase for phase in profiles.current().phases if phase is not Phase.shrink]
        suffix += "-no-shrink"
    if config.getoption("--probe-no-shrink") or config.getoption("--probe-one-bug"):
        changes["report_multiple_bugs"] = False
        suffix += "-one-bug"
    if changes:
        # The suite's tests run under the run's suite settings (conformance.plugin), not Hypothesis's global profile.
        plugin.adjust_settings(config, suffix, **changes)
    out = config.getoption("--probe-out")
    if out:
        probe = Probe(config, out)
        config.pluginmanager.register(probe, "ipc-conformance-probe")
        original = verdict.ClauseViolation.__init__

        def init(self, clause_id, observed):
            probe.violation_raised(clause_id)
            original(self, clause_id, observed)

        verdict.ClauseViolation.__init__ = init
