"""Releasing primitives whatever state a test left them in.

Cleanup must never hang and never raise: it runs in ``finally`` blocks and
teardowns, often after the implementation under test has misbehaved.  Each
call into the implementation has a deadline; one that does not return is
abandoned (its thread with it).
"""

from conformance.harness import timing


def dispose(obj) -> None:
    """Close ``obj`` (a queue, a connection or a pair of them) without blocking.

    A stdlib ``Queue`` whose feeder still holds data would block the
    interpreter at exit (docs: "Joining processes that use queues"), so
    ``cancel_join_thread()`` comes first; the suite never relies on data
    surviving a disposal.
    """
    from conformance.harness.deadline import call

    if isinstance(obj, tuple):
        for item in obj:
            dispose(item)
        return
    for method in ("cancel_join_thread", "close"):
        release = getattr(obj, method, None)
        if callable(release):
            call(f"{method}()", release, deadline=timing.IMMEDIATE)
