"""The JSON report of one run (``--ipc-report PATH``).

The report says what ran (adapter, implementation version, Python, start
method, Hypothesis profile, expectations files) and, for every clause of
the catalogue, its outcome aggregated over the tests that cite it, plus
each test's own outcome with its failure text (the violation, Hypothesis's
falsifying example and shrunk steps).  :mod:`conformance.matrix` renders
several reports side by side.

Per test, the outcome is one of ``passed``, ``failed``, ``expected
failure`` or ``skipped`` (with the reason).  Each test contributes to the
clauses it cites:

- passed: every cited clause *passed*; skipped: every cited clause
  *skipped*, with the reason;
- a failure of a clause (a ClauseViolation) makes that clause *failed*
  (or *expected failure*, when an expectations entry covers it); a failure
  naming no clause (a crash, a hang, a leaked process) makes every cited
  clause *failed* with its text;
- the cited clauses a failing test did not fail are *inconclusive*: the
  test stopped before it finished checking them.

A clause's ``status`` is the first of ``failed``, ``expected failure``,
``passed``, ``inconclusive``, ``skipped`` that any of its tests gave it;
``not run`` if no test that ran cites it, ``untestable`` if the catalogue
says so.  Its ``reasons`` are those behind that status (skip reasons, the
expectations entries, why it is untestable) and its ``failures`` the
``{test, text}`` of each distinct failure text; with its ``section``,
``strength``, ``versions`` and ``statement`` a renderer needs nothing else.

The file is rewritten as each test starts and ends (atomically), with the
running test counted as failed until it finishes, so a run killed by a
segfault in the test process still leaves a report that blames the test
it was running.  ``complete`` is false until the session ends.
"""

import json
import os
import platform
import re
import sys
import time
from typing import Dict, List, Optional

import hypothesis

from conformance import spec

FORMAT = 1

#: Clause outcomes, strongest first: a clause takes the first any of its tests gave it.
PRECEDENCE = ("failed", "expected failure", "passed", "inconclusive", "skipped")
NOT_RUN = "not run"
UNTESTABLE = "untestable"
#: The outcome of the test that is running when the report is written.
DIED = "the test process died while running this test (a crash of the implementation?)"


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return str(getattr(report, "wasxfail", "") or longrepr or "")


#: The "[gw0] linux -- Python ..." line xdist puts above a crashed worker's message.
_WORKER_BANNER = re.compile(r"^\[gw\d+\] .*$\n?", re.MULTILINE)


def _running(test: dict) -> bool:
    return any(f["when"] == "running" for f in test["failures"])


