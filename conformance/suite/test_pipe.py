"""Pipe and Connection (spec section ``pipe``).

``test_pipe_machine`` runs the state machine of :mod:`conformance.machines.pipe`
on a duplex and a simplex pipe.  The other tests cover what a machine does
poorly: waits that must block until another process acts, durations, the
``Pipe()`` default and the context-manager protocol.
"""

import pytest

from conformance.adapter import Capability
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines.base import run
from conformance.machines.pipe import DuplexPipe, SimplexPipe
from conformance.verdict import expect, raised, returned, within

#: A poll timeout far longer than any wait here, to tell "returned when
#: woken" from "returned at the end of its timeout".
LONG_TIMEOUT = 20 * timing.OPERATION_DEADLINE

DUPLEX = pytest.mark.parametrize("duplex", [True, False], ids=["duplex", "simplex"])


@pytest.mark.requires(Capability.PIPE)
@pytest.mark.parametrize(
    "machine",
    [
        pytest.param(DuplexPipe, id="duplex", marks=pytest.mark.spec(*DuplexPipe.CLAUSES)),
        pytest.param(SimplexPipe, id="simplex", marks=pytest.mark.spec(*SimplexPipe.CLAUSES)),
    ],
)
def test_pipe_machine(ipc_adapter, machine):
    """Random send/receive/poll/close sequences on both ends agree with the pipe model."""
    run(machine, ipc_adapter)


@pytest.mark.spec("PIPE-DUPLEX-1")
@pytest.mark.requires(Capability.PIPE)
def test_pipe_default_is_duplex(ipc_adapter):
    """``Pipe()`` without arguments: each end sends to, and receives from, the other.

    The adapter's pipe factory is called without arguments, as ``Pipe()`` is.
    """
    first, second = ipc_adapter.pipe()
    try:
        for name, sender, receiver in (("first", first, second), ("second", second, first)):
            data = f"from the {name} end".encode()
            returned("PIPE-DUPLEX-1", call(f"{name} end send_bytes({data!r})", sender.send_bytes, data))
            received = call("other end recv_bytes()", receiver.recv_bytes)
            expect("PIPE-DUPLEX-1", received.ok and received.value == data, received.describe() + f", expected {data!r}")
    finally:
        dispose((first, second))


def _peer_holding_first(adapter, duplex):
    """A pipe whose first (receiving) end a peer holds; returns (peer, the test's second end)."""
    first, second = adapter.pipe(duplex)
    try:
        peer = Peer(adapter, first, close_in_child=[second])
    except BaseException:
        dispose((first, second))
        raise
    dispose(first)
    return peer, second


@pytest.mark.parametrize(
    "timeout, clause",
    [
        pytest.param(None, "PIPE-POLL-4", id="poll(None)", marks=pytest.mark.spec("PIPE-POLL-4")),
        pytest.param(LONG_TIMEOUT, "PIPE-POLL-2", id="poll(long)", marks=pytest.mark.spec("PIPE-POLL-2")),
    ],
)
@pytest.mark.parametrize("wake", ["send", "close"])
@DUPLEX
@pytest.mark.requires(Capability.PIPE)
def test_poll_blocks_until_woken(ipc_adapter, duplex, wake, timeout, clause):
    """A peer's blocking ``poll`` waits until the test sends or closes, then returns True.

    The peer answers one call first, so it is idle and serving when its
    ``poll`` is submitted; the poll must still be running a moment later,
    and must return True once the test's end sends (the message then
    arrives whole) or closes (PIPE-EOF-3: end of file is readable).
    """
    peer, mine = _peer_holding_first(ipc_adapter, duplex)
    try:
        returned(clause, peer.run("poll"))
        polling = peer.submit("poll", timeout)
        if polling.ready(timing.STILL_BLOCKED):
            outcome = polling.result()
            expect(clause, False, outcome.describe() + ", before the other end sent or closed anything")
        if wake == "send":
            returned(clause, call("test send_bytes(b'wake')", mine.send_bytes, b"wake"))
        else:
            returned(clause, call("test close()", mine.close))
        outcome = polling.result()
        expect(clause, outcome.ok and outcome.value is True, outcome.describe() + f", expected True after the {wake}")
        if wake == "send":
            received = peer.run("recv_bytes")
            expect("PIPE-POLL-7", received.ok and received.value == b"wake", received.describe() + ", expected b'wake'")
    finally:
        peer.stop()
        dispose(mine)


