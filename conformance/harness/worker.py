"""What runs in a worker: connect back to the test process, then serve its commands or run a script.

Every worker, whatever started it, runs :func:`main` (or, as an asyncio
task, :func:`conformance.harness.task_worker.main_async`) with the address of the harness's listener, a
token, and the primitive as the launcher's hand-off delivered it.  It
connects (:class:`~conformance.harness.control.Channel`) and then obeys:

* ``CALL``: run one method of the primitive (or a harness helper such as
  ``recv_bytes_into`` into a fresh buffer) and reply with what it returned
  or raised and how long it took: the peer of the state machines.
* ``PING``: answer at once (a worker serving commands is not stuck).
* ``EXIT``, or the channel closing: return, so a process exits normally and
  runs the implementation's exit handlers (a stdlib Queue flushes).

A worker of a crew is started with its :class:`Order` instead: it opens its
progress slot and record log, connects, announces itself ready, waits for
``GO`` (the start barrier, released for all workers of a crew at once), runs
the script, announcing each operation in its progress slot and appending
what it returned to its record log once it has (so a worker that hangs
later has logged what it did), and says it is done.  Signals between
workers travel through the test process.  Then it ends, or, if the order
says to linger, keeps the primitive and serves until told to exit.

A process worker first sends its error output, and the interpreter's
fatal-error report, to a capture file the test process reads when the
worker dies, and (on Linux) asks to be killed if the test process dies.
"""

import ctypes
import enum
import faulthandler
import os
import queue
import random
import signal
import socket
import sys
import time
from typing import Any, Callable, NamedTuple, Optional, Union

from conformance.harness.control import Channel, Log, Slots
from conformance.harness.deadline import qualified_name, short
from conformance.harness.operations import Action, Op, StandIn, Status, exception_name, prepare, received

#: How long a worker may take to connect back once it runs (a spawned interpreter imports first).
CONNECT_DEADLINE = 30.0

#: A progress slot holds ``invocation time in microseconds * SLOT + index + 1``
#: in one 64-bit word, so the test process never reads a time and an index
#: that do not belong together (0: the worker has not begun its script).
SLOT = 256
MAX_SCRIPT = SLOT - 2


class Message(str, enum.Enum):
    """The kinds of control messages."""

    CALL = "call"
    PING = "ping"
    EXIT = "exit"
    READY = "ready"
    GO = "go"
    SIGNAL = "signal"
    WAIT = "wait"
    RELEASE = "release"
    DONE = "done"
    REPLY = "reply"


class Command(NamedTuple):
    """The call a ``CALL`` message asks of the resource: its method and arguments, and what the reply makes of what
    it returned (a task worker awaits the method's ``coro_<method>`` form where there is one)."""

    method: str
    args: tuple
    kwargs: dict
    finish: Callable[[Any], Any] = lambda returned: returned


def _recv_bytes_into(size: int, offset: int) -> Command:
    """Into a fresh zeroed buffer of ``size`` bytes: the reply is the count and the buffer's bytes."""
    buffer = bytearray(size)
    return Command("recv_bytes_into", (buffer, offset), {}, lambda count: (count, bytes(buffer)))


def _relay(value, timeout: float) -> Command:
    """Get a queue out of the resource queue and put ``value`` into it."""
    return Command("get", (True, timeout), {}, lambda inner: inner.put(value))


#: Commands a peer runs besides plain methods of its resource.
HELPERS = {"recv_bytes_into": _recv_bytes_into, "relay": _relay}


def command(name: str, args: tuple, kwargs: dict) -> Command:
    """What a ``CALL`` of ``name`` runs: a helper's call, or the resource's method of that name."""
    helper = HELPERS.get(name)
    return helper(*args, **kwargs) if helper else Command(name, args, kwargs)


#: Operations whose return value a record keeps.
_ANSWERS = (Action.QSIZE, Action.EMPTY, Action.FULL, Action.POLL)


#: Values a worker in the test process (a thread or a task) returned that cannot be pickled, by reply number:
#: the test process takes them from here (see :func:`taken`).
_LOCAL: dict = {}


