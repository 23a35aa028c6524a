"""Finding, loading and validating adapters.

``--ipc-adapter`` (or ``IPC_CONFORMANCE_ADAPTER``) takes a name
registered in the ``ipc_conformance.adapters`` entry-point group, a
``package.module:object`` path (importable from the environment or from
the directory pytest was invoked in), or a ``path/to/file.py:object`` path
(relative to that directory).  The object is an :class:`Adapter` or a
zero-argument callable returning one.  Every failure is an
:class:`AdapterError` whose one-line message says how to fix it.
"""

import importlib
import os
import sys
from typing import Optional

from conformance.adapter import Adapter, AdapterError, Mode
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.primitives import Primitive, primitive_of

ENTRY_POINT_GROUP = "ipc_conformance.adapters"
ENV_VAR = "IPC_CONFORMANCE_ADAPTER"
DEFAULT = "stdlib"


def _entry_points() -> dict[str, object]:
    from importlib import metadata

    eps = metadata.entry_points()
    if hasattr(eps, "select"):
        found = eps.select(group=ENTRY_POINT_GROUP)
    else:  # Python 3.8/3.9 return a dict of groups
        found = eps.get(ENTRY_POINT_GROUP, ())
    return {ep.name: ep for ep in found}


def known_names() -> list[str]:
    return sorted(_entry_points())


def _importable(directory: str) -> None:
    """Make modules of ``directory`` importable here and in child processes started by spawn or forkserver."""
    if directory not in sys.path:
        sys.path.append(directory)
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if directory not in path:
        os.environ["PYTHONPATH"] = os.pathsep.join([*path, directory])


def _import_object(spec: str, base: Optional[str] = None):
    module_name, _, attribute = spec.rpartition(":")
    if not module_name or not attribute:
        raise AdapterError(f"adapter path {spec!r} must look like 'package.module:object' or 'path/to/file.py:object'")
    if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
        # A file: its directory becomes importable and the module is imported by its name, so that child
        # processes (spawn, forkserver) import the same module.
        path = os.path.abspath(os.path.join(base or os.getcwd(), module_name))
        if not os.path.isfile(path) or not path.endswith(".py"):
            raise AdapterError(
                f"adapter file {module_name!r} ({path}) is not a Python file; give path/to/file.py:object"
            )
        _importable(os.path.dirname(path))
        module_name = os.path.splitext(os.path.basename(path))[0]
        loaded = sys.modules.get(module_name)
        if loaded is not None and os.path.abspath(getattr(loaded, "__file__", "") or "") != path:
            raise AdapterError(
                f"adapter file {path}: a module named {module_name!r} is imported already from "
                f"{loaded.__file__}; rename the file"
            )
    elif base is not None:
        # The invocation directory, as `python -m pytest` has it and bare `pytest` does not: an adapter module
        # of the current directory imports either way (after the installed packages, which it cannot shadow).
        _importable(os.path.abspath(base))
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
        raise AdapterError(
            f"module {module_name!r} has no attribute {attribute!r} (from adapter path {spec!r})"
        ) from None


def load(spec: str, base: Optional[str] = None) -> Adapter:
    """Resolve ``spec`` (a registered name, ``module:object`` or ``path/to/file.py:object``) to a validated adapter.

    ``base`` is the directory a relative file path starts from and that a ``module:object`` path may be
    imported from (the directory pytest was invoked in).
    """
    if ":" in spec:
        target = _import_object(spec, base)
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


def validate(adapter: Adapter) -> None:
    """Check that the adapter's launcher and primitives are what it declares.

    Builds one instance of each primitive it offers and looks for the
    methods without which the primitive cannot be tested, then for those of
    every documented feature the adapter does not declare it lacks; a
    missing one is an error naming the primitive, the method and how to
    declare the absence.
    """
    launcher = adapter.launcher
    if not isinstance(getattr(launcher, "mode", None), Mode) or not callable(getattr(launcher, "start", None)):
        raise AdapterError(
            f"adapter {adapter.name!r}: its launcher {launcher!r} is not a Launcher (it needs a mode and start()); "
            "use Processes(context), Threads() or Tasks() from conformance.harness.launchers, or subclass Launcher"
        )
    for feature in adapter.lacks:
        if not any(adapter.offers(p) for p in primitive_of(feature)):
            owners = " or ".join(str(p) for p in primitive_of(feature))
            raise AdapterError(
                f"adapter {adapter.name!r} declares it lacks {feature}, a feature of {owners}, which it does not "
                "offer; remove the declaration"
            )
    for primitive in adapter.primitives:
        outcome = call(f"{primitive.attribute}()", primitive.make, adapter)
        if not outcome.ok:
            raise AdapterError(f"adapter {adapter.name!r}: creating its {primitive} failed: {outcome.describe()}")
        made = outcome.value
        try:
            _check_methods(adapter, primitive, primitive.inspected(made))
        finally:
            dispose(made)


def _check_methods(adapter: Adapter, primitive: Primitive, instance) -> None:
    for method in primitive.basic:
        if not callable(getattr(instance, method, None)):
            raise AdapterError(
                f"adapter {adapter.name!r}: its {primitive} has no method {method}(), without which the suite "
                f"cannot test it; give no {primitive.attribute} factory if the implementation has no {primitive}"
            )
    for feature in primitive.features:
        missing = [m for m in feature.methods if not callable(getattr(instance, m, None))]
        if missing and feature not in adapter.lacks:
            consequence = "its clauses are then skipped" if feature.optional else "the API clause grades the absence"
            raise AdapterError(
                f"adapter {adapter.name!r}: its {primitive} has no method {missing[0]}(); if the implementation "
                f"lacks {feature}, declare lacks={{Feature.{feature.name}: 'why'}} ({consequence})"
            )


def describe(adapter: Adapter) -> str:
    """The one-line description for the pytest header."""
    python = "{}.{}.{}".format(*sys.version_info[:3])
    lacks = ", ".join(f.name for f in adapter.lacks) or "nothing"
    traits = "".join(f", {t} queues" for t in sorted(adapter.traits, key=str))
    return (
        f"ipc-conformance adapter: {adapter.name} ({adapter.implementation} {adapter.version}), "
        f"Python {python}, workers: {adapter.launcher.describe()}, "
        f"queue consistency {adapter.consistency}{traits}, "
        f"primitives {', '.join(p.title for p in adapter.primitives) or 'none'}, lacks {lacks}, "
        f"limits {adapter.limits.describe()}"
    )
