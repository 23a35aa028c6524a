"""Finding, loading and validating adapters.

``--ipc-adapter`` (or ``IPC_CONFORMANCE_ADAPTER``) takes either a name
registered in the ``ipc_conformance.adapters`` entry-point group, or a
``package.module:object`` path.  The object is an :class:`Adapter` or a
zero-argument callable returning one.  Every failure is an
:class:`AdapterError` whose one-line message says how to fix it.
"""

import importlib
import os
import sys
from typing import Dict, List, Optional

from conformance.adapter import CAPABILITY_METHODS, PRIMITIVE_METHODS, Adapter, AdapterError, Capability
from conformance.harness.cleanup import dispose

ENTRY_POINT_GROUP = "ipc_conformance.adapters"
ENV_VAR = "IPC_CONFORMANCE_ADAPTER"
DEFAULT = "stdlib"


def _entry_points() -> Dict[str, object]:
    from importlib import metadata

    eps = metadata.entry_points()
    if hasattr(eps, "select"):
        found = eps.select(group=ENTRY_POINT_GROUP)
    else:  # Python 3.8/3.9 return a dict of groups
        found = eps.get(ENTRY_POINT_GROUP, ())
    return {ep.name: ep for ep in found}


def known_names() -> List[str]:
    return sorted(_entry_points())


def _import_object(spec: str):
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AdapterError(f"adapter path {spec!r} must look like 'package.module:object'")
    try:
        module = importlib.import_module(module_name)
    except AdapterError:
        raise
    except Exception as exc:
        raise AdapterError(
            f"importing adapter module {module_name!r} failed: {type(exc).__name__}: {exc}; "
            "check that the implementation is installed in this environment"
        ) from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise AdapterError(f"module {module_name!r} has no attribute {attribute!r} (from adapter path {spec!r})") from None


def load(spec: str) -> Adapter:
    """Resolve ``spec`` (a registered name or ``module:object``) to a validated adapter."""
    if ":" in spec:
        target = _import_object(spec)
    else:
        entry = _entry_points().get(spec)
        if entry is None:
            raise AdapterError(
                f"unknown adapter {spec!r}; known adapters: {', '.join(known_names()) or 'none'} "
                "(or pass 'package.module:object')"
            )
        try:
            target = entry.load()
        except AdapterError:
            raise
        except Exception as exc:
            raise AdapterError(
                f"loading adapter {spec!r} ({entry.value}) failed: {type(exc).__name__}: {exc}; "
                "check that the implementation is installed in this environment"
            ) from exc
    if callable(target) and not isinstance(target, Adapter):
        try:
            target = target()
        except AdapterError:
            raise
        except Exception as exc:
            raise AdapterError(f"building adapter {spec!r} failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(target, Adapter):
        raise AdapterError(
            f"adapter {spec!r} is a {type(target).__name__}, not a conformance.adapter.Adapter "
            "(or a callable returning one)"
        )
    validate(target)
    return target


_active: Optional[Adapter] = None


def activate(adapter: Adapter) -> Adapter:
    """Make ``adapter`` the one this run tests (the plugin does, once the options are read)."""
    global _active
    _active = adapter
    return adapter


def active() -> Adapter:
    """The adapter this run tests, for settings computed at import (the :func:`ipc_adapter` fixture
    serves tests); outside a run, the one the environment names, or the default."""
    return _active if _active is not None else load(os.environ.get(ENV_VAR) or DEFAULT)


def _factories(adapter: Adapter):
    """A zero-argument maker for each primitive the adapter offers."""
    makers = {
        Capability.QUEUE: lambda: adapter.queue(0),
        Capability.JOINABLE_QUEUE: lambda: adapter.joinable_queue(0),
        Capability.SIMPLE_QUEUE: adapter.simple_queue,
        Capability.PIPE: lambda: adapter.pipe(True),
    }
    return [(primitive, make) for primitive, make in makers.items() if adapter.has(primitive)]


def _promised_methods(adapter: Adapter, primitive: Capability):
    """``(method, capability that promises it)`` for one primitive of this adapter."""
    promised = [(method, primitive) for method in PRIMITIVE_METHODS[primitive]]
    for capability, (primitives, methods) in CAPABILITY_METHODS.items():
        if adapter.has(capability) and primitive in primitives:
            promised += [(method, capability) for method in methods]
    return promised


def validate(adapter: Adapter) -> None:
    """Check that the adapter's context and primitives have what it claims.

    Builds one instance of each primitive and looks for every method its
    primitive and its claimed capabilities promise; a missing one is an
    error naming the primitive, the method and the capability.
    """
    for name in ("Process", "Pipe"):
        if not hasattr(adapter.context, name):
            raise AdapterError(
                f"adapter {adapter.name!r}: its context {adapter.context!r} has no {name}; "
                "pass a multiprocessing context (or an object offering Process and Pipe)"
            )
    for primitive, make in _factories(adapter):
        try:
            made = make()
        except Exception as exc:
            raise AdapterError(
                f"adapter {adapter.name!r}: creating its {primitive} failed: {type(exc).__name__}: {exc}"
            ) from exc
        instance = made[0] if primitive is Capability.PIPE else made
        try:
            for method, capability in _promised_methods(adapter, primitive):
                if not callable(getattr(instance, method, None)):
                    raise AdapterError(
                        f"adapter {adapter.name!r}: its {primitive} has no method {method}() but the "
                        f"adapter claims capability '{capability}'; implement it or remove the claim"
                    )
        finally:
            dispose(made)


def describe(adapter: Adapter) -> str:
    """The one-line description for the pytest header."""
    python = "%d.%d.%d" % sys.version_info[:3]
    return (
        f"ipc-conformance adapter: {adapter.name} ({adapter.implementation} {adapter.version}), "
        f"Python {python}, start method {adapter.start_method or 'n/a'}, "
        f"queue consistency {adapter.consistency}, "
        f"capabilities {', '.join(sorted(c.value for c in adapter.capabilities))}"
    )
