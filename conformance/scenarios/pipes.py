"""Pipe scenarios: a process at each end, both directions at once, then end of file or a broken pipe.

A pipe may be used by two processes at once only through different ends
(PIPE-SHARED-1), so a scenario has one *active* worker per end: on a
duplex pipe both send and receive, on a simplex pipe ``Pipe(False)``
returns ``(a, b)`` and ``b`` sends to ``a``.  Every process starts with
both ends (the test process creates the pipe; workers inherit it) and each
worker first closes the end it does not use; the test process closes its
copies as soon as the workers are started.

A scenario ends by closing one end, the *closed* end, in every process and
probing the other, the *probed* end:

* ``eof``: the probed end's worker receives everything sent to it, then
  ``expect_eof`` receives once more; that receive must wait until every
  copy of the closed end is closed and then raise EOFError (CONC-PIPE-2).
  On a duplex pipe it may go on with ``expect_broken``, a send that must
  raise BrokenPipeError now that the other end is gone (CONC-PIPE-3).
* ``broken`` (simplex): the reader closes its end, and the writer, told so
  through a signal, sends once more with ``expect_broken``.

An optional *holder* process keeps a copy of the closed end open until the
active worker there has closed its own and signalled: the end of file, or
the broken pipe, must wait for the holder too ("the other end was closed"
means in every process).

Scripts cannot deadlock on a conforming pipe: a ``recv`` in a worker's
body is kept only while the other end's worker surely sends that many
messages before its own first ``recv`` (extra ones become ``poll``), then
each worker receives the rest of what was sent to it; payloads of 100 KiB
(more than a pipe buffer holds) travel in one direction only, and the
other carries at most :data:`LIGHT_BUDGET` bytes, so a send that waits for
room always has a reader.  As with queue scenarios, everything is drawn
in the test process and shrinks toward one direction, tiny payloads and
no holder.
"""

from hypothesis import strategies as st

from conformance.adapter import Mode
from conformance.harness.operations import ENDS, Action, Op
from conformance.primitives import Feature, Primitive
from conformance.scenarios.strategies import LARGE, PAGE, TINY, WAIT_TIMEOUT, Scenario

#: Bytes the light direction may carry in all: well inside any pipe or socket buffer.
LIGHT_BUDGET = 32 * 1024
#: ``poll`` timeouts: ``None`` is ``poll()`` (returns at once), then a short wait.
POLL_TIMEOUTS = (None, 0.01)
#: The worker at each end, and the holder of the closed end.
ACTIVE = {"a": "wa", "b": "wb"}
HOLDER = "holder"


def _other(end: str) -> str:
    return ENDS[1 - ENDS.index(end)]


def _sends(end: str, duplex: bool) -> bool:
    return duplex or end == "b"


@st.composite
def pipe_scenarios(draw, adapter, max_ops: int = 5):
    """Pipe scenarios for ``adapter`` (see the module docstring).

    Where its workers are threads or tasks, an end is one shared object: no
    worker closes the end it does not use, there is no holder, and the end
    of the stream is one close.
    """
    processes = adapter.mode is Mode.PROCESSES
    polls = adapter.has(Feature.PIPE_POLL)
    duplex = draw(st.booleans(), label="duplex") if adapter.has(Feature.PIPE_SIMPLEX) else True
    senders = [end for end in ENDS if _sends(end, duplex)]
    heavy = draw(st.sampled_from((None,) + tuple(senders)), label="heavy direction (sending end)")
    if duplex:
        probed = draw(st.sampled_from(ENDS), label="probed end")
        ending = "eof"
    else:
        ending = draw(st.sampled_from(("eof", "broken")), label="ending")
        probed = "a" if ending == "eof" else "b"
    closed = _other(probed)
    broken_after_eof = duplex and draw(st.booleans(), label="send after end of file")
    holder = processes and draw(st.booleans(), label="holder")
    payloads = draw(st.sampled_from(("tiny", "mixed")), label="payloads")

    bodies: dict[str, list[str]] = {}
    for end in ENDS:
        names = (("send",) if _sends(end, duplex) else ()) + (
            (("recv", "poll") if polls else ("recv",)) if end == "a" or duplex else ()
        )
        bodies[end] = draw(st.lists(st.sampled_from(names), max_size=max_ops), label=f"{end} body")
    # A body recv is kept while the other end surely sends that many before its own first recv.
    sure = {end: _sends_before_first_recv(bodies[end]) for end in ENDS}
    light_left = {end: LIGHT_BUDGET for end in ENDS}

    def concrete(end: str) -> tuple[list[Op], int]:
        ops, sent, got = [], 0, 0
        worker = ACTIVE[end]
        for name in bodies[end]:
            if name == "send":
                sent += 1
                sizes = (TINY, PAGE, LARGE) if heavy == end else (TINY, PAGE)
                size = draw(st.sampled_from(sizes)) if payloads != "tiny" else TINY
                if heavy != end:
                    size = size if size <= light_left[end] else TINY
                    light_left[end] -= size
                ops.append(Op(Action.SEND, (worker, sent), size, end=end))
            elif name == "recv" and got < sure[_other(end)]:
                got += 1
                ops.append(Op(Action.RECV, end=end))
            elif polls:
                ops.append(Op(Action.POLL, timeout=draw(st.sampled_from(POLL_TIMEOUTS)), end=end))
        return ops, got

    scripts: dict[str, list[Op]] = {}
    received: dict[str, int] = {}
    for end in ENDS:
        body, got = concrete(end)
        # A process closes its copy of the end it does not use; threads share that end with its user.
        scripts[end] = ([Op(Action.CLOSE, end=_other(end))] if processes else []) + body
        received[end] = got
    for end in ENDS:
        incoming = sum(op.name is Action.SEND for op in scripts[_other(end)])
        scripts[end] += [Op(Action.RECV, end=end)] * (incoming - received[end])

    signals = 0

    def signal() -> Op:
        nonlocal signals
        signals += 1
        return Op(Action.SIGNAL, key=signals - 1)

    scripts[closed].append(Op(Action.CLOSE, end=closed))
    if holder:
        scripts[closed].append(signal())
        holder_script = [
            Op(Action.CLOSE, end=probed),
            Op(Action.WAIT, key=0, timeout=WAIT_TIMEOUT),
            Op(Action.CLOSE, end=closed),
        ]
    if ending == "eof":
        scripts[probed].append(Op(Action.EXPECT_EOF, end=probed))
        if broken_after_eof:
            scripts[probed].append(Op(Action.EXPECT_BROKEN, (ACTIVE[probed], 0), TINY, end=probed))
    else:
        last_closer = holder_script if holder else scripts[closed]
        last_closer.append(signal())
        scripts[probed] += [
            Op(Action.WAIT, key=signals - 1, timeout=WAIT_TIMEOUT),
            Op(Action.EXPECT_BROKEN, (ACTIVE[probed], 0), TINY, end=probed),
        ]
    workers = [tuple(scripts["a"]), tuple(scripts["b"])] + ([tuple(holder_script)] if holder else [])
    seeds = tuple(draw(st.integers(0, 2**32 - 1)) for _ in workers)
    return Scenario(
        Primitive.PIPE,
        None,
        (),
        tuple(workers),
        seeds,
        signals,
        worker_names=(ACTIVE["a"], ACTIVE["b"]) + ((HOLDER,) if holder else ()),
        duplex=duplex,
    )


def _sends_before_first_recv(body: list[str]) -> int:
    count = 0
    for name in body:
        if name == "recv":
            break
        count += name == "send"
    return count
