"""Clause-level evidence: every check records, as it runs, the clause it judged and how it came out.

Each test of the suite has one :class:`Ledger`, made active by the plugin
while the test runs.  :mod:`conformance.verdict` records every check in the
active ledger: a pass, or a failure with what was observed.  A clause is
shown as passed only where checks of it ran and none failed; the report
carries the count of checks per clause and per test.

A failed check of a clause the run *tolerates* is recorded as a
:class:`Deviation` and raises :class:`Deviated`, which ends only the
smallest enclosing step: a :func:`continuing` block of a fixed test, or a
rule of a state machine, which then adopts what the implementation did or
sets that part of the exploration aside.  The test goes on checking every
other clause.  Which clauses are tolerated is the run's :class:`Tolerance`:
in the default gate mode, those an expectations entry lists; in survey mode,
every clause.  A failed check of any other clause raises its violation, and
Hypothesis shrinks and replays it as ever.
"""

import enum
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Optional


class Tolerance(enum.Enum):
    """Why a failed check of a clause is recorded and the test goes on."""

    #: An expectations entry lists the clause: a known deviation (gate mode).
    EXPECTED = "expected"
    #: Survey mode grades every clause in one run and stops at none.
    SURVEYED = "surveyed"


@dataclass
class Checks:
    """How many checks of one clause passed and failed."""

    passed: int = 0
    failed: int = 0

    @property
    def ran(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True)
class Deviation:
    """The first tolerated failure of a clause in a test: what was seen and the steps that led there."""

    clause: str
    observed: str
    tolerance: Tolerance
    steps: tuple[str, ...] = ()
    #: The clause whose check failed, when this one deviated with it (its echo, see :attr:`Ledger.echo`).
    source: Optional[str] = None

    @property
    def because(self) -> str:
        """The clause whose tolerance let the test go on."""
        return self.source or self.clause

    def describe(self) -> str:
        lines = [f"{self.clause} deviated ({self.tolerance.value}): {self.observed}"]
        if self.steps:
            lines.append("  after the steps:")
            lines += [f"    {step}" for step in self.steps]
        return "\n".join(lines)


@dataclass(frozen=True)
class HeldFailure:
    """A failure seen once that did not fail again when its example ran again (see ``Ledger.unreproduced``)."""

    clause: Optional[str]
    text: str


class Deviated(Exception):
    """A tolerated failed check: it is recorded; the enclosing step ends and the test goes on."""

    def __init__(self, deviation: Deviation):
        super().__init__(deviation.describe())
        self.deviation = deviation


class SuiteError(Exception):
    """The suite judged a clause that does not apply to the adapter under test: a bug of ipc-conformance."""


