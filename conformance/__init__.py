"""ipc-conformance: a spec-derived conformance suite for multiprocessing-style queues and pipes.

The public surface is small: :class:`~conformance.adapter.Adapter` and the
types it takes (:class:`~conformance.primitives.Feature`,
:class:`~conformance.adapter.Consistency`, :class:`~conformance.adapter.Limits`,
:class:`~conformance.adapter.Trait`, and the launchers of
:mod:`conformance.harness.launchers`) to plug an implementation in, and the
pytest plugin (``conformance.plugin``) that runs ``conformance.suite``
against it.
"""

from conformance.adapter import Adapter, AdapterError, Consistency, Limits, Mode, Trait
from conformance.primitives import Feature, Primitive

__version__ = "0.1.0"

__all__ = [
    "Adapter",
    "AdapterError",
    "Consistency",
    "Feature",
    "Limits",
    "Mode",
    "Primitive",
    "Trait",
    "__version__",
]