def taken(number: int) -> Any:
    """A value a worker in this process left here for its reply."""
    return _LOCAL.pop(number)


def _reply(channel_send: Callable[[Any], None], status: str, value: Any, elapsed: float, local: bool = False) -> None:
    try:
        channel_send((Message.REPLY, status, value, elapsed))
    except Exception as exc:  # an unpicklable value or exception
        if local:
            # A thread or task shares the test process: hand the object itself over.
            number = id(value)
            _LOCAL[number] = value
            channel_send((Message.REPLY, f"{status} local", number, elapsed))
        elif status == "ok":
            # The call returned (the implementation's own pickler delivered the object): say so, with a stand-in.
            channel_send((Message.REPLY, status, StandIn.of(value), elapsed))
        elif isinstance(value, (queue.Empty, queue.Full)):
            # The implementation's own subclass of a queue module signal, which the standard pickle cannot carry
            # (ray makes one per raise: RayTaskError(Empty)): the signal the checks test for, naming that class.
            signal_class = queue.Empty if isinstance(value, queue.Empty) else queue.Full
            channel_send(
                (Message.REPLY, "raise", signal_class(f"{qualified_name(type(value))}: {short(value)}"), elapsed)
            )
        else:
            channel_send((Message.REPLY, "raise", RuntimeError(f"the peer could not report {value!r}: {exc}"), elapsed))


def _quiet(capture: str) -> None:
    """Send this process's error output, and fatal-error reports, to ``capture`` (the test process reads it)."""
    handle = open(capture, "ab", buffering=0)  # kept open for the life of the process
    os.dup2(handle.fileno(), 2)
    faulthandler.enable(file=handle, all_threads=True)


def _prctl() -> Optional[Callable[..., int]]:
    """The C library's ``prctl`` on Linux (None elsewhere or where it cannot be found)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


#: Looked up once, at import: a forked worker (and one forked from a forkserver that preloads this module)
#: inherits it instead of loading the C library again.
_PRCTL = _prctl()


def _die_with_parent() -> None:
    """On Linux, be killed when the test process dies, so no worker outlives a killed run."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


#: The channel of a process worker, closed only by the process's exit.
_KEPT: list[Channel] = []


def _received(handoff, sent: tuple[Any, ...], closing: int) -> Any:
    """The primitive (or the pair of pipe ends) from what the hand-off sent; the last ``closing`` objects sent are
    copies this worker must not keep, closed here."""
    objects = [handoff.receive(each) for each in sent]
    kept, stale = objects[: len(objects) - closing], objects[len(objects) - closing :]
    for obj in stale:
        try:
            obj.close()
        except Exception:  # a copy that cannot be closed is left to the process's exit
            pass
    return kept[0] if len(kept) == 1 else tuple(kept)


class Order(NamedTuple):
    """What a worker of a crew is to do, given with its launch: no round trip to fetch it once it runs."""

    #: Its progress slot in the crew's :class:`~conformance.harness.control.Slots`.
    number: int
    script: tuple[Op, ...]
    #: Seeds its schedule noise (:func:`noise`).
    seed: int
    slots_path: str
    slots_count: int
    log_path: str
    #: Keep the primitive and serve after the script, until told to exit: the end of file of a pipe waits for
    #: every process holding the other end, so a pipe worker must not drop it when it is done.
    linger: bool = False

    def open(self) -> tuple[Slots, Log]:
        """The worker's progress slots and record log, opened before it connects: the test process releases the
        crew once every worker is connected and ready."""
        return Slots(self.slots_count, self.slots_path), Log(self.log_path)


def main(
    address: Union[str, socket.socket],
    token: str,
    handoff,
    sent: tuple[Any, ...],
    capture: Optional[str] = None,
    closing: int = 0,
    order: Optional[Order] = None,
) -> None:
    """A worker of a thread or a process: connect, then run its order or serve (returning exits a process
    normally)."""
    if capture is not None:
        _quiet(capture)
        _die_with_parent()
    resource = _received(handoff, sent, closing)
    opened = order.open() if order is not None else None
    channel = Channel.connect(address, token, CONNECT_DEADLINE)
    if opened is not None:
        _run_script(channel, resource, order, *opened)
    if order is None or order.linger:
        _serve(channel, resource, local=capture is None)
    if capture is None:
        channel.close()
    else:
        # A process keeps its end open until it exits: the test process reads the end of the channel as the
        # end of the process, after the exit handlers that flush what it put.
        _KEPT.append(channel)