@pytest.mark.spec("PIPE-POLL-2", "PIPE-POLL-3")
@pytest.mark.requires(Capability.PIPE)
@pytest.mark.parametrize("timeout", [0.05, 0.2])
@DUPLEX
def test_poll_timeout_duration(ipc_adapter, duplex, timeout):
    """``poll(timeout)`` with nothing to receive returns False after about ``timeout`` seconds."""
    first, second = ipc_adapter.pipe(duplex)
    try:
        outcome = call(f"poll({timeout})", first.poll, timeout)
        expect("PIPE-POLL-2", outcome.ok and outcome.value is False, outcome.describe() + ", expected False")
        within("PIPE-POLL-2", outcome, 0.0, timeout + timing.TIMEOUT_LATE)
        expect(
            "PIPE-POLL-3",
            outcome.elapsed >= timeout - timing.TIMEOUT_EARLY,
            outcome.describe() + f", expected it to wait at least {timeout - timing.TIMEOUT_EARLY:.3f}s",
        )
    finally:
        dispose((first, second))


@pytest.mark.spec("PIPE-POLL-5")
@pytest.mark.requires(Capability.PIPE)
@pytest.mark.parametrize("timeout", [-1, -0.5, -1e-9])
@DUPLEX
def test_negative_poll_timeout_acts_as_zero(ipc_adapter, duplex, timeout):
    """``poll(negative)`` returns at once: False with nothing to receive, True with a message waiting."""
    first, second = ipc_adapter.pipe(duplex)
    try:
        for expected in (False, True):
            if expected:
                returned("PIPE-POLL-5", call("send_bytes(b'x')", second.send_bytes, b"x"))
            outcome = call(f"poll({timeout})", first.poll, timeout)
            expect("PIPE-POLL-5", outcome.ok and outcome.value is expected, outcome.describe() + f", expected {expected}")
            within("PIPE-POLL-5", outcome, 0.0, timing.IMMEDIATE)
    finally:
        dispose((first, second))


class _BodyError(Exception):
    """Raised inside a with-block to check that __exit__ closes and does not swallow it."""


@pytest.mark.spec("PIPE-CLOSE-3")
@pytest.mark.requires(Capability.PIPE)
@pytest.mark.parametrize("body", ["returns", "raises"])
@pytest.mark.parametrize("end", [0, 1], ids=["first", "second"])
@DUPLEX
def test_context_manager_closes(ipc_adapter, duplex, end, body):
    """``with conn as c``: ``c`` is ``conn``, and leaving the block closes it.

    Closed means closed for real: the end itself refuses further use
    (OSError), and the other end sees it (end of file, or a broken pipe for
    a send-only other end).
    """
    pair = ipc_adapter.pipe(duplex)
    conn, other = pair[end], pair[1 - end]
    entered = []

    def use():
        with conn as value:
            entered.append(value)
            if body == "raises":
                raise _BodyError("raised in the with-block")

    try:
        outcome = call("with conn as c: ...", use)
        if body == "raises":
            raised("PIPE-CLOSE-3", outcome, _BodyError)
        else:
            returned("PIPE-CLOSE-3", outcome)
        expect("PIPE-CLOSE-3", entered == [conn], f"__enter__() returned {entered!r}, expected the connection itself")
        can_receive = duplex or end == 0
        if can_receive:
            raised("PIPE-CLOSE-3", call("poll() after the with-block", conn.poll), OSError)
        else:
            raised("PIPE-CLOSE-3", call("send_bytes(b'x') after the with-block", conn.send_bytes, b"x"), OSError)
        if duplex or end == 1:
            seen = call("other end recv_bytes()", other.recv_bytes)
            raised("PIPE-CLOSE-3", seen, EOFError)
        else:
            seen = call("other end send_bytes(b'x')", other.send_bytes, b"x")
            raised("PIPE-CLOSE-3", seen, BrokenPipeError)
    finally:
        dispose(pair)
