"""The JSON report of one run (``--ipc-report PATH``).

The report says what ran (adapter, implementation version, Python, start
method, Hypothesis profile, gate or survey mode, expectations files) and,
for every clause of the catalogue, its outcome, the checks of it that ran
and the tests behind them, plus each test's own outcome, the checks it
made per clause, its tolerated deviations and its failure text (the
violation, Hypothesis's falsifying example and shrunk steps).
:mod:`conformance.matrix` renders several reports side by side.

Per test, the outcome is one of ``passed``, ``failed``, ``expected
failure`` or ``skipped`` (with the reason).  A clause's ``status`` is the
first that holds of:

- ``untestable``: the catalogue says why it cannot be checked;
- ``skipped``: it does not apply to the adapter (the reason from
  :mod:`conformance.applicability`);
- ``failed``: a check of it failed and no expectations entry lists it, or
  a test citing it failed without naming a clause (a crash, a hang, a
  leak: it could have come from any step);
- ``expected failure``: it failed as an expectations entry says;
- ``passed``: checks of it ran, and none failed;
- ``inconclusive``: no check of it ran, and a test citing it was stopped
  by a failure or a deviation (its ``reasons`` name what blocked it);
- ``skipped``: every test citing it was skipped (their reasons);
- ``not run``: no check of it ran (no test that ran cites it, or those
  that do never reached a check of it).

Its ``checks`` are ``[passed, failed]`` counts over the run, its
``reasons`` those behind the status, its ``failures`` the ``{test, text}``
of each distinct failure; with ``section``, ``strength``, ``versions`` and
``statement`` a renderer needs nothing else.

The file is rewritten as each test starts and ends (atomically), with the
running test counted as failed until it finishes, so a run killed by a
segfault in the test process still leaves a report that blames the test
it was running.  ``complete`` is false until the session ends.
"""

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from typing import Optional

import hypothesis

import conformance
from conformance import applicability, spec

FORMAT = 2

FAILED, EXPECTED, PASSED, INCONCLUSIVE, SKIPPED = "failed", "expected failure", "passed", "inconclusive", "skipped"
NOT_RUN = "not run"
UNTESTABLE = "untestable"
#: Every clause status, in the order the rules above try them.
STATUSES = (UNTESTABLE, SKIPPED, FAILED, EXPECTED, PASSED, INCONCLUSIVE, NOT_RUN)
#: The outcome of the test that is running when the report is written.
DIED = "the test process died while running this test (a crash of the implementation?)"


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason
    return str(getattr(report, "wasxfail", "") or longrepr or "")


#: The "[gw0] linux -- Python ..." line xdist puts above a crashed worker's message.
_WORKER_BANNER = re.compile(r"^\[gw\d+\] .*$\n?", re.MULTILINE)


def catalogue_digest() -> str:
    """A digest of every clause's ID, strength and statement: a matrix made from another catalogue is stale."""
    text = "\n".join(f"{c.id}|{c.strength.value}|{c.statement}" for c in spec.CATALOGUE.values())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_digest(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:16]
    except OSError:
        return None


def suite_commit() -> Optional[str]:
    """The git commit of the suite's source, when it runs from a clone (None for an installed copy)."""
    here = os.path.dirname(os.path.abspath(conformance.__file__))
    try:
        found = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if found.returncode != 0:
        return None
    return found.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


def _running(test: dict) -> bool:
    return any(f["when"] == "running" for f in test["failures"])


