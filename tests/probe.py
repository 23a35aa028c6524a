"""A pytest plugin that times a run's first failure (for ``benchmarks/suite_power.py``).

Load it with ``-p tests.probe`` (the repository root on ``sys.path``).

``--probe-out FILE``
    at the end of the session, write JSON: ``first_violation`` (seconds from
    the start of the first test's setup to the first
    :class:`~conformance.verdict.ClauseViolation` raised, whether Hypothesis
    then reports it or goes on shrinking), its ``clause``,
    ``first_failed_report`` (seconds to the first failed test report), and
    the counts of ``passed``, ``failed`` and ``skipped`` tests.
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
from hypothesis import Phase, settings

from conformance import verdict


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance probe")
    group.addoption("--probe-out", default=None, help="write the time to the first failure to this JSON file")
    group.addoption("--probe-no-shrink", action="store_true", help="run Hypothesis without its shrink phase")
    group.addoption("--probe-one-bug", action="store_true", help="shrink only the first bug found (report_multiple_bugs=False)")


class Probe:
    def __init__(self, out):
        self.out = out
        self.started = None
        self.first_violation = None
        self.clause = None
        self.first_failed = None
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    def violation_raised(self, clause_id):
        if self.first_violation is None and self.started is not None:
            self.first_violation = time.monotonic() - self.started
            self.clause = clause_id

    def pytest_runtest_setup(self, item):
        if self.started is None:
            self.started = time.monotonic()

    def pytest_runtest_logreport(self, report):
        if report.failed and self.first_failed is None and self.started is not None:
            self.first_failed = time.monotonic() - self.started
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.counts[report.outcome] += 1

    def pytest_sessionfinish(self, session):
        record = dict(first_violation=self.first_violation, clause=self.clause, first_failed_report=self.first_failed, **self.counts)
        with open(self.out, "w") as handle:
            json.dump(record, handle)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    changes, suffix = {}, ""
    if config.getoption("--probe-no-shrink"):
        changes["phases"] = [phase for phase in settings.default.phases if phase is not Phase.shrink]
        suffix += "-no-shrink"
    if config.getoption("--probe-no-shrink") or config.getoption("--probe-one-bug"):
        changes["report_multiple_bugs"] = False
        suffix += "-one-bug"
    if changes:
        name = settings.get_current_profile_name() + suffix
        settings.register_profile(name, settings(settings.default, **changes))
        settings.load_profile(name)
    out = config.getoption("--probe-out")
    if out:
        probe = Probe(out)
        config.pluginmanager.register(probe, "ipc-conformance-probe")
        original = verdict.ClauseViolation.__init__

        def init(self, clause_id, observed):
            probe.violation_raised(clause_id)
            original(self, clause_id, observed)

        verdict.ClauseViolation.__init__ = init
