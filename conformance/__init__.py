"""ipc-conformance: a spec-derived conformance suite for multiprocessing-style queues and pipes.

The public surface is small: :class:`~conformance.adapter.Adapter`,
:class:`~conformance.adapter.Capability` and
:class:`~conformance.adapter.Consistency` to plug an implementation in, and
the pytest plugin (``conformance.plugin``) that runs ``conformance.suite``
against it.
"""

from conformance.adapter import Adapter, AdapterError, Capability, Consistency

__version__ = "0.1.0"

__all__ = ["Adapter", "AdapterError", "Capability", "Consistency", "__version__"]
