"""Releasing primitives whatever state a test left them in.

Cleanup must never hang and never raise: it runs in ``finally`` blocks and
teardowns, often after the implementation under test has misbehaved.
"""

from contextlib import suppress


def dispose(obj) -> None:
    """Close ``obj`` (a queue, a connection or a pair) without blocking.

    A stdlib ``Queue`` whose feeder still holds data would block the
    interpreter at exit (docs: "Joining processes that use queues"), so
    ``cancel_join_thread()`` comes first; the suite never relies on data
    surviving a disposal.
    """
    if isinstance(obj, tuple):
        for item in obj:
            dispose(item)
        return
    for method in ("cancel_join_thread", "close"):
        with suppress(Exception):
            getattr(obj, method)()
