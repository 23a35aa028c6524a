"""Deliberately broken adapters, one fault each.

Each module exports ``ADAPTER``: the stdlib ``multiprocessing`` reference
(fork context) with one primitive replaced by a faulty variant.  Its
docstring names the clause(s) the fault violates; ``tests/test_faults.py``
checks that the suite fails it, names the clause and shows shrunk steps.
"""

import multiprocessing
import platform

from conformance.adapter import Adapter, Consistency
from implementations.stdlib import LACKS

#: Faults live in objects each process inherits, so they run under fork only.
CONTEXT = multiprocessing.get_context("fork")


def fault_adapter(module: str, **primitives) -> Adapter:
    """The fork-context reference with ``primitives`` (factories) replaced, named after the fault's module."""
    short = module.rsplit(".", 1)[-1]
    return Adapter(
        name="fault-" + short.replace("_", "-"),
        implementation=module,
        version=platform.python_version(),
        context=CONTEXT,
        lacks=LACKS,
        consistency=Consistency.EVENTUAL,
        **primitives,
    )