class RunReport:
    """Collects one session's test reports and writes the JSON file."""

    def __init__(self, path: str, adapter, profile: str, expectation_paths: List[str], entries):
        self.path = path
        self.written = False
        self.entries = entries
        self.started_at = time.time()
        self.cited: Dict[str, List[str]] = {}
        self.tests: Dict[str, dict] = {}
        self.header = {
            "format": FORMAT,
            "adapter": {
                "name": adapter.name,
                "implementation": adapter.implementation,
                "version": adapter.version,
                "start_method": adapter.start_method,
                "consistency": str(adapter.consistency),
                "capabilities": sorted(c.value for c in adapter.capabilities),
            },
            "python": {"version": platform.python_version(), "implementation": platform.python_implementation()},
            "platform": platform.platform(),
            "hypothesis": {"profile": profile, "version": hypothesis.__version__},
            "command": sys.argv,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at)),
            "expectations": {"files": expectation_paths},
        }
        self.entry_status: Dict[str, str] = {}
        self.exit_status: Optional[int] = None

    def collected(self, cited: Dict[str, List[str]]) -> None:
        """The selected tests and the clauses each cites."""
        self.cited.update(cited)

    def started(self, nodeid: str) -> None:
        self.tests[nodeid] = self._test(nodeid)
        self.tests[nodeid].update(outcome="failed", failures=[{"when": "running", "expected": False, "clause": None, "text": DIED}])
        self.write()

    def _test(self, nodeid: str) -> dict:
        return {"nodeid": nodeid, "clauses": self.cited.get(nodeid, []), "outcome": "passed", "reason": None, "failures": []}

    def record(self, report) -> None:
        """Fold one phase's report (setup, call, teardown, or an xdist crash) into its test."""
        test = self.tests.get(report.nodeid)
        if test is None or _running(test):  # the first real report replaces the provisional failure
            test = self.tests[report.nodeid] = self._test(report.nodeid)
        clauses = getattr(report, "ipc_clauses", None)
        if clauses is not None:
            test["clauses"] = self.cited[report.nodeid] = clauses
        if hasattr(report, "wasxfail") and report.skipped:
            test.update(outcome="expected failure", reason=report.wasxfail)
            test["failures"] += self._failures(report, expected=True)
        elif report.skipped:
            test.update(outcome="skipped", reason=_skip_reason(report))
        elif report.failed:
            test["outcome"] = "failed"
            test["failures"] += self._failures(report, expected=False)
        if getattr(report, "user_properties", None):
            # What a test measured (executions, the strongest consistency level observed, ...).
            test["properties"] = dict(report.user_properties)
        if report.when in ("teardown", "???"):
            self.write()

    @staticmethod
    def _failures(report, expected: bool) -> List[dict]:
        """The failure leaves the plugin attached, or the whole text for reports it never saw (crashes)."""
        leaves = getattr(report, "ipc_failures", None) or [{"clause": None, "text": _WORKER_BANNER.sub("", report.longreprtext).strip()}]
        return [
            {"when": report.when, "expected": expected, "clause": leaf["clause"], "text": leaf["text"], "longrepr": report.longreprtext}
            for leaf in leaves
        ]

    def finish(self, exit_status: int, entry_status: Dict[str, str]) -> None:
        self.exit_status = exit_status
        self.entry_status = entry_status
        self.write(complete=True)

    # --- aggregation ----------------------------------------------------------------------

    @staticmethod
    def contributions(test: dict) -> Dict[str, List[tuple]]:
        """``{clause: [(outcome, reason, failure text), ...]}`` this test gives (rules: module docstring)."""
        given: Dict[str, List[tuple]] = {}
        cited = test["clauses"]
        if test["outcome"] in ("passed", "skipped"):
            for clause in cited:
                given.setdefault(clause, []).append((test["outcome"], test["reason"], None))
            return given
        for failure in test["failures"]:
            failed = "expected failure" if failure["expected"] else "failed"
            reason = test["reason"] if failure["expected"] else None
            for clause in [failure["clause"]] if failure["clause"] else cited:
                given.setdefault(clause, []).append((failed, reason, failure["text"]))
        for clause in cited:
            given.setdefault(clause, []).append(("inconclusive", None, None))
        return given

    def clauses(self) -> List[dict]:
        """Every clause of the catalogue with its outcome, the reasons for it and the failures behind it."""
        gathered: Dict[str, List[tuple]] = {}
        for test in self.tests.values():
            for clause, results in self.contributions(test).items():
                gathered.setdefault(clause, []).extend((*result, test["nodeid"]) for result in results)
        out = []
        for clause in spec.CATALOGUE.values():
            results = gathered.get(clause.id, [])
            outcomes = {r[0] for r in results}
            status = next((o for o in PRECEDENCE if o in outcomes), None)
            if status is None:
                status = UNTESTABLE if clause.untestable else NOT_RUN
            chosen = [r for r in results if r[0] == status]
            reasons = [clause.untestable] if status == UNTESTABLE else [r[1] for r in chosen if r[1]]
            failures = {text: {"test": nodeid, "text": text} for _, _, text, nodeid in chosen if text}
            out.append(
                {
                    "id": clause.id,
                    "section": clause.section,
                    "strength": clause.strength.value,
                    "versions": clause.versions,
                    "statement": clause.statement,
                    "status": status,
                    "reasons": list(dict.fromkeys(reasons)),
                    "failures": list(failures.values()),
                    "tests": sorted({r[-1] for r in results}),
                }
            )
        return out

    def as_json(self, complete: bool) -> dict:
        clauses = self.clauses()
        summary: Dict[str, int] = {}
        for clause in clauses:
            summary[clause["status"]] = summary.get(clause["status"], 0) + 1
        expectations = dict(self.header["expectations"])
        expectations["entries"] = [
            {"key": e.key, "reason": e.reason, "url": e.url, "where": e.where, "status": self.entry_status.get(e.where, "not run")}
            for e in self.entries
        ]
        return {
            **self.header,
            "expectations": expectations,
            "complete": complete,
            "duration": round(time.time() - self.started_at, 3),
            "exit_status": self.exit_status,
            "running": [nodeid for nodeid, test in self.tests.items() if _running(test)],
            "sections": [{"name": name, "title": spec.section_title(name)} for name in spec.SECTIONS],
            "summary": summary,
            "clauses": clauses,
            "tests": list(self.tests.values()),
        }

    def write(self, complete: bool = False) -> None:
        """Replace the file atomically, so a reader (or a crash) never sees half of it."""
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        partial = f"{self.path}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(self.as_json(complete), handle, indent=1, ensure_ascii=False)
        os.replace(partial, self.path)
        self.written = True
