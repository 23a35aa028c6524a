"""Grading observations against clauses.

Every check in the suite goes through :func:`expect` (or one of the
helpers built on it), which records it in the test's evidence
(:mod:`conformance.evidence`), so every failure starts with the clause it
violates::

    QUEUE-FIFO-1 violated (required, Python 3.8+): Items put by one process ...
      observed: get() returned 3, expected 1

and the Hypothesis report below it shows the shrunk steps that led there.
A failure of a clause the run tolerates (a known deviation, or any in
survey mode) raises :class:`~conformance.evidence.Deviated` instead.
"""

from typing import Optional, Union

from conformance import evidence, spec
from conformance.harness.deadline import Outcome, qualified_name

ExceptionTypes = Union[type[BaseException], tuple[type[BaseException], ...]]


class ClauseViolation(AssertionError):
    """An observation contradicts a clause of the catalogue.

    Each clause raises its own subclass (:func:`violation_type`), so
    Hypothesis, which tells bugs apart by exception type and location, keeps
    violations of different clauses apart while shrinking.
    """

    def __init__(self, clause_id: str, observed: str):
        self.clause = spec.clause(clause_id)
        self.observed = observed
        c = self.clause
        super().__init__(
            f"{c.id} violated ({c.strength.value}, Python {c.versions}): {c.statement}\n  observed: {observed}"
        )


_VIOLATION_TYPES: dict[str, type[ClauseViolation]] = {}


def violation_type(clause_id: str) -> type[ClauseViolation]:
    """The :class:`ClauseViolation` subclass for one clause."""
    if clause_id not in _VIOLATION_TYPES:
        name = "ClauseViolation_" + clause_id.replace("-", "_")
        _VIOLATION_TYPES[clause_id] = type(name, (ClauseViolation,), {"__module__": __name__})
    return _VIOLATION_TYPES[clause_id]


def expect(clause_id: str, condition: bool, observed: str) -> None:
    """Record a check of ``clause_id``; unless ``condition`` holds, fail with its :class:`ClauseViolation`.

    A tolerated failure raises :class:`~conformance.evidence.Deviated`
    instead.  A clause that does not hold for the running Python version is
    not graded: nothing is recorded.  The clause ID is looked up even then,
    so a typo fails at once.
    """
    clause = spec.clause(clause_id)
    if not clause.holds_for():
        return
    ok = bool(condition)
    ledger = evidence.current()
    tolerance = ledger.record(clause_id, ok, observed)
    if ok:
        return
    if tolerance is not None:
        raise evidence.Deviated(evidence.Deviation(clause_id, observed, tolerance, tuple(ledger.steps)))
    raise violation_type(clause_id)(clause_id, observed)


def _graded(clause_id: str, outcome: Outcome, good: bool, observed: str) -> None:
    """:func:`expect`, counting a tolerated deviation in which the call hung (see ``Ledger.hurried``) and noting
    the kind of a call whose hang fails the test (``Ledger.hung_kinds``)."""
    try:
        expect(clause_id, good, observed)
    except evidence.Deviated:
        if outcome.hung:
            evidence.current().hangs += 1
        raise
    except ClauseViolation:
        if outcome.hung and outcome.kind is not None:
            evidence.current().hung_kinds.add(outcome.kind)
        raise


def returned(clause_id: str, outcome: Outcome) -> object:
    """The call must have returned normally; its value is passed on."""
    _graded(clause_id, outcome, outcome.ok, outcome.describe() + ", expected it to return")
    return outcome.value


def raised(
    clause_id: str, outcome: Outcome, expected: ExceptionTypes, *, exact: bool = False
) -> Optional[BaseException]:
    """The call must have raised ``expected`` (exactly that type with ``exact``)."""
    names = qualified_name(expected) if isinstance(expected, type) else " or ".join(qualified_name(e) for e in expected)
    if exact and isinstance(expected, type):
        good = outcome.error is not None and type(outcome.error) is expected
    else:
        good = isinstance(outcome.error, expected)
    _graded(clause_id, outcome, not outcome.hung and good, outcome.describe() + f", expected {names}")
    return outcome.error


def within(clause_id: str, outcome: Outcome, low: float, high: float) -> None:
    """The call must have taken between ``low`` and ``high`` seconds."""
    _graded(
        clause_id,
        outcome,
        not outcome.hung and low <= outcome.elapsed <= high,
        outcome.describe() + f", expected it to take between {max(low, 0):.3f}s and {high:.3f}s",
    )
