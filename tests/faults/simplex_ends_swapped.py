"""A one-way Pipe that returns its ends in the wrong order: violates PIPE-SIMPLEX-1 (and PIPE-SIMPLEX-3, PIPE-EOF-1).

``Pipe(duplex=False)`` returns ``(conn1, conn2)`` where ``conn1`` only
receives and ``conn2`` only sends; this one returns ``(sending,
receiving)``, as ``os.pipe()`` users sometimes expect the other way
round.  The two-way ``Pipe()`` is the stdlib's.  Seen from each end:
``conn2`` receives (PIPE-SIMPLEX-3 requires OSError), and once ``conn2``
is closed a receive on ``conn1`` raises OSError where EOFError is due
(PIPE-EOF-1).
"""

from tests.faults import CONTEXT, fault_adapter


def pipe(duplex=True):
    first, second = CONTEXT.Pipe(duplex)
    return (first, second) if duplex else (second, first)


ADAPTER = fault_adapter(__name__, pipe=pipe)
