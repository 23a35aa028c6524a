"""ipc-conformance: a spec-derived conformance suite for multiprocessing-style queues and pipes.

The public surface is small: :class:`~conformance.adapter.Adapter` and the
types it takes (:class:`~conformance.primitives.Feature`,
:class:`~conformance.adapter.Consistency`, :class:`~conformance.adapter.Limits`,
:class:`~conformance.adapter.Trait`, and the launchers of
:mod:`conformance.harness.launchers`) to plug an implementation in, and the
pytest plugin (``conformance.plugin``) that runs ``conformance.suite``
against it.

The names are imported on first use: a worker process, which imports only
the harness's light modules, does not pay for the rest.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "Adapter": "conformance.adapter",
    "AdapterError": "conformance.adapter",
    "Consistency": "conformance.adapter",
    "Limits": "conformance.adapter",
    "Mode": "conformance.adapter",
    "Trait": "conformance.adapter",
    "Feature": "conformance.primitives",
    "Primitive": "conformance.primitives",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
