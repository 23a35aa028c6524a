"""A Pipe that leaks a duplicate of each end's descriptor, so end of stream never comes: violates PIPE-EOF-1 /
PIPE-EOF-3.

The factory keeps a ``dup()`` of every descriptor it hands out ("so the
ends survive being sent to another process") and never closes it.  When
one end is closed its duplicate keeps the stream open: a receive at the
other end blocks for ever instead of raising ``EOFError``, ``poll()``
stays False (PIPE-EOF-3) and sends no longer raise ``BrokenPipeError``
(PIPE-EOF-4).
"""

import os

from tests.faults import CONTEXT, fault_adapter

_KEPT = []


def pipe(duplex=True):
    first, second = CONTEXT.Pipe(duplex)
    _KEPT.extend(os.dup(end.fileno()) for end in (first, second))
    return first, second


ADAPTER = fault_adapter(__name__, pipe=pipe)
