"""Manager queue proxies: the spec section ``conformance/spec/manager_queue.py``.

The queue machines (test_queue.py, test_joinable_queue.py) check the proxy
against the exact model; the tests here cover what only proxies promise.
Every clause here needs proxy queues, so for any other adapter they are
skipped, naming the trait.
"""

import queue as queue_module

import pytest

from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.primitives import QueueCall
from conformance.verdict import expect, raised, returned, within


@pytest.fixture
def proxy(ipc_adapter):
    made = ipc_adapter.queue(0)
    yield made
    dispose(made)


@pytest.mark.spec("MGR-PROXY-1")
def test_proxy_behaves_as_a_queue_queue(ipc_adapter):
    """``queue(2)``: FIFO, Full at the third put, Empty once drained, each exact at once; ``queue(0)`` unbounded."""
    bounded = returned("MGR-PROXY-1", call("queue(2)", ipc_adapter.queue, 2))
    try:
        for item in ("first", "second"):
            returned("MGR-PROXY-1", call(f"put({item!r})", bounded.put, item))
        with continuing():
            raised("MGR-PROXY-1", call("put_nowait('third')", bounded.put_nowait, "third"), queue_module.Full)
        got = [call("get_nowait()", bounded.get_nowait) for _ in range(2)]
        expect("MGR-PROXY-1", [o.value for o in got] == ["first", "second"], ", ".join(o.describe() for o in got))
        raised("MGR-PROXY-1", call("get_nowait()", bounded.get_nowait), queue_module.Empty)
    finally:
        dispose(bounded)
    unbounded = returned("MGR-PROXY-1", call("queue(0)", ipc_adapter.queue, 0))
    try:
        for n in range(100):
            returned("MGR-PROXY-1", call(f"put_nowait({n})", unbounded.put_nowait, n, deadline=timing.IMMEDIATE))
    finally:
        dispose(unbounded)


@pytest.mark.spec("MGR-EXCEPTION-1")
def test_exceptions_keep_their_class(ipc_adapter, proxy):
    empty = raised("MGR-EXCEPTION-1", call("get_nowait()", proxy.get_nowait), queue_module.Empty, exact=True)
    bounded = ipc_adapter.queue(1)
    try:
        returned("MGR-EXCEPTION-1", call("put(1)", bounded.put, 1))
        full = raised("MGR-EXCEPTION-1", call("put_nowait(2)", bounded.put_nowait, 2), queue_module.Full, exact=True)
    finally:
        dispose(bounded)
    expect(
        "MGR-EXCEPTION-1", type(empty) is queue_module.Empty and type(full) is queue_module.Full, f"{empty!r}, {full!r}"
    )


@pytest.mark.spec("MGR-TIMEOUT-1")
def test_negative_timeout_raises_value_error(ipc_adapter, proxy):
    """``put(x, True, -1)`` on a full bounded queue and ``get(True, -1)`` on an empty one raise ValueError."""
    bounded = ipc_adapter.queue(1)
    try:
        returned("MGR-TIMEOUT-1", call("put('first')", bounded.put, "first"))
        for form, queue, item in ((QueueCall.PUT_NEGATIVE, bounded, "second"), (QueueCall.GET_NEGATIVE, proxy, None)):
            with continuing():
                args, kwargs = form.arguments(item)
                outcome = call(
                    form.describe(item), getattr(queue, form.method), *args, deadline=timing.IMMEDIATE, **kwargs
                )
                raised("MGR-TIMEOUT-1", outcome, ValueError)
    finally:
        dispose(bounded)


@pytest.mark.spec("MGR-TASKDONE-1")
def test_plain_queue_proxy_has_task_accounting(proxy):
    returned("MGR-TASKDONE-1", call("put('task')", proxy.put, "task"))
    returned("MGR-TASKDONE-1", call("get()", proxy.get, True, timing.OPERATION_DEADLINE))
    returned("MGR-TASKDONE-1", call("task_done()", proxy.task_done))
    joined = call("join()", proxy.join)
    returned("MGR-TASKDONE-1", joined)
    within("MGR-TASKDONE-1", joined, 0, timing.IMMEDIATE)
    raised("MGR-TASKDONE-1", call("task_done()", proxy.task_done), ValueError)


@pytest.mark.spec("MGR-NOCLOSE-1")
def test_no_close_and_producers_exit_without_a_reader(ipc_adapter, proxy):
    present = [name for name in ("close", "join_thread", "cancel_join_thread") if hasattr(proxy, name)]
    expect("MGR-NOCLOSE-1", not present, f"the proxy has {present}")
    with Peer(ipc_adapter, proxy) as producer:
        returned("MGR-NOCLOSE-1", producer.run("put", bytes(1 << 20)))
        producer.exit()
        expect("MGR-NOCLOSE-1", producer.exited(timing.OPERATION_DEADLINE), "a producer with 1 MiB unread did not exit")
    got = call("get_nowait()", proxy.get_nowait)
    expect("MGR-NOCLOSE-1", got.ok and got.value == bytes(1 << 20), got.describe() + ", expected the 1 MiB item")


@pytest.mark.spec("MGR-SHARE-1")
def test_proxy_sent_through_a_queue_reaches_the_same_queue(ipc_adapter, proxy):
    inner = ipc_adapter.queue(0)
    try:
        with Peer(ipc_adapter, proxy) as peer:
            returned("MGR-SHARE-1", call("put(<proxy>)", proxy.put, inner))
            returned("MGR-SHARE-1", peer.run("relay", "relayed", timing.OPERATION_DEADLINE))
        got = call("get_nowait()", inner.get_nowait)
        expect("MGR-SHARE-1", got.ok and got.value == "relayed", got.describe() + ", expected 'relayed'")
    finally:
        dispose(inner)


@pytest.mark.spec("MGR-SHUTDOWN-1")
def test_shutdown_drains_then_raises(proxy):
    for item in ("a", "b"):
        returned("MGR-SHUTDOWN-1", call(f"put({item!r})", proxy.put, item))
    returned("MGR-SHUTDOWN-1", call("shutdown()", proxy.shutdown))
    raised("MGR-SHUTDOWN-1", call("put('c')", proxy.put, "c"), queue_module.ShutDown)
    got = [call("get()", proxy.get, True, timing.OPERATION_DEADLINE) for _ in range(2)]
    expect("MGR-SHUTDOWN-1", [o.value for o in got] == ["a", "b"], ", ".join(o.describe() for o in got))
    raised("MGR-SHUTDOWN-1", call("get()", proxy.get, True, timing.OPERATION_DEADLINE), queue_module.ShutDown)