class RunReport:
    """Collects one session's test reports and writes the JSON file."""

    def __init__(self, path: str, adapter, profile: str, expectation_paths: list[str], entries, survey: bool = False):
        self.path = path
        self.adapter = adapter
        self.written = False
        self.entries = entries
        self.started_at = time.time()
        self.cited: dict[str, list[str]] = {}
        self.tests: dict[str, dict] = {}
        self.header = {
            "format": FORMAT,
            "adapter": {
                "name": adapter.name,
                "implementation": adapter.implementation,
                "version": adapter.version,
                "start_method": adapter.start_method,
                "mode": str(adapter.mode),
                "consistency": str(adapter.consistency),
                "primitives": [p.title for p in adapter.primitives],
                "lacks": {f.name: reason for f, reason in adapter.lacks.items()},
                "traits": sorted(t.value for t in adapter.traits),
                "limits": adapter.limits.describe(),
            },
            "mode": "survey" if survey else "gate",
            "suite": {"version": conformance.__version__, "commit": suite_commit(), "catalogue": catalogue_digest()},
            "python": {"version": platform.python_version(), "implementation": platform.python_implementation()},
            "platform": platform.platform(),
            "hypothesis": {"profile": profile, "version": hypothesis.__version__},
            "command": sys.argv,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at)),
            "expectations": {
                "files": expectation_paths,
                "digests": {path: file_digest(path) for path in expectation_paths},
            },
        }
        self.entry_status: dict[str, str] = {}
        self.exit_status: Optional[int] = None
        #: Processes the run left running, reaped at its end (conformance.leftovers).
        self.leftovers: list[str] = []

    def collected(self, cited: dict[str, list[str]]) -> None:
        """The selected tests and the clauses each cites."""
        self.cited.update(cited)

    def started(self, nodeid: str) -> None:
        self.tests[nodeid] = self._test(nodeid)
        self.tests[nodeid].update(
            outcome="failed", failures=[{"when": "running", "expected": False, "clause": None, "text": DIED}]
        )
        self.write()

    def _test(self, nodeid: str) -> dict:
        return {
            "nodeid": nodeid,
            "clauses": self.cited.get(nodeid, []),
            "outcome": "passed",
            "reason": None,
            "failures": [],
            "evidence": {},
            "deviations": [],
        }

    def record(self, report) -> None:
        """Fold one phase's report (setup, call, teardown, or an xdist crash) into its test."""
        test = self.tests.get(report.nodeid)
        if test is None or _running(test):  # the first real report replaces the provisional failure
            test = self.tests[report.nodeid] = self._test(report.nodeid)
        clauses = getattr(report, "ipc_clauses", None)
        if clauses is not None:
            test["clauses"] = self.cited[report.nodeid] = clauses
        if getattr(report, "ipc_evidence", None) is not None:
            # Cumulative over the test's phases: the last report has it all.
            test["evidence"] = report.ipc_evidence
            test["deviations"] = report.ipc_deviations
        if hasattr(report, "wasxfail") and report.skipped:
            test.update(outcome="expected failure", reason=report.wasxfail)
            if getattr(report, "ipc_failures", None) or not getattr(report, "ipc_deviations", None):
                test["failures"] += self._failures(report, expected=True)  # else the deviations say it all
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
    def _failures(report, expected: bool) -> list[dict]:
        """The failure leaves the plugin attached, or the whole text for reports it never saw (crashes)."""
        leaves = getattr(report, "ipc_failures", None) or [
            {"clause": None, "text": _WORKER_BANNER.sub("", report.longreprtext).strip()}
        ]
        return [
            {
                "when": report.when,
                "expected": expected,
                "clause": leaf["clause"],
                "text": leaf["text"],
                "longrepr": report.longreprtext,
            }
            for leaf in leaves
        ]

    def finish(self, exit_status: int, entry_status: dict[str, str]) -> None:
        self.exit_status = exit_status
        self.entry_status = entry_status
        self.write(complete=True)

    # --- aggregation ----------------------------------------------------------------------

    def clauses(self) -> list[dict]:
        """Every clause of the catalogue with its status, checks, the reasons for it and the failures behind it."""
        return [self._clause(clause) for clause in spec.CATALOGUE.values()]

    def _clause(self, clause) -> dict:
        entry = {
            "id": clause.id,
            "section": clause.section,
            "strength": clause.strength.value,
            "versions": clause.versions,
            "statement": clause.statement,
        }
        passed = failed = 0
        tests, failures, expected, blockers, skips = set(), {}, [], [], []
        for test in self.tests.values():
            checks = test["evidence"].get(clause.id)
            cites = clause.id in test["clauses"]
            if checks:
                passed, failed = passed + checks[0], failed + checks[1]
                tests.add(test["nodeid"])
            elif not cites:
                continue
            tests.add(test["nodeid"])
            for deviation in test["deviations"]:
                if deviation["clause"] != clause.id:
                    continue
                if deviation["tolerance"] == "expected":
                    expected.append((test, deviation["text"]))
                else:
                    failures.setdefault(deviation["text"], test["nodeid"])
            for failure in test["failures"]:
                if failure["clause"] == clause.id or (failure["clause"] is None and cites):
                    if failure["expected"]:
                        expected.append((test, failure["text"]))
                    else:
                        failures.setdefault(failure["text"], test["nodeid"])
            if not cites:
                continue
            if test["outcome"] == "skipped":
                skips.append(test["reason"])
            elif test["outcome"] != "passed" or test["deviations"]:
                blockers += self._blockers(test, clause.id)
        not_applicable = applicability.why_not(clause, self.adapter)
        if clause.untestable:
            status, reasons = UNTESTABLE, [clause.untestable]
        elif not_applicable is not None:
            status, reasons = SKIPPED, [not_applicable]
        elif failures:
            status, reasons = FAILED, []
        elif expected:
            listed = [e.describe() for e in self.entries if e.key == clause.id]
            status, reasons = EXPECTED, listed or [test["reason"] for test, _ in expected if test["reason"]]
        elif passed:
            status, reasons = PASSED, []
        elif blockers:
            status, reasons = INCONCLUSIVE, blockers
        elif skips:
            status, reasons = SKIPPED, skips
        else:
            status = NOT_RUN
            reasons = [f"cited by {len(tests)} test(s) that ran without a check of it"] if tests else []
        shown = (
            failures
            if status == FAILED
            else {text: test["nodeid"] for test, text in expected}
            if status == EXPECTED
            else {}
        )
        entry.update(
            status=status,
            checks=[passed, failed],
            reasons=list(dict.fromkeys(r for r in reasons if r)),
            failures=[{"test": nodeid, "text": text} for text, nodeid in shown.items()],
            tests=sorted(tests),
        )
        return entry

    @staticmethod
    def _blockers(test: dict, clause_id: str) -> list[str]:
        """What stopped ``test`` before it checked ``clause_id``: its failures, else its deviations."""
        name = test["nodeid"].split("::")[-1]
        found = []
        for failure in test["failures"]:
            if failure["clause"] != clause_id:
                what = failure["clause"] or "a failure naming no clause"
                found.append(f"blocked in {name} by {what}: {_first_line(failure['text'])}")
        if not found:
            found = [
                f"blocked in {name} by the deviation of {d['clause']}: {_first_line(d['text'])}"
                for d in test["deviations"]
                if d["clause"] != clause_id
            ]
        return found[:3]

    def as_json(self, complete: bool) -> dict:
        clauses = self.clauses()
        summary: dict[str, int] = {}
        for clause in clauses:
            summary[clause["status"]] = summary.get(clause["status"], 0) + 1
        expectations = dict(self.header["expectations"])
        expectations["entries"] = [
            {
                "key": e.key,
                "reason": e.reason,
                "url": e.url,
                "where": e.where,
                "status": self.entry_status.get(e.where, "not run"),
            }
            for e in self.entries
        ]
        return {
            **self.header,
            "expectations": expectations,
            "complete": complete,
            "duration": round(time.time() - self.started_at, 3),
            "exit_status": self.exit_status,
            "running": [nodeid for nodeid, test in self.tests.items() if _running(test)],
            "leftovers": self.leftovers,
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
