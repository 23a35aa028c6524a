"""Building faulty pipes: stdlib connections re-wrapped in a subclass that changes one method.

:func:`pipe_of` gives a pipe factory whose two ends are ``Connection``
subclasses over the descriptors the fork-context ``Pipe()`` made, with the
same direction flags, so everything but the overridden method is the stdlib's.
"""

from multiprocessing.connection import Connection

from tests.faults import CONTEXT


def rewrap(conn: Connection, cls) -> Connection:
    """``conn``'s descriptor and direction in an instance of ``cls``; ``conn`` lets go of the descriptor."""
    made = cls(conn.fileno(), readable=conn.readable, writable=conn.writable)
    conn._handle = None  # owned by ``made`` now: closing or collecting ``conn`` must not close it
    return made


def pipe_of(cls):
    """A ``pipe(duplex=True)`` factory whose ends are instances of ``cls``."""

    def pipe(duplex=True):
        first, second = CONTEXT.Pipe(duplex)
        return rewrap(first, cls), rewrap(second, cls)

    return pipe
