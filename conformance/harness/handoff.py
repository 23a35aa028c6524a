"""Hand-offs: how a primitive reaches a worker, in the implementation's own way.

A :class:`Handoff` turns the primitive into what travels in a launcher's
arguments (:meth:`Handoff.send`, in the test process) and back into the
object the worker uses (:meth:`Handoff.receive`, in the worker):
:data:`INHERIT` passes the object itself (inherited under fork, pickled by
the implementation under spawn), :class:`Shared` marks a worker that runs
in the test process and uses the very object, :class:`Reopen` passes a name
the worker reopens.  An implementation that moves a handle into a child
rather than copying it implements ``send`` to detach the handle and
``receive`` to adopt it.

Every worker unpickles its hand-off, so this module imports nothing.
"""

from typing import Any, Callable


class Handoff:
    """How a primitive reaches a worker: as itself (inherited, or pickled by the launcher)."""

    #: The worker's copy is the parent's object (a thread, a task): closing it there closes it here.
    shared = False

    def send(self, obj: Any) -> Any:
        """What the launcher's arguments carry for ``obj``."""
        return obj

    def receive(self, sent: Any) -> Any:
        """In the worker: the object under test, from what the arguments carried."""
        return sent


#: Pass the primitive as a launcher argument, as ``multiprocessing`` shares by inheritance.
INHERIT = Handoff()


class Shared(Handoff):
    """The worker runs in the test process and uses the very same object."""

    shared = True


class Reopen(Handoff):
    """Pass a name (``export(obj)``) that the worker turns back into an object (``reopen(name)``)."""

    def __init__(self, export: Callable[[Any], Any], reopen: Callable[[Any], Any]):
        self._export = export
        self._reopen = reopen

    def send(self, obj: Any) -> Any:
        return self._export(obj)

    def receive(self, sent: Any) -> Any:
        return self._reopen(sent)
