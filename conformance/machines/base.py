"""What every state machine in the suite shares.

A machine is a :class:`hypothesis.stateful.RuleBasedStateMachine` that
drives one primitive of the adapter under test and checks each observation
against a pure model (:mod:`conformance.models`) through
:mod:`conformance.verdict`.  Rules, preconditions and bundles depend only
on the model and on what the test asked for, never on what a racing
implementation answered, so generation is deterministic and failures
shrink and replay.

Every rule, initializer and invariant is a :func:`step`.  A step records
itself in the test's evidence (a survey lists the steps that led to a
deviation), and a tolerated deviation inside it (:mod:`conformance.evidence`)
ends the step: the machine then adopts what the implementation did, where
the rule knows how (it catches the deviation itself), or sets the rest of
the example aside (:meth:`ConformanceMachine.set_aside`): later steps do
nothing and teardown checks nothing more, so one deviation never turns
into failures of other clauses.  The next example starts afresh.
"""

import functools
import sys
from typing import Any, Callable, Optional

from hypothesis import event, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from conformance import evidence, hypothesis_hooks, profiles
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import reject_past_shrink_budget
from conformance.harness.peer import Peer
from conformance.verdict import ClauseViolation, expect


def step(function: Callable[..., Any]) -> Callable[..., Any]:
    """Make a rule (put ``@step`` under ``@rule``, ``@initialize`` or ``@invariant``) record itself and survive a
    tolerated deviation."""

    @functools.wraps(function)
    def guarded(self: "ConformanceMachine", **arguments):
        if self.aside is not None:
            return None
        shown = ", ".join(f"{name}={value!r}" for name, value in sorted(arguments.items()))
        ledger = evidence.current()
        ledger.steps.append(f"state.{function.__name__}({shown})")
        ledger.executed()
        try:
            return function(self, **arguments)
        except evidence.Deviated as deviated:
            self.set_aside(deviated.deviation)
            return None

    guarded.ipc_step = True
    return guarded


class ConformanceMachine(RuleBasedStateMachine):
    """Base class: holds the adapter, releases every resource in teardown, handles deviations."""

    def __init__(self, adapter):
        reject_past_shrink_budget()  # a shrink candidate past the budget ends here, before it makes anything
        super().__init__()
        self.adapter = adapter
        self._owned: list[Any] = []
        self._peers: list[Peer] = []
        self.deferred: Optional[tuple[str, str]] = None
        #: The deviation after which this example was set aside (None: it goes on).
        self.aside: Optional[evidence.Deviation] = None
        evidence.current().steps = []

    def set_aside(self, deviation: evidence.Deviation) -> None:
        """Stop exploring this example after a deviation no rule could adopt: the steps left do nothing."""
        self.aside = deviation
        event(f"example set aside after {deviation.clause} deviated")

    def defer(self, clause_id: str, observed: str) -> None:
        """Record a violation whose detection depended on a race; teardown reports it.

        Where an observation is racy (which items an eventual queue has
        published yet), raising at once would end the example at a step
        that varies between runs of the same example, which Hypothesis
        reports as inconsistent data generation instead of the violation.
        The rule resynchronises the model and carries on; teardown raises
        the first deferred violation, so every run of the example ends at
        the same place.  A later violation raised at once (often a
        consequence of the first, such as an item got twice after one was
        got out of order) gives way to it: teardown reports the deferred
        one, the earlier and root cause.
        """
        if self.deferred is None:
            self.deferred = (clause_id, observed)

    def own(self, resource: Any) -> Any:
        """Register ``resource`` (a queue, connection or pair) for disposal."""
        self._owned.append(resource)
        return resource

    def start_peer(self, resource: Any, close_in_child=()) -> Peer:
        """A peer holding ``resource``, stopped in teardown."""
        peer = Peer(self.adapter, resource, close_in_child)
        self._peers.append(peer)
        return peer

    def teardown(self) -> None:
        # Peers first: a peer blocked on a resource is released by stopping it.
        for peer in self._peers:
            peer.stop()
        for resource in self._owned:
            dispose(resource)
        raising = sys.exc_info()[0]
        if self.deferred is not None and (raising is None or issubclass(raising, ClauseViolation)):
            with evidence.continuing():
                expect(self.deferred[0], False, self.deferred[1])


def run(machine: Callable[[Any], ConformanceMachine], adapter, *, examples: float = 1.0, steps: float = 1.0) -> None:
    """Run ``machine(adapter)`` under the run's profile (:func:`conformance.profiles.current`).

    ``examples`` and ``steps`` scale the profile's ``max_examples`` and
    ``stateful_step_count`` for machines whose steps are costly (for
    example ones that start a peer process per example).
    """
    active = profiles.current()
    scaled = settings(
        active,
        max_examples=max(1, round(active.max_examples * examples)),
        stateful_step_count=max(2, round(active.stateful_step_count * steps)),
    )
    # The factory's source is part of the digest Hypothesis derives a derandomised (ci) run's examples from:
    # a change here changes every machine's ci examples.
    factory = lambda: machine(adapter)  # noqa: E731
    # One machine never replays (and drops) another's saved failures.
    hypothesis_hooks.key_machine(factory, f"{machine.__module__}.{machine.__qualname__}")
    run_state_machine_as_test(factory, settings=scaled)
