"""billiard, Celery's fork of ``multiprocessing``, under the default start method.

billiard ships its own context (``billiard.get_context``) with its own
``Process``, ``Pipe`` and primitives, so the harness's peers are billiard
processes: its queues rely on billiard's after-fork hooks, which only
billiard's ``Process`` runs.  It claims everything the stdlib adapter does.

billiard's ``RawArray`` does not know the typecodes ``'q'``/``'Q'`` (its
table stops at ``'l'``/``'L'``; FINDINGS.md, billiard_rawarray_typecodes);
the harness passes ctypes types, so its context is used as it is.
"""

from implementations._support import expectations, require, version
from implementations.stdlib import default_start_method, mirror


def adapter():
    billiard = require("billiard", "billiard")
    return mirror(
        billiard,
        default_start_method(billiard),
        name="billiard",
        implementation="billiard",
        version=version("billiard"),
        expectations=expectations("billiard"),
    )