@dataclass
class Ledger:
    """The evidence of one test.

    ``tolerance(clause_id)`` says whether a failed check of that clause is
    tolerated, and why; ``applies(clause_id)`` returns why the clause does
    not apply to the adapter under test, or None (a check of a clause that
    does not apply is a :class:`SuiteError`).
    """

    tolerance: Callable[[str], Optional[Tolerance]] = lambda clause_id: None
    applies: Callable[[str], Optional[str]] = lambda clause_id: None
    checks: dict[str, Checks] = field(default_factory=dict)
    deviations: dict[str, Deviation] = field(default_factory=dict)
    #: When (``time.monotonic()``) the first failure that was not tolerated was recorded (None: none was):
    #: Hypothesis is shrinking it (or has), and the shrink budget runs from there.
    failure_seen_at: Optional[float] = None
    #: The kinds of call whose hang was such a failure (:func:`conformance.harness.deadline.patience`).
    hung_kinds: set = field(default_factory=set)
    #: Tolerated deviations in which a call never returned: each cost a full deadline.
    hangs: int = 0
    #: The steps of the running example, as a state machine records them.
    steps: list[str] = field(default_factory=list)
    #: Executions so far: scenario executions (:mod:`conformance.scenarios.runner`) and state-machine steps
    #: (:func:`conformance.machines.base.step`); shown by the progress lines and the summary.
    executions: int = 0
    #: Failures seen once that did not fail again when their example was run again
    #: (:mod:`conformance.scenarios.runner`): the test goes on, and fails at its end unless it fails otherwise.
    unreproduced: list[HeldFailure] = field(default_factory=list)
    #: ``(prefix, clause)``: every check of a clause whose ID starts with ``prefix`` is also a check of
    #: ``clause`` (a JoinableQueue is a Queue: each Queue clause checked on one is a check of JQ-QUEUE-1).
    echo: Optional[tuple[str, str]] = None

    def __post_init__(self):
        self._lock = threading.Lock()

    def record(self, clause_id: str, ok: bool, observed: str) -> Optional[Tolerance]:
        """Record one check; for a failure, how it is tolerated (None: it is not, and the caller raises)."""
        reason = self.applies(clause_id)
        if reason is not None:
            raise SuiteError(f"a check of {clause_id} ran, but {reason}; this is a bug of ipc-conformance")
        tolerance = self.tolerance(clause_id)
        with self._lock:
            for judged in self._judged(clause_id):
                checks = self.checks.setdefault(judged, Checks())
                if ok:
                    checks.passed += 1
                    continue
                checks.failed += 1
                if tolerance is not None and judged not in self.deviations:
                    source = None if judged == clause_id else clause_id
                    self.deviations[judged] = Deviation(judged, observed, tolerance, tuple(self.steps), source)
            if not ok and tolerance is None and self.failure_seen_at is None:
                self.failure_seen_at = time.monotonic()
            return None if ok else tolerance

    def _judged(self, clause_id: str) -> tuple[str, ...]:
        if self.echo is not None and clause_id.startswith(self.echo[0]):
            return (clause_id, self.echo[1])
        return (clause_id,)

    @property
    def failure_seen(self) -> bool:
        """A failure that was not tolerated has been raised: Hypothesis is shrinking it (or has)."""
        return self.failure_seen_at is not None

    #: After this many tolerated hangs the test stops waiting full deadlines (:attr:`hurried`).
    HANGS_BEFORE_HURRYING = 2

    @property
    def hurried(self) -> bool:
        """Whether tolerated hangs have recurred: the known hang would cost a full deadline each time it recurs,
        so the waits of the rest of the test are cut (:func:`conformance.harness.deadline.patience`)."""
        return self.hangs >= self.HANGS_BEFORE_HURRYING

    def passed(self, clause_id: str, count: int = 1) -> None:
        """Record ``count`` passing checks of one clause (a checker's evaluations of a history)."""
        if count <= 0:
            return
        reason = self.applies(clause_id)
        if reason is not None:
            raise SuiteError(f"checks of {clause_id} ran, but {reason}; this is a bug of ipc-conformance")
        with self._lock:
            for judged in self._judged(clause_id):
                self.checks.setdefault(judged, Checks()).passed += count

    def executed(self) -> None:
        """Count one execution (and tell the progress plugin, which may write the figures out)."""
        self.executions += 1
        if listener is not None:
            listener(self)

    @property
    def checks_run(self) -> int:
        """Every check recorded so far, of every clause."""
        with self._lock:
            return sum(c.ran for c in self.checks.values())

    def summary(self) -> dict[str, list[int]]:
        """``{clause: [passed, failed]}``: plain data for a test report (it travels to pytest-xdist's controller)."""
        with self._lock:
            return {clause: [c.passed, c.failed] for clause, c in sorted(self.checks.items())}


_active = Ledger()
#: Called with the ledger after each execution (:mod:`conformance.progress` in a pytest-xdist worker).
listener: Optional[Callable[[Ledger], None]] = None
_active_lock = threading.Lock()


def current() -> Ledger:
    """The ledger of the test running now (outside a suite test: one that tolerates nothing)."""
    return _active


@contextmanager
def recording(ledger: Ledger) -> Iterator[Ledger]:
    """Make ``ledger`` the active one for the duration of the block."""
    global _active
    with _active_lock:
        previous, _active = _active, ledger
    try:
        yield ledger
    finally:
        with _active_lock:
            _active = previous


@contextmanager
def continuing() -> Iterator[None]:
    """A block that a tolerated deviation ends early, while the test goes on after it.

    Put each independent part of a fixed test in one: the check that
    deviated has been recorded, and the checks after the block still run.
    """
    try:
        yield
    except Deviated:
        pass