def _serve(channel: Channel, resource: Any, local: bool) -> None:
    while True:
        try:
            message = channel.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind is Message.EXIT:
            return
        if kind is Message.PING:
            channel.send((Message.REPLY, "ok", None, 0.0))
        elif kind is Message.CALL:
            _call(channel, resource, local, *message[1:])


def _call(channel: Channel, resource: Any, local: bool, name: str, args: tuple, kwargs: dict) -> None:
    start = time.monotonic()
    try:
        run = command(name, args, kwargs)
        value = run.finish(getattr(resource, run.method)(*run.args, **run.kwargs))
        status = "ok"
    except BaseException as exc:  # report whatever the implementation raised
        value, status = exc.with_traceback(None), "raise"
    _reply(channel.send, status, value, time.monotonic() - start, local)


def noise(rng: random.Random) -> float:
    """Schedule noise before an operation, drawn from the worker's seed: seconds to pause (0: none, -1: yield).

    This is noise, not synchronisation: it shifts where the OS interleaves
    the workers, so repeated runs of one scenario explore different
    schedules, reproducibly distributed for a given seed.
    """
    pick = rng.random()
    if pick < 0.5:
        return 0.0
    if pick < 0.8:
        return -1.0
    return rng.choice((0.00002, 0.0001, 0.0005))


def _outcome(op: Op, result: Any, reads: bool) -> tuple[Status, Any]:
    if reads:
        return Status.OK, received(result)
    return Status.OK, result if op.name in _ANSWERS else None


class Returned(NamedTuple):
    """What a worker logs of an operation of its script once it has returned (the test process knows the worker
    and the operation, and makes the :class:`~conformance.harness.operations.Record` of it)."""

    index: int
    status: Status
    value: Any
    t_inv: int
    t_ret: int


def _run_script(channel: Channel, resource: Any, order: Order, slots: Slots, log: Log) -> None:
    rng = random.Random(order.seed)
    try:
        channel.send((Message.READY,))
        if channel.recv(CONNECT_DEADLINE)[0] is not Message.GO:
            return
        for index, op in enumerate(order.script):
            pause = noise(rng)
            if pause < 0:
                os.sched_yield() if hasattr(os, "sched_yield") else time.sleep(0)
            elif pause:
                time.sleep(pause)  # schedule noise, see noise()
            t_inv = time.monotonic_ns()
            slots[order.number] = t_inv // 1000 * SLOT + index + 1
            status, value = _perform(channel, resource, op)
            log.append(Returned(index, status, value, t_inv, time.monotonic_ns()))
        channel.send((Message.DONE,))
    finally:
        log.close()
        slots.close()


def _perform(channel: Optional[Channel], resource: Any, op: Op) -> tuple[Status, Any]:
    try:
        if op.name is Action.FLUSH:
            resource.close()
            resource.join_thread()
            return Status.OK, None
        if op.name is Action.SIGNAL:
            channel.send((Message.SIGNAL, op.key))
            return Status.OK, None
        if op.name is Action.WAIT:
            channel.send((Message.WAIT, op.key))
            try:
                channel.recv(op.timeout)
            except TimeoutError:
                return Status.RAISED, "TimeoutError: the signal never came"
            return Status.OK, None
        invocation = prepare(resource, op)
        return _outcome(op, invocation.method(*invocation.args, **invocation.kwargs), invocation.reads_item)
    except BaseException as exc:  # the implementation may raise anything; the checker grades it
        return Status.RAISED, exception_name(exc)


def perform_here(resource: Any, op: Op) -> tuple[Status, Any]:
    """Run a queue or pipe operation in the test process (the prefix and the drain of a scenario: no signals)."""
    return _perform(None, resource, op)
