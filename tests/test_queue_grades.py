"""The queue machine and the queue scenarios grade what really happened.

* Generated scenarios and the process machine's puts stay within the
  limits an adapter declares (:class:`~conformance.adapter.Limits`), so a
  byte-bounded buffer is not reported as a full queue; the limit itself is
  graded by QUEUE-LARGE-1's focused test.
* A put refused with ``queue.Full`` on an unbounded queue breaks
  QUEUE-MAXSIZE-3 whatever the item's size (:mod:`tests.faults.zero_maxsize_holds_nothing`).
* A close() in the test process closes a thread peer's queue too: it is the
  very same object, so the machine stops using the peer.
* An item a closed peer's put was allowed to send (a tolerated QUEUE-CLOSE-1)
  may come out of a queue the model holds empty: it is not an invented one.
"""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import evidence
from conformance.adapter import Limits
from conformance.evidence import Tolerance
from conformance.harness import timing
from conformance.harness.launchers import Threads
from conformance.machines.concurrent import ConcurrentQueueMachine
from conformance.machines.queue import QueueMachine
from conformance.models.queue import Item
from conformance.primitives import Primitive, QueueCall
from conformance.scenarios.strategies import LARGE, most_held, scenarios
from conformance.verdict import ClauseViolation
from implementations.stdlib import fork
from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter, zero_maxsize_holds_nothing

#: Limits the generated scripts would exceed: each largest item, and any two of them held at once.
LIMITS = Limits(item_bytes=LARGE - 1, held_bytes=2 * LARGE)


@pytest.fixture(autouse=True)
def ledger():
    """Each test records its checks in a ledger of its own, which tolerates nothing."""
    with evidence.recording(evidence.Ledger()) as own:
        yield own


def put_sizes(ops) -> list[int]:
    return [op.size for op in ops if op.name.puts]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), primitive=st.sampled_from([Primitive.QUEUE, Primitive.SIMPLE_QUEUE]))
def test_scenarios_stay_within_the_declared_limits(data, primitive):
    scenario = data.draw(scenarios(replace(fork(), limits=LIMITS), primitive))
    sizes = put_sizes(scenario.prefix) + [size for script in scenario.workers for size in put_sizes(script)]
    assert all(size <= LIMITS.item_bytes for size in sizes), scenario
    assert most_held(sizes, scenario.maxsize) <= LIMITS.held_bytes, scenario


@pytest.mark.parametrize("maxsize", [None, 2])
def test_the_process_machine_puts_within_the_declared_limits(maxsize):
    machine = ConcurrentQueueMachine(replace(fork(), limits=LIMITS))
    machine.maxsize = maxsize
    sizes = [machine._put("p", seq, LARGE * 2).size for seq in range(1, 9)]
    assert all(size <= LIMITS.item_bytes for size in sizes), sizes
    assert most_held(sizes, maxsize) <= LIMITS.held_bytes, sizes
    assert sizes[0] == LIMITS.item_bytes, "the first put is only cut to the largest item"


def test_a_large_put_refused_by_an_unbounded_queue_breaks_maxsize_3():
    """Made with maxsize=0, the queue has room for any item: its Full is not about the item's size."""
    machine = QueueMachine(zero_maxsize_holds_nothing.ADAPTER)
    try:
        machine.create(maxsize=0, with_peer=False)
        with pytest.raises(ClauseViolation) as violation:
            machine.put_with_free_slot(size=70_000, form=QueueCall.PUT_NOWAIT, ignored=1.0)
    finally:
        machine.teardown()
    assert violation.value.clause.id == "QUEUE-MAXSIZE-3", violation.value


def test_close_in_the_test_thread_closes_the_thread_peers_queue():
    """A thread peer holds the very queue object: after the test's close() the machine no longer uses the peer,
    whose put would raise ValueError (a closed queue), not deviate."""
    machine = QueueMachine(replace(fork(), launcher=Threads()))
    try:
        machine.create(maxsize=None, with_peer=True)
        assert machine.peer_usable
        machine.close(now=0)
        assert machine.model.closed and not machine.peer_usable
        assert isinstance(machine.peer.run("put", Item("peer", 1)).error, ValueError)
    finally:
        machine.teardown()


class CloseIgnored(ForkQueue):
    """close() does nothing, as faster-fifo's only sets a flag: a put after it sends its item."""

    def close(self):
        pass


def test_an_item_put_after_the_peer_closed_may_come_out_of_an_empty_queue():
    machine = QueueMachine(fault_adapter("close_ignored", queue=CloseIgnored))
    with evidence.recording(evidence.Ledger(tolerance={"QUEUE-CLOSE-1": Tolerance.EXPECTED}.get)) as ledger:
        try:
            machine.create(maxsize=None, with_peer=True)
            machine.peer_closes(now=0)
            assert machine.model.limbo and "QUEUE-CLOSE-1" in ledger.deviations
            # The timeout outlasts the peer's feeder: the item comes out.
            machine.get_from_empty_queue(form=QueueCall.GET_TIMEOUT, timeout=timing.VISIBILITY_DEADLINE, ignored=1.0)
            assert not machine.model.limbo and machine.aside is None
        finally:
            machine.teardown()
    assert set(ledger.deviations) == {"QUEUE-CLOSE-1"}
