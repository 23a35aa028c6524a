"""What runs in a worker that is an asyncio task: :mod:`conformance.harness.worker`, awaiting the coroutine API.

The messages and their meaning are those of :mod:`conformance.harness.worker`;
here they travel over asyncio streams on the task's event loop, and every
operation of the primitive that has a ``coro_<name>`` form is awaited
(the coroutine API of aioprocessing and its kind).  Kept apart so that a
worker process never imports asyncio.
"""

import asyncio
import pickle
import random
import socket
import struct
import time
from typing import Any, Optional

from conformance.harness.control import Log, Slots
from conformance.harness.operations import Action, Op, Status, exception_name, prepare
from conformance.harness.worker import (
    CONNECT_DEADLINE,
    SLOT,
    Message,
    Order,
    Returned,
    _outcome,
    _received,
    _reply,
    command,
    noise,
)


class _AsyncChannel:
    """The task side of a :class:`Channel`, on asyncio streams (the same framing)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(struct.pack("!I", len(data)) + data)
        await self.writer.drain()

    async def recv(self, timeout: Optional[float] = None) -> Any:
        async def whole():
            (size,) = struct.unpack("!I", await self.reader.readexactly(4))
            return pickle.loads(await self.reader.readexactly(size))

        return await (whole() if timeout is None else asyncio.wait_for(whole(), timeout))

    def close(self) -> None:
        self.writer.close()


async def main_async(
    address: socket.socket,
    token: str,
    handoff,
    sent: tuple[Any, ...],
    capture: Optional[str] = None,
    closing: int = 0,
    order: Optional[Order] = None,
) -> None:
    """A worker that is an asyncio task: operations with a ``coro_<name>`` form are awaited.

    It runs in the test process, so ``address`` is its end of a connected pair (no token to announce).
    """
    resource = _received(handoff, sent, closing)
    opened = order.open() if order is not None else None
    reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(sock=address), CONNECT_DEADLINE)
    channel = _AsyncChannel(reader, writer)
    try:
        if opened is not None:
            await _run_script_async(channel, resource, order, *opened)
        if order is None or order.linger:
            await _serve_async(channel, resource)
    finally:
        channel.close()


async def _serve_async(channel: _AsyncChannel, resource: Any) -> None:
    while True:
        try:
            message = await channel.recv()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return
        kind = message[0]
        if kind is Message.EXIT:
            return
        if kind is Message.PING:
            await channel.send((Message.REPLY, "ok", None, 0.0))
        elif kind is Message.CALL:
            await _call_async(channel, resource, *message[1:])


async def _call_async(channel: _AsyncChannel, resource: Any, name: str, args: tuple, kwargs: dict) -> None:
    start = time.monotonic()
    try:
        run = command(name, args, kwargs)
        coroutine = getattr(resource, f"coro_{run.method}", None)
        if coroutine is not None:
            returned = await coroutine(*run.args, **run.kwargs)
        else:
            returned = getattr(resource, run.method)(*run.args, **run.kwargs)
        value, status = run.finish(returned), "ok"
    except BaseException as exc:  # report whatever the implementation raised
        value, status = exc.with_traceback(None), "raise"
    replies: list[Any] = []

    def keep(reply):
        pickle.dumps(reply)  # the same test as sending it: an unpicklable value is handed over in this process
        replies.append(reply)

    _reply(keep, status, value, time.monotonic() - start, local=True)
    await channel.send(replies[-1])


async def _run_script_async(channel: _AsyncChannel, resource: Any, order: Order, slots: Slots, log: Log) -> None:
    rng = random.Random(order.seed)
    try:
        await channel.send((Message.READY,))
        if (await channel.recv(CONNECT_DEADLINE))[0] is not Message.GO:
            return
        for index, op in enumerate(order.script):
            await asyncio.sleep(max(0.0, noise(rng)))  # schedule noise (0 yields to the other tasks), see noise()
            t_inv = time.monotonic_ns()
            slots[order.number] = t_inv // 1000 * SLOT + index + 1
            status, value = await _perform_async(channel, resource, op)
            log.append(Returned(index, status, value, t_inv, time.monotonic_ns()))
        await channel.send((Message.DONE,))
    finally:
        log.close()
        slots.close()


async def _perform_async(channel: _AsyncChannel, resource: Any, op: Op) -> tuple[Status, Any]:
    try:
        if op.name is Action.FLUSH:
            resource.close()
            resource.join_thread()
            return Status.OK, None
        if op.name is Action.SIGNAL:
            await channel.send((Message.SIGNAL, op.key))
            return Status.OK, None
        if op.name is Action.WAIT:
            await channel.send((Message.WAIT, op.key))
            try:
                await channel.recv(op.timeout)
            except asyncio.TimeoutError:
                return Status.RAISED, "TimeoutError: the signal never came"
            return Status.OK, None
        invocation = prepare(resource, op, coroutines=True)
        result = invocation.method(*invocation.args, **invocation.kwargs)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        return _outcome(op, result, invocation.reads_item)
    except BaseException as exc:  # the implementation may raise anything; the checker grades it
        if isinstance(exc, asyncio.CancelledError):
            raise
        return Status.RAISED, exception_name(exc)
